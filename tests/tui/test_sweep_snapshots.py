"""Snapshots of the sweep app replaying a recorded sweep: no TensorFlow, same pixels every time.

fixtures/sweep.jsonl is a real `sweep --headless` run (see fixtures/README.md). A replay takes its elapsed
time from the events, never the clock, and animations are off, so a changed SVG means the UI changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.sweep.app import SweepApp

SWEEP = Path(__file__).parent / "fixtures" / "sweep.jsonl"


def _app(tmp_path):
    app = SweepApp(RunConfig(epochs=3, seed=0), rates=(0.0, 0.2, 0.5), export_dir=tmp_path, replay=SWEEP)
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_recorded_sweep(snap_compare, tmp_path, size):
    assert snap_compare(_app(tmp_path), terminal_size=size)


def test_recorded_sweep_dropout_penalty_chart(snap_compare, tmp_path):
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["m", "m"])
