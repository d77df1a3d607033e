"""Snapshots of the app replaying a recorded run: no TensorFlow, same pixels every time.

The stream in fixtures/run.jsonl is a real headless run (see fixtures/README.md). Replay
frames take elapsed time from the events, never the clock, and animations are
off, so a changed SVG means the UI changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.app import create_app

RUN = Path(__file__).parent / "fixtures" / "run.jsonl"


def _app(tmp_path):
    app = create_app(RunConfig(epochs=3, seed=0), export_dir=tmp_path, replay=RUN)
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_recorded_run(snap_compare, tmp_path, size):
    assert snap_compare(_app(tmp_path), terminal_size=size)


def test_help_screen(snap_compare, tmp_path):
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["question_mark"])


def test_log_toggle_on_a_narrow_terminal(snap_compare, tmp_path):
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["l"])
