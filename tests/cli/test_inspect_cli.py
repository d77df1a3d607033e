"""`dropout-tui inspect --headless` end to end on a saved model, and its bad-input lines."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from dropout_tui.engine.data.datasets import load_digits
from tests.support import inspect_models as models

pytestmark = [pytest.mark.subprocess]

CLI = [sys.executable, "-m", "dropout_tui.tui.cli"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A BN + SpatialDropout2D CNN trained briefly on the digits, and the test split as .npz."""
    root = tmp_path_factory.mktemp("cli")
    digits = load_digits()
    keras.utils.set_random_seed(0)
    model = models.bn_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(digits.x_train[..., None], digits.y_train, epochs=3, batch_size=32, verbose=0)
    model.save(root / "cnn.keras")
    npz = models.save_npz(root / "digits_test.npz", digits.x_test[..., None], digits.y_test)
    _, accuracy = model.evaluate(digits.x_test[..., None], digits.y_test, verbose=0)
    return root / "cnn.keras", npz, accuracy


def _fingerprint(path: Path) -> tuple:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.timeout(120)
def test_headless_inspect_prints_the_contract_and_matches_evaluate(trained):
    model_path, npz, evaluate_accuracy = trained
    before = _fingerprint(model_path)
    result = subprocess.run(
        [
            *CLI,
            "inspect",
            "--headless",
            "--model",
            str(model_path),
            "--data",
            npz,
            "--mc-samples",
            "5",
            "--repeats",
            "2",
            "--batch-size",
            "64",
        ],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert "\x1b" not in result.stdout
    started = next(e for e in events if e["event"] == "run_started")
    assert started["command"] == "inspect"
    assert started["stochastic_layers"] == [
        {
            "name": "spatial",
            "class": "SpatialDropout2D",
            "kind": "dropout",
            "rate": 0.3,
            "noise_shape": [None, 1, 1, None],
        }
    ]
    assert started["normalization_layers"] == [{"name": "bn", "class": "BatchNormalization"}]
    assert any(note.startswith("outputs are probabilities") for note in started["notes"])
    summary = events[-1]
    assert summary["event"] == "summary" and summary["n_test"] == 360
    modes = summary["modes"]
    assert set(modes) == {"inference", "training", "trainable_flag", "dropout_only", "mc"}
    assert modes["inference"]["accuracy"] == pytest.approx(evaluate_accuracy, abs=1e-6)
    assert modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    assert modes["training"]["bn_moving_stats_shift"] > 0
    assert _fingerprint(model_path) == before


def test_bad_inputs_exit_2_with_one_line_and_no_traceback(trained, tmp_path):
    model_path, npz, _ = trained
    models.lambda_model().save(tmp_path / "lambda.keras")
    (tmp_path / "text.keras").write_text("not a model")
    x, y = models.random_data((8, 8, 1), 12)
    twelve = models.save_npz(tmp_path / "twelve.npz", x, y)
    x, y = models.random_data((64,), 10)
    flat = models.save_npz(tmp_path / "flat.npz", x, y)
    cases = {
        "nope.keras: no such file": ["--model", str(tmp_path / "nope.keras"), "--data", npz],
        "pass --unsafe only if you trust": ["--model", str(tmp_path / "lambda.keras"), "--data", npz],
        "not a Keras archive": ["--model", str(tmp_path / "text.keras"), "--data", npz],
        "the data has 12 classes (labels 0..11) but the model outputs only 10": [
            "--model",
            str(model_path),
            "--data",
            twelve,
        ],
        "input shape mismatch: the model expects (None, 8, 8, 1) but the data's samples have shape (None, 64)": [
            "--model",
            str(model_path),
            "--data",
            flat,
        ],
    }
    # Each case imports TensorFlow in its own process: start them together.
    running = {
        expected: subprocess.Popen(
            [*CLI, "inspect", "--headless", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        for expected, argv in cases.items()
    }
    for expected, process in running.items():
        stdout, stderr = process.communicate(timeout=110)
        assert process.returncode == 2, (expected, stderr)
        assert "Traceback" not in stderr
        assert stderr.count("\n") == 1 and stderr.startswith("dropout-tui: error: ") and expected in stderr, stderr
        assert all(json.loads(line) for line in stdout.splitlines())  # stdout stays JSON lines
