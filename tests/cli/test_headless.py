"""`dropout-tui train --headless` in a subprocess: the JSON-lines contract and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.contract import MODE_KEYS, SUMMARY_KEYS

pytestmark = [pytest.mark.subprocess]

TINY = ["--hidden", "16", "--batch-size", "64", "--mc-samples", "5", "--repeats", "2"]


def _cli(*args: str, cwd=None, shell_suffix: str = "") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dropout_tui.tui.cli", *args]
    env = {**os.environ, "TERM": "xterm-256color"}
    if shell_suffix:
        line = " ".join(f"'{part}'" for part in command) + shell_suffix
        return subprocess.run(
            ["bash", "-c", line], capture_output=True, text=True, timeout=180, env=env, stdin=subprocess.DEVNULL
        )
    return subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=env, stdin=subprocess.DEVNULL, cwd=cwd
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    output = tmp_path_factory.mktemp("headless") / "run.jsonl"
    result = _cli("train", "--headless", "--epochs", "2", *TINY, "--output", str(output))
    return result, output


def test_success_exit_code_and_clean_streams(run):
    result, _ = run
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout


def test_every_line_is_json_and_the_last_is_the_summary(run):
    result, output = run
    lines = result.stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0] == {"event": "status", "state": "loading", "message": "loading data"}
    names = [e["event"] for e in events]
    for name in ("run_started", "batch_losses", "epoch_end", "mode_evaluation", "sample_probe", "finished"):
        assert name in names
    summary = events[-1]
    assert set(summary) == SUMMARY_KEYS
    assert summary["dataset"] == "digits" and summary["n_train"] == 1437 and summary["epochs_run"] == 2
    assert {name: set(values) for name, values in summary["modes"].items()} == MODE_KEYS
    assert summary["modes"]["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    assert summary["modes"]["mc"]["samples"] == 5
    assert output.read_text() == result.stdout  # --output holds the same stream


def test_tensorflow_start_up_lines_become_log_events(run):
    result, _ = run
    logs = [json.loads(line) for line in result.stdout.splitlines() if '"event": "log"' in line]
    assert all(set(entry) == {"event", "level", "message"} for entry in logs)


def test_diverging_loss_exits_1_with_one_line():
    result = _cli("train", "--headless", "--epochs", "1", *TINY, "--lr", "1e30")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "epoch 1, batch" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["event"] == "failed"


def test_closed_stdout_exits_quietly():
    result = _cli("train", "--headless", "--epochs", "30", shell_suffix=" | head -1; exit ${PIPESTATUS[0]}")
    assert result.returncode == 0
    assert json.loads(result.stdout)["event"] == "status"
    assert result.stderr == ""


def _bad_npz(tmp_path: Path) -> str:
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros((4, 3)), y_train=np.arange(5), x_test=np.zeros((2, 3)), y_test=np.arange(2))
    return str(path)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--rate", "1.5"], "--rate must be in [0, 1)"),
        (["--epochs", "0"], "--epochs must be a positive integer"),
        (["--data", "{tmp}/missing.npz"], "no such file"),
        (["--data", "{tmp}"], "is a directory"),
        (["--data", "{bad}"], "x_train has 4 samples but y_train has 5"),
        (["--probe-index", "360"], "--probe-index 360 is out of range"),
        (["--output", "{tmp}/no/such/dir/run.jsonl"], "--output"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, expected):
    args = [a.format(tmp=tmp_path, bad=_bad_npz(tmp_path)) for a in args]
    result = _cli("train", "--headless", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    for line in result.stdout.splitlines():
        json.loads(line)


def test_debug_shows_the_traceback(tmp_path):
    result = _cli("train", "--headless", "--debug", "--data", str(tmp_path / "missing.npz"))
    assert result.returncode != 0 and "Traceback" in result.stderr
