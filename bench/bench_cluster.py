"""MC inspect and train across workers: one process vs two workers (--workers on 127.0.0.1).

Inspect: 50,000 rows x T=100.

Both runs evaluate the same saved model on the same rows; the figure is the
evaluation's own time (the summary's ``seconds``: after run_started, before the
summary), so TensorFlow's import and the workers' start are not in it. On one
box the two workers share its cores, so no speed-up is expected: the ratio
two-workers / one-process is what the split, the all-gather of every block's
rows and the all-reduce of the totals cost here (an upper bound: the workers
also compete for the cores). Across hosts each worker would do half the passes.

Train: digits, the default MLP, the median epoch's own time (epoch_end's ``seconds``) over
epochs 2.. (the first traces the step). Each step is one all-reduce of the gradients between
the workers; the ratio is that collective's latency on this box against a step of about a
millisecond, plus the two workers competing for the cores.
Run: .venv/bin/python bench/bench_cluster.py [ROWS] [T], or bench/bench_cluster.py train [EPOCHS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
import numpy as np

from tests.support.workers import CLI, free_addresses, start

ROWS, T = 50_000, 100
EPOCHS = 6
TRAIN = ["train", "--headless", "--eval-every", "1000", "--mc-samples", "2", "--repeats", "1"]


def _files(root: Path, rows: int) -> tuple[str, str]:
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((64,))
    hidden = keras.layers.Dropout(0.2)(keras.layers.Dense(128, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))
    model.save(root / "mlp.keras")
    rng = np.random.default_rng(0)
    np.savez(root / "rows.npz", x_test=rng.random((rows, 64), np.float32), y_test=rng.integers(0, 10, rows))
    return str(root / "mlp.keras"), str(root / "rows.npz")


def _summary(stdout: str) -> dict:
    last = json.loads(stdout.splitlines()[-1])
    assert last["event"] == "summary", last
    return last


def _median_epoch(stdout: str) -> float:
    """The median of epochs 2..'s own seconds: the first one traces the step and builds the pipeline."""
    seconds = [json.loads(line)["seconds"] for line in stdout.splitlines() if '"epoch_end"' in line]
    return float(np.median(seconds[1:]))


def train(epochs: int) -> None:
    _common.header(f"train on digits, {epochs} epochs: one process vs two workers on this box")
    args = [*TRAIN, "--epochs", str(epochs)]
    one = _median_epoch(subprocess.run([*CLI, *args], capture_output=True, text=True, check=True).stdout)
    addresses = free_addresses(2)
    workers = [start(args, addresses, index) for index in range(2)]
    outputs = [worker.communicate() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs[1][1] + outputs[0][1]
    two = _median_epoch(outputs[0][0])
    print(f"   one process: median epoch {one * 1000:.0f} ms")
    print(f"   two workers: median epoch {two * 1000:.0f} ms")
    _common.verdict("two workers / one process, train epoch on one box", two / one, 5, at_least=False)


def main() -> None:
    if sys.argv[1:2] == ["train"]:
        train(int(sys.argv[2]) if len(sys.argv) > 2 else EPOCHS)
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else T
    _common.header(f"MC inspect, {rows:,} rows x T={samples}: one process vs two workers on this box")
    with tempfile.TemporaryDirectory() as root:
        model, data = _files(Path(root), rows)
        args = ["inspect", "--headless", "--model", model, "--data", data, "--mc-samples", str(samples)]
        args += ["--repeats", "1", "--batch-size", "256"]
        began = time.perf_counter()
        single = subprocess.run([*CLI, *args], capture_output=True, text=True, check=True)
        single_wall = time.perf_counter() - began
        one = _summary(single.stdout)["seconds"]
        addresses = free_addresses(2)
        began = time.perf_counter()
        workers = [start(args, addresses, index) for index in range(2)]
        outputs = [worker.communicate() for worker in workers]
        pair_wall = time.perf_counter() - began
        assert [worker.returncode for worker in workers] == [0, 0], outputs[1][1] + outputs[0][1]
        two = _summary(outputs[0][0])["seconds"]
    print(f"   one process: evaluation {one:.1f} s (command {single_wall:.1f} s)")
    print(f"   two workers: evaluation {two:.1f} s (commands {pair_wall:.1f} s)")
    _common.verdict("two workers / one process, evaluation time on one box", two / one, 1.5, at_least=False)
    train(EPOCHS)


if __name__ == "__main__":
    main()
