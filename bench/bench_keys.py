"""Key-press latency while training runs at full speed: p95 from key sent to the changed frame.

    .venv/bin/python bench/bench_keys.py [--presses N]

The real app (create_app, a real engine worker training digits with the CLI's
defaults: a mode evaluation and a probe after every epoch) runs in-process
under Textual's pilot at 80x24. Once the first epoch has ended, keys are
pressed at random 0.1-0.3 s intervals, alternating `l` (log pane / modes
table swap: a restyle), `T` and `t` (T doubled/halved: a command to the
engine, a notification and the status line). For each press:
- handled: from pilot.press to the key's action running;
- visible: from pilot.press to the first frame the compositor hands to the
  driver after the action ran (the frame that shows the change; the pilot's
  headless driver then skips only the write to the terminal).
Only presses made before training finished count. Target: visible p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _common

KEYS = ("l", "T", "l", "t")


async def measure(presses: int) -> tuple[list[float], list[float], list[str], int]:
    from dropout_tui.engine.config import RunConfig
    from dropout_tui.tui.app import create_app

    app = create_app(RunConfig(epochs=1000), export_dir=Path(tempfile.gettempdir()) / "dropout-bench-export")
    acted: list[float] = []
    frames: list[float] = []
    display = app._display

    def timed_display(screen, renderable) -> None:
        if renderable is not None:
            frames.append(time.perf_counter())
        display(screen, renderable)

    def timed(action):
        def run(*args):
            acted.append(time.perf_counter())
            return action(*args)

        return run

    app._display = timed_display
    app.action_toggle_log = timed(app.action_toggle_log)
    app.action_samples = timed(app.action_samples)
    handled, visible, keys = [], [], []
    rng = random.Random(0)
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.state.epochs:
            await asyncio.sleep(0.05)
        epoch_at_start = len(app.state.epochs)
        while len(visible) < presses and app.state.finished is None:
            acted.clear()
            sent = time.perf_counter()
            await pilot.press(KEYS[len(visible) % len(KEYS)])
            deadline = sent + 2.0
            while not (acted and any(frame > acted[0] for frame in frames)) and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            if app.state.finished is not None:
                break
            if not acted:
                raise SystemExit(f"key {KEYS[len(visible) % len(KEYS)]!r} ran no action within 2 s")
            shown = next((frame for frame in frames if frame > acted[0]), None)
            keys.append(KEYS[len(visible) % len(KEYS)])
            handled.append(acted[0] - sent)
            visible.append((shown or deadline) - sent)
            frames.clear()
            await asyncio.sleep(rng.uniform(0.1, 0.3))
        epochs_during = len(app.state.epochs) - epoch_at_start
        await pilot.press("q")
    return handled, visible, keys, epochs_during


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=60)
    args = parser.parse_args()
    from dropout_tui.engine.quiet import redirect_native_stderr

    redirect_native_stderr()  # TensorFlow's C++ start-up lines would interleave with the figures
    _common.header("key latency while training (real engine worker, pilot at 80x24)")
    handled, visible, keys, epochs = asyncio.run(measure(args.presses))
    if len(visible) < 30:
        print(f"   only {len(visible)} presses before training ended: raise the run's epochs")
    for name, values in (("handled", handled), ("visible", visible)):
        print(
            f"   {name}: median {statistics.median(values) * 1e3:.0f} ms, "
            f"p95 {_common.percentile(values, 0.95) * 1e3:.0f} ms, max {max(values) * 1e3:.0f} ms "
            f"over {len(values)} presses ({epochs} epochs trained meanwhile)"
        )
    for key in sorted(set(keys)):
        mine = [value for value, pressed in zip(visible, keys) if pressed == key]
        print(
            f"   visible after {key!r}: median {statistics.median(mine) * 1e3:.0f} ms, "
            f"max {max(mine) * 1e3:.0f} ms over {len(mine)} presses"
        )
    _common.verdict(
        "key press to visible change, p95", _common.percentile(visible, 0.95) * 1e3, 100, at_least=False, unit=" ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
