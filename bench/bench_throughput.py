"""Training speed under the UI vs headless vs a bare model.fit(verbose=0), in one run.

    .venv/bin/python bench/bench_throughput.py [--epochs N] [--rounds R]

Three ways to train the same model on digits (hidden 128, rate 0.2, batch 32,
seed 0), each in its own fresh process so all three pay the same start-up:
- bare: `model.fit(verbose=0)` with a callback that only reads the clock at
  epoch begin/end (Keras keeps its asynchronous batch dispatch for it);
- headless: the real `dropout-tui train --headless --output FILE` (JSON lines);
- UI: the real app (create_app, as the CLI builds it) on Textual's real
  terminal driver inside a detached tmux pane at 80x24 (the target) and at
  120x40 (all four panes, more cells to draw), so every redraw is rendered
  and written to a terminal; it leaves when the run has finished.
Headless and UI use the CLI's defaults (a mode evaluation and a probe after
every epoch, T=30, R=5): the UI redraws that work while the next epoch
trains. Speed of a run: samples/s over its epochs 2..N (epoch 1 includes
graph tracing), each epoch timed from its begin to its end, so the time
between epochs (evaluation, probe) is left out on every side.
A fourth run, headless with `--eval-every N` (evaluation only after the last
epoch), separates the per-batch cost of the engine's callback from a Keras /
tf.data effect: any time spent between epochs (even a bare fit whose
on_epoch_end only sleeps 0.25 s) shows up, in some epochs, as a stall of
about that length before the next epoch's first batch.
All run interleaved, rotating order each round, so load from other processes
hits all alike. Targets: UI/headless >= 0.9, headless/bare >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common
from _common import BIN, Tmux, shell_command

HIDDEN, RATE, LR, SEED, BATCH = 128, 0.2, 1e-3, 0, 32


def _speed(per_epoch: list[float]) -> float:
    # Every epoch holds the same samples, so the harmonic mean is samples over total seconds:
    # a stall in one epoch counts, as it does for whoever waits for the run.
    return statistics.harmonic_mean(per_epoch[1:] or per_epoch)


def bare_worker(epochs: int) -> list[float]:
    import keras

    from dropout_tui.engine.data.datasets import load_digits
    from dropout_tui.engine.model.default import build_default_model, flatten

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self._began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.seconds.append(time.perf_counter() - self._began)

    keras.utils.set_random_seed(SEED)
    digits = load_digits()
    x = flatten(digits.x_train)
    model = build_default_model(x.shape[1], digits.classes, HIDDEN, RATE, LR, SEED)
    clock = EpochClock()
    model.fit(x, digits.y_train, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True, callbacks=[clock])
    return [len(x) / seconds for seconds in clock.seconds]


def ui_worker(epochs: int, scratch: Path) -> list[float]:
    from dropout_tui.engine.config import RunConfig
    from dropout_tui.tui.app import create_app

    app = create_app(
        RunConfig(epochs=epochs, batch_size=BATCH, rate=RATE, hidden=HIDDEN, lr=LR, seed=SEED),
        export_dir=scratch / "export",
    )  # nothing is exported: no key is pressed

    def leave_when_finished() -> None:
        # Reads one attribute four times a second: nothing the UI or the engine would notice.
        while app.state.finished is None and app.state.failed is None:
            time.sleep(0.25)
        app.call_from_thread(app.exit)

    threading.Thread(target=leave_when_finished, daemon=True).start()
    app.run()
    if app.state.failed is not None:
        raise SystemExit(f"UI run failed: {app.state.failed.message}")
    return [epoch.samples_per_second for epoch in app.state.epochs]


def headless_run(epochs: int, scratch: Path, eval_every: int = 1) -> list[float]:
    output = scratch / "headless.jsonl"
    output.unlink(missing_ok=True)
    subprocess.run(
        [
            BIN / "dropout-tui",
            "train",
            "--headless",
            "--epochs",
            str(epochs),
            "--eval-every",
            str(eval_every),
            "--output",
            output,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    events = [json.loads(line) for line in output.read_text().splitlines()]
    return [event["samples_per_second"] for event in events if event["event"] == "epoch_end"]


def worker_run(mode: str, epochs: int, scratch: Path, size: tuple[int, int] | None = None) -> list[float]:
    output = scratch / f"{mode}.json"
    output.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--worker", mode, "--epochs", str(epochs), "--out", str(output)]
    if size is None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        pane = Tmux("throughput", shell_command(*command), *size)
        try:
            if pane.wait_for(pane.exited, timeout=600, interval=0.5) is None:
                raise SystemExit("the UI run did not finish within 10 minutes")
        finally:
            pane.close()
    if not output.exists():
        raise SystemExit(f"the {mode} worker wrote no figures")
    return json.loads(output.read_text())


def interleaved(epochs: int, rounds: int, scratch: Path) -> dict[str, list[float]]:
    runs: dict[str, list[float]] = {
        "bare": [],
        "headless": [],
        "UI 80x24": [],
        "UI 120x40": [],
        "headless, eval at end": [],
    }
    order = list(runs)
    for round_ in range(rounds):
        for mode in order[round_ % len(order) :] + order[: round_ % len(order)]:
            if mode.startswith("headless"):
                per_epoch = headless_run(epochs, scratch, epochs if "end" in mode else 1)
            elif mode == "bare":
                per_epoch = worker_run("bare", epochs, scratch)
            else:
                width, height = mode.split()[1].split("x")
                per_epoch = worker_run("ui", epochs, scratch, (int(width), int(height)))
            runs[mode].append(_speed(per_epoch))
        print(f"   round {round_ + 1}: " + ", ".join(f"{mode} {runs[mode][-1]:,.0f}" for mode in order) + " samples/s")
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=("bare", "ui"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        out = Path(args.out)
        speeds = bare_worker(args.epochs) if args.worker == "bare" else ui_worker(args.epochs, out.parent)
        out.write_text(json.dumps(speeds))
        return 0

    _common.header(f"training speed on digits, {args.epochs} epochs, batch {BATCH}, {args.rounds} interleaved rounds")
    with tempfile.TemporaryDirectory(prefix="dropout-bench-") as scratch:
        runs = interleaved(args.epochs, args.rounds, Path(scratch))
    bare, headless, ui, ui_large, headless_end = (statistics.median(values) for values in runs.values())
    print(
        f"   medians (samples/s): bare model.fit {bare:,.0f}, headless {headless:,.0f}, UI 80x24 {ui:,.0f}, "
        f"UI 120x40 {ui_large:,.0f}, headless with evaluation only at the end {headless_end:,.0f}"
    )
    _common.verdict("training speed UI (80x24) / headless", ui / headless, 0.9, at_least=True)
    _common.verdict("training speed UI (120x40) / headless", ui_large / headless, 0.9, at_least=True)
    _common.verdict("training speed headless / bare fit", headless / bare, 0.95, at_least=True)
    _common.verdict("training speed headless (eval at end) / bare fit", headless_end / bare, 0.95, at_least=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
