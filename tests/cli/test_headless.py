"""`dropout-tui train --headless` in a subprocess: the JSON-lines contract and exit codes (the two-epoch run is
`headless_runs`, tests/cli/conftest.py, which the schema tests read too)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.support.contract import MODE_KEYS, SUMMARY_KEYS
from tests.support.runs import TINY, run_cli

pytestmark = [pytest.mark.subprocess]


# A colour terminal: the headless output holds no escape code even where the terminal could show them.
TERM = "xterm-256color"


def test_success_exit_code_and_clean_streams(headless_runs):
    code, out, err = headless_runs["classification"]
    assert code == 0, err
    assert err == ""
    assert "\x1b" not in out


def test_every_line_is_json_and_the_last_is_the_summary(headless_runs):
    _, out, _ = headless_runs["classification"]
    lines = out.splitlines()
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
    assert headless_runs["output"] == out  # --output holds the same stream


def test_tensorflow_start_up_lines_become_log_events(headless_runs):
    _, out, _ = headless_runs["classification"]
    logs = [json.loads(line) for line in out.splitlines() if '"event": "log"' in line]
    assert all(set(entry) == {"event", "level", "message"} for entry in logs)


def test_diverging_loss_exits_1_with_one_line():
    code, out, err = run_cli("train", "--headless", "--epochs", "1", *TINY, "--lr", "1e30", term=TERM)
    assert code == 1
    assert err.count("\n") == 1 and "epoch 1, batch" in err and "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["event"] == "failed"


def test_closed_stdout_exits_quietly():
    code, out, err = run_cli(
        "train", "--headless", "--epochs", "30", term=TERM, then=" | head -1; exit ${PIPESTATUS[0]}"
    )
    assert code == 0
    assert json.loads(out)["event"] == "status"
    assert err == ""


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
    code, out, err = run_cli("train", "--headless", *args, term=TERM)
    assert code == 2
    assert err.count("\n") == 1 and expected in err, err
    assert "Traceback" not in err
    for line in out.splitlines():
        json.loads(line)


def test_debug_shows_the_traceback(tmp_path):
    code, _, err = run_cli("train", "--headless", "--debug", "--data", str(tmp_path / "missing.npz"), term=TERM)
    assert code != 0 and "Traceback" in err
