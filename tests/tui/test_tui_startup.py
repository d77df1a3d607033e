"""The first frame must not wait for TensorFlow: nothing on the start path imports it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dropout_tui.engine.events import LogRecord
from dropout_tui.tui.collector import YOUNG_OBJECTS_BEFORE_COLLECTION
from dropout_tui.tui.panes.log import LogPane
from tests.support import eventkit as ev
from tests.support.apps import replay_app, until
from tests.support.eventkit import screen_text

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys, time
    start = time.perf_counter()
    from dropout_tui.engine.config import RunConfig
    from dropout_tui.tui.app import DropoutApp, create_app
    from textual.widgets import Static

    seen = {}

    def fake_engine(self):
        # Where the real worker would import dropout_tui.engine.run.session (and TensorFlow).
        seen["at_worker_start"] = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))

    DropoutApp._run_engine = fake_engine

    async def main():
        app = create_app(RunConfig(epochs=1))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            seen["first_frame_s"] = time.perf_counter() - start
            seen["status"] = str(app.query_one("#status-line", Static).render())
            seen["config"] = str(app.query_one("#config-line", Static).render())
            seen["after_frame"] = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
            seen["engine_session"] = "dropout_tui.engine.run.session" in sys.modules

    asyncio.run(main())
    print(json.dumps(seen))
""")


@pytest.mark.subprocess
def test_start_path_imports_no_tensorflow():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["at_worker_start"] == []
    assert seen["after_frame"] == []
    assert seen["engine_session"] is False
    assert seen["status"].startswith("loading TensorFlow")
    assert "train digits" in seen["config"] and "epochs 1" in seen["config"]
    # The 1 s target is measured in bench/; here only a first frame stuck behind TensorFlow's import fails.
    assert seen["first_frame_s"] < 10.0, seen


LATER = (
    "numpy",
    "textual_plot",
    "textual.widgets._rich_log",  # with rich.pretty, about 17 ms: the log's view mounts after the first frame
    "dropout_tui.tui.screens.uncertainty",
    "dropout_tui.tui.screens.explain",
)


@pytest.mark.subprocess
def test_the_app_module_imports_only_what_the_first_frame_draws():
    # The loss chart (textual-plot, NumPy) and the log's view mount after the first frame; the screens load when
    # first opened.
    script = f"import sys, dropout_tui.tui.app; print([m for m in {LATER!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_the_loss_chart_arrives_after_the_first_frame(tmp_path):
    app = replay_app(tmp_path, [ev.run_started(), *ev.epoch(1)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert type(app.query_one("#loss-plot")).__name__ == "LossPlot"
        assert "┫" in screen_text(app)  # its axis is drawn, with the epoch already replayed


@pytest.mark.subprocess
def test_the_command_line_collects_young_objects_less_often_from_its_first_import():
    # Set before the CLI's own imports (tui/collector.py): start-up's allocations are most of what it saves.
    script = "import gc; import dropout_tui.tui.cli; print(gc.get_threshold()[0])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == YOUNG_OBJECTS_BEFORE_COLLECTION != 700


async def test_the_log_view_arrives_after_the_first_frame_with_the_lines_logged_before_it(tmp_path):
    app = replay_app(tmp_path, [ev.run_started(), LogRecord("WARNING", "logged before the view")])
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LogPane)
        assert pane.view is None and "Log" in screen_text(app)  # the first frame is drawn without it
        await until(pilot, lambda: pane.view is not None and pane.view.is_mounted)
        await until(pilot, lambda: "WARNING: logged before the view" in screen_text(app))
        print("stray")  # the app captures print()s into the log from start-up on
        await until(pilot, lambda: "stray" in screen_text(app))
