"""Bad --data, --model and --output paths: one stderr line, exit 2; user files untouched.

A disk that fills mid-run is exit 1.

In-process through dropout_tui.tui.cli.main. Data and path problems are found before
TensorFlow loads; model-file problems right after it (imported once here).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.support.cli import run_main

QUICK = ["--epochs", "1", "--hidden", "8", "--mc-samples", "2", "--repeats", "1", "--batch-size", "256"]


@pytest.fixture(autouse=True)
def keep_pytest_stderr(monkeypatch):
    # Headless moves fd 2 away for the rest of the process; pytest's capture needs it.
    monkeypatch.setattr("dropout_tui.engine.quiet.redirect_native_stderr", lambda: None)


def _one_line(err: str, expected: str) -> None:
    assert err.count("\n") == 1 and err.startswith("dropout-tui: error: "), err
    assert expected in err, err
    assert "Traceback" not in err


def _valid_npz(path: Path) -> Path:
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.random((6, 4), dtype=np.float32),
        y_train=np.array([0, 1] * 3),
        x_test=rng.random((2, 4), dtype=np.float32),
        y_test=np.array([0, 1]),
    )
    return path


def _data_files(tmp: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, expected message part)."""
    (tmp / "empty.npz").write_bytes(b"")
    (tmp / "noise.npz").write_bytes(os.urandom(4096))
    (tmp / "notes.npz").write_text("x_train,y_train\n1,2\n")
    np.save(tmp / "array.npy", np.zeros((3, 3)))
    valid = _valid_npz(tmp / "valid.npz").read_bytes()
    (tmp / "truncated.npz").write_bytes(valid[: len(valid) // 2])
    (tmp / "dir.npz").mkdir()
    (tmp / "file.txt").write_text("a file, not a folder")
    with zipfile.ZipFile(tmp / "other.zip.npz", "w") as archive:
        archive.writestr("readme.txt", "a zip, but no arrays")
    return {
        "missing": (str(tmp / "missing.npz"), "no such file"),
        "empty": (str(tmp / "empty.npz"), "not a .npz archive"),
        "random bytes": (str(tmp / "noise.npz"), "not a .npz archive"),
        "text": (str(tmp / "notes.npz"), "not a .npz archive"),
        "npy, not npz": (str(tmp / "array.npy"), "not a .npz archive"),
        "truncated": (str(tmp / "truncated.npz"), "--data"),
        "directory": (str(tmp / "dir.npz"), "is a directory"),
        "path under a file": (str(tmp / "file.txt" / "data.npz"), "--data"),
        "zip without arrays": (str(tmp / "other.zip.npz"), "missing key(s)"),
    }


DATA_CASES = [
    "missing",
    "empty",
    "random bytes",
    "text",
    "npy, not npz",
    "truncated",
    "directory",
    "path under a file",
    "zip without arrays",
]


@pytest.mark.parametrize("case", DATA_CASES)
def test_bad_data_file(tmp_path, capsys, case):
    path, expected = _data_files(tmp_path)[case]
    code, err = run_main(["train", "--headless", "--data", path, *QUICK], capsys)
    assert code == 2
    _one_line(err, expected)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    import keras

    root = tmp_path_factory.mktemp("model")
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dropout(0.5), keras.layers.Dense(2, activation="softmax")]
    )
    model.save(root / "good.keras")
    return root / "good.keras"


