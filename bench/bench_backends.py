"""The same whole run on every installed Keras backend: headless vs that backend's bare fit, evaluation vs an epoch.

    .venv/bin/python bench/bench_backends.py [--rounds R] [--epochs N] [--backends tensorflow,jax,torch]

Per backend B, fresh processes, wall clock from launch to exit:
- `dropout-tui train --headless --backend B` at its defaults (digits, 30
  epochs, every mode evaluated and the probe drawn after every epoch);
- the bare script of bench_evaluator (the same model, `fit(epochs=30,
  batch_size=32, verbose=0)` + `evaluate` on the same digits arrays) with
  KERAS_BACKEND=B.
R rounds; within a round every (backend, side) pair runs once, in rotating
order; medians. Target per backend: headless / bare <= 1.1x. From the headless
streams: evaluation + probe per round (rounds 2..N) vs a training epoch
(epochs 2..N), as bench_evaluator's (b); round 1, which compiles, on its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import _common
from _common import BIN, ChildRun
from bench_evaluator import DEFAULT_EPOCHS, round_figures

from dropout_tui.engine.backends import BACKENDS, installed


def runs_per_backend(names: list[str], rounds: int, epochs: int, scratch: Path) -> dict[tuple[str, str], list]:
    from dropout_tui.engine.data.datasets import load_digits  # NumPy only: no Keras in this process

    digits = load_digits()
    data = _common.write_npz(scratch / "digits.npz", digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    bare = _common.write_bare_fit(scratch)
    epoch_option = [] if epochs == DEFAULT_EPOCHS else ["--epochs", str(epochs)]
    jobs = [(name, side) for name in names for side in ("headless", "bare")]
    runs: dict[tuple[str, str], list[ChildRun]] = {job: [] for job in jobs}
    for round_ in range(rounds):
        shift = round_ % len(jobs)
        for name, side in jobs[shift:] + jobs[:shift]:
            if side == "headless":
                argv = [BIN / "dropout-tui", "train", "--headless", "--backend", name, *epoch_option]
            else:
                argv = [sys.executable, bare, data, str(epochs)]
            runs[name, side].append(ChildRun(argv, env={"KERAS_BACKEND": name}).check())
        print(f"   round {round_ + 1}: " + ", ".join(f"{n} {s} {runs[n, s][-1].wall:.2f} s" for n, s in jobs))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--backends", default=",".join(name for name in BACKENDS if installed(name)))
    args = parser.parse_args()
    names = args.backends.split(",")
    _common.header(f"every backend: {', '.join(names)}; digits, {args.epochs} epochs, {args.rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="dropout-bench-") as scratch:
        runs = runs_per_backend(names, args.rounds, args.epochs, Path(scratch))
    for name in names:
        headless, bare = runs[name, "headless"], runs[name, "bare"]
        wall = statistics.median(run.wall for run in headless)
        bare_wall = statistics.median(run.wall for run in bare)
        figures = [round_figures(run) for run in headless]
        print(
            f"   {name}: headless {wall:.2f} s vs bare fit+evaluate {bare_wall:.2f} s (medians, launch to exit); "
            f"training epoch {statistics.median(f['train'] for f in figures) * 1000:,.0f} ms, evaluation+probe "
            f"{statistics.median(f['evaluation'] for f in figures) * 1000:,.0f} ms per round (round 1, which "
            f"compiles: {statistics.median(f['first_round'] for f in figures) * 1000:,.0f} ms)"
        )
        _common.verdict(f"{name}: whole run, headless / bare fit+evaluate, wall", wall / bare_wall, 1.1, at_least=False)
        _common.verdict(
            f"{name}: evaluation+probe per round / training epoch",
            statistics.median(f["ratio"] for f in figures),
            0.3,
            at_least=False,
        )
    print(f"   machine at the end: {_common.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
