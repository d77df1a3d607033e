"""The app behaves like headless on bad input (issue 17, items 7 to 12): one line on stderr, exit 2, no screen.

In-process through dropout_tui.tui.cli.main: every input numpy can check is checked before an app is made
(``no_app`` fails a test that gets that far), and without a terminal the app is refused, not opened.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dropout_tui.tui.cli as cli
from tests.support.cli import run_main

FIXTURES = Path(__file__).resolve().parents[1] / "tui" / "fixtures"
QUICK = ["--epochs", "1", "--hidden", "8", "--mc-samples", "2", "--repeats", "1"]


class AppMade(Exception):
    """An app was made: the input got past the checks."""


@pytest.fixture
def no_app(monkeypatch):
    def made(*args, **kwargs):
        raise AppMade()

    monkeypatch.setattr("dropout_tui.tui.app.create_app", made)
    monkeypatch.setattr("dropout_tui.tui.sweep.app.SweepApp", made)
    # Headless moves fd 2 away for the rest of the process; pytest's capture needs it.
    monkeypatch.setattr("dropout_tui.engine.quiet.redirect_native_stderr", lambda: None)


def _one_line(err: str, expected: str) -> None:
    assert err.count("\n") == 1 and err.startswith("dropout-tui: error: "), err
    assert expected in err, err
    assert "Traceback" not in err


def _npz(path: Path, **arrays: np.ndarray) -> str:
    np.savez(path, **arrays)
    return str(path)


def _data(tmp: Path, y_train=None, y_test=None, x_train=None) -> str:
    rng = np.random.default_rng(0)
    return _npz(
        tmp / "data.npz",
        x_train=rng.random((12, 4), dtype=np.float32) if x_train is None else x_train,
        y_train=np.arange(12) % 2 if y_train is None else y_train,
        x_test=rng.random((6, 4), dtype=np.float32),
        y_test=np.arange(6) % 2 if y_test is None else y_test,
    )


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    nan = np.full((3, 8, 8), np.nan, dtype=np.float32)
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "broken.py").write_text("class Layer(\n")
    return {
        "ood_nan": _npz(tmp_path / "ood_nan.npz", x_test=nan),
        "wrong_shape": _npz(tmp_path / "wrong_shape.npz", x_test=np.zeros((3, 5, 5), np.float32)),
        "bad_nan": _data(tmp_path, x_train=np.full((12, 4), np.nan, dtype=np.float32)),
        "broken_py": str(tmp_path / "broken.py"),
        "a_file": str(tmp_path / "a-file"),
        "missing_model": str(tmp_path / "missing.keras"),
    }


# Item 7: each of these opened the full-screen app, which then showed "Run failed" and exited 0 on q.
BEFORE_THE_APP = {
    "train --ood with NaN": (["train", "--ood", "{ood_nan}"], "--ood"),
    "sweep --ood of the wrong shape": (["sweep", "--ood", "{wrong_shape}"], "samples have shape (5, 5)"),
    "sweep --data with NaN": (["sweep", "--data", "{bad_nan}"], "x_train contains 48 NaN/inf"),
    "inspect --custom-objects that cannot parse": (
        ["inspect", "--model", "{missing_model}", "--custom-objects", "{broken_py}"],
        "--model",
    ),
    "inspect a missing --model": (["inspect", "--model", "{missing_model}"], "no such file"),
    "train --export-dir a file": (["train", "--export-dir", "{a_file}"], "a file, not a folder"),
    "sweep --export-dir under a file": (["sweep", "--export-dir", "{a_file}/sub"], "a file, not a folder"),
    "compare --export-dir a file": (
        ["compare", str(FIXTURES / "run.jsonl"), "--export-dir", "{a_file}"],
        "a file, not a folder",
    ),
}


@pytest.mark.parametrize("name", list(BEFORE_THE_APP))
def test_bad_input_is_one_line_before_any_app_is_made(name, files, no_app, capsys):
    argv, expected = BEFORE_THE_APP[name]
    code, err = run_main([word.format(**files) for word in argv], capsys)
    assert code == 2
    _one_line(err, expected)


def test_custom_objects_that_cannot_parse_are_found_before_the_app(tmp_path, files, no_app, capsys):
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip archive: the model check passes, loading would not
    code, err = run_main(["inspect", "--model", str(model), "--custom-objects", files["broken_py"]], capsys)
    assert code == 2
    _one_line(err, "--custom-objects")
    assert "syntax error on line 1" in err


# Item 8: the app wrote escape codes into a redirected stream and waited for q forever.
@pytest.mark.parametrize(
    "argv, expected",
    [
        (["train", *QUICK], "no terminal: use --headless"),
        (["sweep", "--rates", "0,0.5", *QUICK], "no terminal: use --headless"),
        (["inspect", "--model", "{model}"], "no terminal: use --headless"),
        (["compare", str(FIXTURES / "run.jsonl")], "no terminal: use --headless"),
    ],
    ids=["train", "sweep", "inspect", "compare"],
)
def test_without_a_terminal_the_app_is_refused(tmp_path, monkeypatch, no_app, capsys, argv, expected):
    model = tmp_path / "m.keras"
    model.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    monkeypatch.chdir(tmp_path)
    code, err = run_main([word.format(model=model) for word in argv], capsys)
    assert code == 2
    _one_line(err, expected)
    assert not (tmp_path / "dropout-tui-export").exists(), "refused, yet it created the export folder"


# Item 9: --debug made bad input exit 1 with an uncaught DataError.
def test_debug_adds_the_traceback_and_keeps_exit_2(files, no_app, capsys):
    code, err = run_main(["train", "--headless", "--ood", files["ood_nan"], "--debug", *QUICK], capsys)
    assert code == 2
    assert "Traceback" in err and "DataError" in err
    last = err.splitlines()[-1]
    assert last.startswith("dropout-tui: error: --ood") and "NaN" in last


# Item 10.
@pytest.mark.parametrize("command", ["train", "sweep"])
def test_one_class_is_refused_in_train_and_sweep(tmp_path, no_app, capsys, command):
    data = _data(tmp_path, y_train=np.full(12, 7), y_test=np.full(6, 7))
    for headless in ([], ["--headless"]):
        code, err = run_main([command, "--data", data, *headless, *QUICK], capsys)
        assert code == 2
        _one_line(err, "every label is 7: one class; need at least 2")


def test_task_regression_on_class_labels_is_refused(no_app, capsys):
    code, err = run_main(["train", "--headless", "--task", "regression", *QUICK], capsys)
    assert code == 2
    _one_line(err, "digits: --task regression, but y_train holds integer class labels")


# Item 11.
@pytest.mark.parametrize("headless", [True, False], ids=["headless", "app"])
def test_an_unwritable_export_dir_is_said_at_start(no_app, capsys, headless):
    # /sys refuses new files even to root, which os.access would wave through.
    code, err = run_main(["train", "--export-dir", "/sys", *(["--headless"] if headless else []), *QUICK], capsys)
    assert code == 2
    _one_line(err, "--export-dir /sys: cannot write there: Permission denied")


def test_a_missing_export_dir_is_created_when_the_app_starts(tmp_path, monkeypatch, no_app, capsys):
    monkeypatch.setattr("dropout_tui.tui.cli.interactive.require_terminal", lambda command: None)
    folder = tmp_path / "new" / "exports"
    with pytest.raises(AppMade):
        cli.main(["train", "--export-dir", str(folder), *QUICK])
    assert folder.is_dir()


def test_headless_checks_the_export_dir_without_creating_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("dropout_tui.tui.cli.headless.run_headless", lambda *args, **kwargs: 0)
    folder = tmp_path / "new"
    assert run_main(["train", "--headless", "--export-dir", str(folder)], capsys) == (0, "")
    assert not folder.exists()


# Item 12.
def test_ood_on_regression_is_refused(tmp_path, no_app, capsys):
    data = _data(tmp_path, y_train=np.linspace(0, 1, 12), y_test=np.linspace(0, 1, 6))
    for headless in ([], ["--headless"]):
        code, err = run_main(["train", "--data", data, "--ood", "noise", *headless, *QUICK], capsys)
        assert code == 2
        _one_line(err, "--ood noise: out-of-distribution inputs are scored by the classification uncertainty")


def test_devices_says_all_is_an_answer(no_app, capsys):
    code, err = run_main(["train", "--devices", "abc"], capsys)
    assert code == 2
    _one_line(err, "--devices must be all or a positive integer up to 2147483647, got 'abc'")


@pytest.mark.parametrize("given", [["--rate", "0.3"], ["--rate=0.3"]])
def test_sweep_rate_points_to_rates(no_app, capsys, given):
    code, err = run_main(["sweep", *given], capsys)
    assert code == 2
    _one_line(err, "sweep takes no --rate: use --rates R,R,...")
