"""Snapshots of the app replaying a recorded run: no TensorFlow, same pixels every time.

The streams in fixtures/ are real headless runs (see fixtures/README.md): run.jsonl a classifier with OOD inputs,
regression.jsonl a regressor. Replay
frames take elapsed time from the events, never the clock, and animations are
off, so a changed SVG means the UI changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.app import create_app

RUN = Path(__file__).parent / "fixtures" / "run.jsonl"
REGRESSION = Path(__file__).parent / "fixtures" / "regression.jsonl"


def _app(tmp_path, stream: Path = RUN, **config):
    app = create_app(RunConfig(epochs=3, seed=0, ood="noise", **config), export_dir=tmp_path, replay=stream)
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_recorded_run(snap_compare, tmp_path, size):
    assert snap_compare(_app(tmp_path), terminal_size=size)


def test_help_screen(snap_compare, tmp_path):
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["question_mark"])


def test_log_toggle_on_a_narrow_terminal(snap_compare, tmp_path):
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["l"])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_uncertainty_screen(snap_compare, tmp_path, size):
    assert snap_compare(_app(tmp_path), terminal_size=size, press=["c"])


def test_regression_run(snap_compare, tmp_path):
    app = _app(tmp_path, REGRESSION, data_path="it.npz", task="regression")
    assert snap_compare(app, terminal_size=(80, 24))


def test_regression_uncertainty_screen(snap_compare, tmp_path):
    app = _app(tmp_path, REGRESSION, data_path="it.npz", task="regression")
    assert snap_compare(app, terminal_size=(80, 24), press=["c"])
