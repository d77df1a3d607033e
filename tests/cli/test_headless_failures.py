"""Run-time failures of headless mode, in-process: exit 1 and one stderr line, stdout still strict JSON."""

from __future__ import annotations

import errno
import json
import sys

import pytest

import dropout_tui.tui.cli as cli

pytestmark = [pytest.mark.training]

TINY = ["--hidden", "8", "--mc-samples", "2", "--repeats", "1", "--batch-size", "64"]


@pytest.fixture(autouse=True)
def keep_pytest_stderr(monkeypatch):
    # Headless moves fd 2 away for the rest of the process; pytest's capture needs it.
    monkeypatch.setattr("dropout_tui.engine.quiet.redirect_native_stderr", lambda: None)


def test_diverging_learning_rate_fails_naming_epoch_and_batch(capsys):
    code = cli.main(["train", "--headless", "--epochs", "2", "--lr", "1e30", *TINY])
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    failed = events[-1]
    assert code == 1 and failed["event"] == "failed"
    assert failed["epoch"] == 1 and failed["batch"] >= 1
    assert f"epoch 1, batch {failed['batch']}" in failed["message"]
    assert captured.err == f"dropout-tui: failed: {failed['message']}\n"
    assert not any(event["event"] in ("epoch_end", "summary") for event in events)


class _FullDisk:
    """A stdout whose every write fails as on a full disk (`> /dev/full`)."""

    def __init__(self, fileno: int) -> None:
        self._fileno = fileno

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fileno


def test_stdout_on_a_full_disk_is_one_line_and_exit_1(capsys, monkeypatch, tmp_path):
    spare = open(tmp_path / "stands-in-for-fd-1", "w")  # headless points the failed stdout's fd at /dev/null
    monkeypatch.setattr(sys, "stdout", _FullDisk(spare.fileno()))
    try:
        code = cli.main(["train", "--headless", "--epochs", "30", *TINY])
    finally:
        spare.close()
    assert code == 1
    assert capsys.readouterr().err == "dropout-tui: error: cannot write to stdout: No space left on device\n"
