"""--devices: training and evaluation under tf.distribute.MirroredStrategy, on logical CPU devices here.

TensorFlow fixes its devices once per process, so every check runs in a fresh one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.subprocess]

TINY = ["--hidden", "16", "--batch-size", "64", "--mc-samples", "5", "--repeats", "2"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dropout_tui.tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_two_replicas_train_and_evaluate_and_say_so():
    result = _cli("train", "--headless", "--epochs", "1", "--devices", "2", *TINY)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    started = next(e for e in events if e["event"] == "run_started")
    assert started["replicas"] == 2 and len(started["device_names"]) == 2
    assert all("CPU" in name for name in started["device_names"])
    summary = events[-1]
    assert summary["event"] == "summary" and 0 < summary["modes"]["mc"]["accuracy"] <= 1


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0", "--devices must be all or a positive integer"),
        ("x", "--devices must be all or a positive"),
        ("64", "CPU core(s)"),
    ],
)
def test_a_device_count_this_machine_cannot_give_is_one_line_and_exit_2(value, expected):
    if value == "64" and (os.cpu_count() or 1) >= 64:
        pytest.skip("this machine has 64 cores")
    result = _cli("train", "--headless", "--epochs", "1", "--devices", value, *TINY)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


MASKS = textwrap.dedent(
    """
    import json, numpy as np, keras
    from dropout_tui.engine.quiet import prepare_environment
    prepare_environment()
    from dropout_tui.engine.run.devices import configure, replica_aware_seeds
    from dropout_tui.engine.evaluation.backend import TensorFlowBackend
    from dropout_tui.engine.evaluation.evaluator import Evaluator
    from dropout_tui.engine.model.heads import regression_head
    devices = configure(2)
    with devices.strategy.scope():
        inputs = keras.Input((32,))
        x = keras.layers.Dense(32, use_bias=False, kernel_initializer="identity")(inputs)
        x = keras.layers.Dropout(0.5, seed=3)(x)
        model = keras.Model(inputs, keras.layers.Dense(32, use_bias=False, kernel_initializer="identity")(x))
    evaluator = Evaluator(model, head=regression_head(32), batch_size=8, seed=0,
                          backend=TensorFlowBackend(devices.strategy))
    ones = np.ones((8, 32), np.float32)  # 4 identical rows on each replica
    _, passes = evaluator.passes(ones, 3)
    masks = (passes > 0).reshape(-1, 32)
    # fit: every replica gets half of each batch of identical rows; count distinct masks seen in training
    replica_aware_seeds(model)
    seen = []
    class Probe(keras.layers.Layer):
        def call(self, x, training=None):
            return x
    import tensorflow as tf
    strategy = devices.strategy
    @tf.function
    def train_masks(batch):
        def step(rows):
            return model(rows, training=True)
        return strategy.gather(strategy.run(step, args=(batch,)), axis=0)
    dist = strategy.experimental_distribute_values_from_function(lambda ctx: tf.ones((4, 32)))
    trained = (train_masks(dist).numpy() > 0).reshape(-1, 32)
    print(json.dumps({
        "eval_rows": len(masks), "eval_distinct": len({m.tobytes() for m in masks}),
        "drop_fraction": float(1 - masks.mean()),
        "train_rows": len(trained), "train_distinct": len({m.tobytes() for m in trained}),
    }))
    """
)


def test_masks_are_independent_across_replicas_in_evaluation_and_training():
    """keras-team/keras#18426: a mirrored seed gives every replica the same masks unless the replica is folded in."""
    result = subprocess.run([sys.executable, "-c", MASKS], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["eval_rows"] == 24 and found["eval_distinct"] == 24  # 8 identical rows x 3 copies, 2 replicas
    assert found["drop_fraction"] == pytest.approx(0.5, abs=0.1)
    assert found["train_rows"] == 8 and found["train_distinct"] == 8
