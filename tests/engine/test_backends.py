"""The same `.keras` file on TensorFlow, JAX and PyTorch: equal inference, statistically equal dropout modes.

Each backend runs in a process of its own (tests/support/backend_probe.py):
Keras fixes its backend at its first import. Masks differ between backends for
one seed, so the random modes are compared statistically, never bit for bit.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dropout_tui.engine.backends import BACKENDS
from tests.support.processes import ROOT

pytestmark = [pytest.mark.backend, pytest.mark.subprocess, pytest.mark.training]

STANDARD_ERRORS = 4


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    """backend -> what backend_probe measured on the one model file (a tiny MLP with BatchNorm, saved here)."""
    import keras

    from dropout_tui.engine.data.datasets import load_digits
    from dropout_tui.engine.model.default import flatten

    folder = tmp_path_factory.mktemp("backends")
    data = load_digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(data.classes, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(flatten(data.x_train), data.y_train, epochs=3, verbose=0)
    path = folder / "model.keras"
    model.save(path)
    results = {}
    for backend in BACKENDS:
        out = folder / f"{backend}.npz"
        done = subprocess.run(
            [sys.executable, "-m", "tests.support.backend_probe", backend, str(path), str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        results[backend] = dict(np.load(out))
    return results


def test_one_keras_file_predicts_the_same_on_every_backend(measured):
    reference = measured["tensorflow"]
    accuracy = np.mean(np.argmax(reference["inference"], axis=1) == reference["y"])
    assert accuracy > 0.5  # a trained model, or equal numbers would prove little
    np.testing.assert_allclose(reference["inference"], reference["predicted"], atol=1e-5)
    for backend in ("jax", "torch"):
        other = measured[backend]
        np.testing.assert_allclose(other["predicted"], reference["predicted"], atol=1e-5, err_msg=backend)
        np.testing.assert_allclose(other["inference"], reference["inference"], atol=1e-5, err_msg=backend)
        assert np.mean(np.argmax(other["inference"], axis=1) == other["y"]) == accuracy


@pytest.mark.parametrize("mode", ["training", "dropout_only"])
def test_repeated_modes_agree_within_four_standard_errors(measured, mode):
    reference = measured["tensorflow"][mode]
    assert reference.std() > 0  # the masks are fresh per repeat, on TensorFlow ...
    for backend in ("jax", "torch"):
        other = measured[backend][mode]
        assert other.std() > 0, f"{backend}: every {mode} repeat drew the same masks"  # ... and on the others
        error = np.sqrt(reference.var(ddof=1) / len(reference) + other.var(ddof=1) / len(other))
        assert abs(other.mean() - reference.mean()) <= STANDARD_ERRORS * error, (backend, mode)


def test_monte_carlo_accuracy_agrees_within_four_standard_errors(measured):
    """Paired over the test rows: the standard error of the mean difference of each row's MC correctness."""
    reference = measured["tensorflow"]
    right = np.argmax(reference["mc_mean"], axis=1) == reference["y"]
    for backend in ("jax", "torch"):
        other = np.argmax(measured[backend]["mc_mean"], axis=1) == reference["y"]
        difference = other.astype(float) - right.astype(float)
        error = difference.std(ddof=1) / np.sqrt(len(difference))
        assert abs(difference.mean()) <= STANDARD_ERRORS * error, backend
        # MC's mean probabilities differ from inference on every backend: the copies were random.
        assert np.max(np.abs(measured[backend]["mc_mean"] - measured[backend]["inference"])) > 1e-3