def _model_files(tmp: Path, good: Path) -> dict[str, tuple[str, str]]:
    raw = good.read_bytes()
    (tmp / "truncated.keras").write_bytes(raw[: len(raw) // 2])
    (tmp / "empty.keras").write_bytes(b"")
    (tmp / "text.keras").write_text("not a model")
    (tmp / "noise.h5").write_bytes(os.urandom(2048))
    (tmp / "model.txt").write_bytes(raw)
    (tmp / "dir.keras").mkdir()
    (tmp / "file.txt").write_text("a file")
    with zipfile.ZipFile(tmp / "zip.keras", "w") as archive:
        archive.writestr("hello.txt", "a zip, not a Keras archive")
    return {
        "missing": (str(tmp / "missing.keras"), "no such file"),
        "truncated": (str(tmp / "truncated.keras"), "not a Keras archive"),
        "empty": (str(tmp / "empty.keras"), "not a Keras archive"),
        "text": (str(tmp / "text.keras"), "not a Keras archive"),
        "bad h5": (str(tmp / "noise.h5"), "not an HDF5 file"),
        "wrong extension": (str(tmp / "model.txt"), "expected a .keras or legacy .h5 file"),
        "directory": (str(tmp / "dir.keras"), "is a directory"),
        "path under a file": (str(tmp / "file.txt" / "m.keras"), "--model"),
        "zip, not keras": (str(tmp / "zip.keras"), "--model"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "truncated",
        "empty",
        "text",
        "bad h5",
        "wrong extension",
        "directory",
        "path under a file",
        "zip, not keras",
    ],
)
def test_bad_model_file(tmp_path, capsys, saved_model, case):
    path, expected = _model_files(tmp_path, saved_model)[case]
    data = _valid_npz(tmp_path / "data.npz")
    code, err = run_main(
        ["inspect", "--headless", "--model", path, "--data", str(data), "--mc-samples", "2", "--repeats", "1"], capsys
    )
    assert code == 2
    _one_line(err, expected)


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing folder", "cannot write: No such file or directory"),
        ("a directory", "cannot write: Is a directory"),
        ("under a file", "cannot write: Not a directory"),
        ("the --data file", "is the --data file; it would be overwritten"),
    ],
)
def test_bad_output_path(tmp_path, capsys, case, expected):
    data = _valid_npz(tmp_path / "data.npz")
    (tmp_path / "file.txt").write_text("keep me")
    output = {
        "missing folder": tmp_path / "no" / "such" / "run.jsonl",
        "a directory": tmp_path,
        "under a file": tmp_path / "file.txt" / "run.jsonl",
        "the --data file": data,
    }[case]
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    code, err = run_main(["train", "--headless", "--data", str(data), "--output", str(output), *QUICK], capsys)
    assert code == 2
    _one_line(err, expected)
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before
    assert (tmp_path / "file.txt").read_text() == "keep me"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to simulate a full disk")
def test_output_on_a_full_disk_exits_1_with_one_line(tmp_path, capsys):
    data = _valid_npz(tmp_path / "data.npz")
    code, err = run_main(["train", "--headless", "--data", str(data), "--output", "/dev/full", *QUICK], capsys)
    assert code == 1
    assert err == "dropout-tui: error: --output /dev/full: write failed: No space left on device\n"


def _denied(real_open):
    def fake(path, *args, **kwargs):
        if str(path).endswith(("secret.npz", "secret.keras")):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    return fake


# Tests run as root here, and root reads any file whatever its mode: chmod
# cannot make one unreadable, so the open() the checks rely on is made to fail.
def test_unreadable_data_file_says_so(tmp_path, capsys, monkeypatch):
    import builtins

    import dropout_tui.engine.files

    data = _valid_npz(tmp_path / "secret.npz")
    monkeypatch.setattr(dropout_tui.engine.files, "open", _denied(builtins.open), raising=False)
    code, err = run_main(["train", "--headless", "--data", str(data), *QUICK], capsys)
    assert code == 2
    _one_line(err, f"--data {data}: cannot read: Permission denied")


def test_unreadable_model_file_says_so(tmp_path, capsys, monkeypatch, saved_model):
    import builtins

    import dropout_tui.engine.files

    model = tmp_path / "secret.keras"
    model.write_bytes(saved_model.read_bytes())
    data = _valid_npz(tmp_path / "data.npz")
    monkeypatch.setattr(dropout_tui.engine.files, "open", _denied(builtins.open), raising=False)
    code, err = run_main(["inspect", "--headless", "--model", str(model), "--data", str(data)], capsys)
    assert code == 2
    _one_line(err, f"--model {model}: cannot read: Permission denied")


@pytest.mark.parametrize(
    "index, expected",
    [
        ("2", "--probe-index 2 is out of range: the test set has 2 samples"),
        ("999999", "--probe-index 999999 is out of range"),
    ],
)
def test_probe_index_beyond_the_test_set(tmp_path, capsys, index, expected):
    data = _valid_npz(tmp_path / "data.npz")
    code, err = run_main(["train", "--headless", "--data", str(data), "--probe-index", index, *QUICK], capsys)
    assert code == 2
    _one_line(err, expected)
