"""The train app as the UI tests drive it: fed a recorded or hand-built event stream, read as text."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.app import DropoutApp, create_app


def replay_app(tmp_path, events, **config) -> DropoutApp:
    """An app that shows ``events`` instead of training (5 epochs unless ``config`` says otherwise)."""
    app = create_app(RunConfig(**{"epochs": 5, **config}), export_dir=tmp_path / "export", replay=events)
    app.animation_level = "none"
    return app


def widget_text(app: DropoutApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``condition`` holds. The panes redraw on a tick, and the costly ones at most twice a
    second (tui/redraw.py): a fixed pause is either long or, on a loaded machine, too short."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)
