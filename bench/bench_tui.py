"""Training speed under the UI vs headless, and key latency while training.

    .venv/bin/python bench/bench_tui.py [--epochs N] [--rounds R]

Headless: engine.Session with a sink that only collects events. UI: the real
app (create_app) under Textual's headless driver, so every event still goes
through the buffer, the 10 Hz drain and the pane redraws; only the terminal
writes are skipped. Speed is the median of EpochEnd.samples_per_second over
epochs 2.. (epoch 1 includes graph tracing). Rounds alternate headless/UI so
load from other processes hits both alike. Target: UI/headless >= 0.9.
Key latency is measured in a separate UI run (presses every 0.2 s would slow
its training and bias the ratio), pressed while training runs at full speed: from the key press to
its action running ("handled", target < 100 ms) and until Textual's pilot
finds the app idle again ("idle": an upper bound on the visible delay, as it
also waits out the 10 Hz drain and any chart redraw queued behind the key).
Measured in tmux on the real CLI instead (send-keys l, poll capture-pane for
the log pane), the change was visible after 19-43 ms, one press in six 251 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import RunConfig  # noqa: E402
from engine.events import EpochEnd  # noqa: E402


def _speed(epochs: list[EpochEnd]) -> float:
    return statistics.median(e.samples_per_second for e in epochs[1:] or epochs)


def headless(config: RunConfig) -> float:
    from engine.session import Session

    events: list = []
    Session(config, events.append).run()
    return _speed([e for e in events if isinstance(e, EpochEnd)])


async def under_ui(config: RunConfig, handled: list[float], redrawn: list[float], press: bool) -> float:
    from tui.app import create_app

    app = create_app(config, export_dir="/tmp/dropout-tui-bench-export")
    action = app.action_toggle_log
    seen: list[float] = []

    def timed_action() -> None:
        seen.append(time.perf_counter())
        action()

    app.action_toggle_log = timed_action
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.state.epochs) < 1:
            await pilot.pause(0.05)
        while app.state.finished is None:
            if not press:  # speed rounds: the UI only follows the run, as it does unattended
                await pilot.pause(0.2)
                continue
            started = time.perf_counter()
            await pilot.press("l")
            redrawn.append(time.perf_counter() - started)
            if seen:
                handled.append(seen.pop() - started)
            await pilot.pause(0.2)
        speed = _speed(app.state.epochs)
        await pilot.press("q")
    return speed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = RunConfig(epochs=args.epochs, mc_samples=10, repeats=2, eval_every=args.epochs)
    ratios, handled, redrawn = [], [], []
    for round_ in range(1, args.rounds + 1):
        base = headless(config)
        ui = asyncio.run(under_ui(config, handled, redrawn, press=False))
        ratios.append(ui / base)
        print(f"round {round_}: headless {base:,.0f} samples/s, UI {ui:,.0f} samples/s, ratio {ui / base:.2f}")
    print(f"UI/headless training speed: {statistics.median(ratios):.2f}x (target >= 0.9)")
    longer = RunConfig(epochs=4 * args.epochs, mc_samples=10, repeats=2, eval_every=4 * args.epochs)
    asyncio.run(under_ui(longer, handled, redrawn, press=True))
    for name, values in (("handled", handled), ("idle", redrawn)):
        values.sort()
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"key {name} while training: median {1000 * statistics.median(values):.0f} ms, "
              f"p95 {1000 * p95:.0f} ms, max {1000 * values[-1]:.0f} ms over {len(values)} presses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
