"""One fact, one place: README's key and mode tables, the bindings, the footer, the palette and the help screen
all come from tui/keys.py's KEYS and the engine's mode registry, and say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.evaluation.modes import MODES
from dropout_tui.tui import explain_job
from dropout_tui.tui import keys as keytable
from dropout_tui.tui.app import DropoutApp, create_app
from dropout_tui.tui.keys import EVERYWHERE, EXPLAIN, HELP, KEYS, MAIN, UNCERTAINTY
from dropout_tui.tui.screens.explain import ExplainScreen
from dropout_tui.tui.screens.help import HelpScreen
from dropout_tui.tui.screens.main import MainScreen
from dropout_tui.tui.screens.uncertainty import UncertaintyScreen
from tests.support import eventkit as ev
from tests.support.contract import readme_mode_table
from tests.support.eventkit import screen_text

# The training app's screens; other apps' keys in the same table (dropout-tui sweep) have their own tests.
OWNERS = {MAIN: DropoutApp, EVERYWHERE: DropoutApp, EXPLAIN: ExplainScreen, UNCERTAINTY: UncertaintyScreen}
OWNERS[HELP] = HelpScreen
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _table_after(heading: str, first_cell: str) -> list[str]:
    """The rows of the first Markdown table under ``heading`` whose header starts with ``first_cell``."""
    section = README[README.index(heading) :]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_cell} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _app(tmp_path, events=None) -> DropoutApp:
    events = events if events is not None else [ev.run_started(), *ev.epoch(1), ev.probe()]
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=events)
    app.animation_level = "none"
    return app


def test_readme_key_table_is_the_key_table():
    assert "\n".join(_table_after("## The app", "key")) == keytable.markdown_table()


def test_readme_mode_table_is_the_engine_registry():
    assert readme_mode_table() == _table_after("## Evaluation modes", "mode")


def test_every_binding_comes_from_the_key_table():
    def pairs(bindings) -> set[tuple[str, str]]:
        return {(binding.key, binding.action) for binding in bindings}

    def table(*where: str) -> set[tuple[str, str]]:
        return {(k.key, k.action) for k in KEYS if k.where in where and k.action != keytable.COMMAND_PALETTE}

    assert pairs(DropoutApp.BINDINGS) == table(EVERYWHERE)
    # The main screen's keys run the app's actions, and are live only while that screen is on top.
    assert {(key, action.removeprefix("app.")) for key, action in pairs(MainScreen.BINDINGS)} == table(MAIN, EVERYWHERE)
    assert all(binding.action.startswith("app.") for binding in MainScreen.BINDINGS)
    assert pairs(ExplainScreen.BINDINGS) == table(EXPLAIN)
    assert pairs(UncertaintyScreen.BINDINGS) == table(UNCERTAINTY)
    assert pairs(HelpScreen.BINDINGS) == table(HELP)
    for key in KEYS:  # every action the table names exists where it applies
        if key.where in OWNERS:
            assert hasattr(OWNERS[key.where], f"action_{key.action_name}"), key


def test_no_key_means_two_things_on_one_screen():
    everywhere = {k.key for k in KEYS if k.where == EVERYWHERE}
    for where in OWNERS:
        keys = [k.key for k in KEYS if k.where == where]
        assert len(keys) == len(set(keys)), where
        for key in KEYS:  # a screen may take an everywhere key over only to close itself (? on the help)
            if key.where == where and where != EVERYWHERE and key.key in everywhere:
                assert key.action in ("close", "dismiss"), key


async def test_the_palette_offers_the_keys_of_the_screen_it_was_opened_on(tmp_path, monkeypatch):
    monkeypatch.setattr(explain_job, "measure", ev.FakeExplain())
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        main = [c.title for c in app.get_system_commands(app.screen)]
        for key in KEYS:
            if key.where in (MAIN, EVERYWHERE) and key.action != keytable.COMMAND_PALETTE:
                assert any(title.endswith(f"({key.shown})") for title in main), key
        assert "Help (?)" in main and not any("question_mark" in title for title in main)
        await pilot.press("w")
        await pilot.pause()
        explain = [c.title for c in app.get_system_commands(app.screen)]
        assert "Rerun (r)" in explain and "Pause (space)" not in explain and "Help (?)" in explain
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Close (escape)")
        await command.callback()
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert "Uncertainty: calibration, OOD (c)" in main
        await pilot.press("c")
        await pilot.pause()
        uncertainty = [c.title for c in app.get_system_commands(app.screen)]
        assert "Export (e)" in uncertainty and "Close (escape)" in uncertainty and "Pause (space)" not in uncertainty
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Close (escape)")
        await command.callback()
        await pilot.pause()
        assert app.screen is app.screen_stack[0]


async def test_the_explain_screen_footer_offers_its_own_keys_only(tmp_path, monkeypatch):
    monkeypatch.setattr(explain_job, "measure", ev.FakeExplain())
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Rerun" in footer and "Close" in footer
        for word in ("Pause", "Rate", "Export", "Why"):
            assert word not in footer
        await pilot.press("space", "plus", "x")  # the main screen's keys do nothing here
        assert app.controls.pending_commands() == [] and not app.controls.stop_requested


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_help_screen_fits_and_shows_every_key_and_mode(tmp_path, size):
    app = _app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        assert box.max_scroll_y == 0, "the help scrolls: something is below the fold"
        assert box.region.bottom <= size[1]
        text = screen_text(app)
        assert "…" not in text
        for key in KEYS:
            if key.where in (MAIN, EVERYWHERE):
                assert re.search(rf"{re.escape(key.shown)}\s+{re.escape(key.description)}", text), key
        for mode in MODES:
            assert mode.name in text
        assert "Explain: r rerun · Uncertainty: e export · escape, q (or w, c) close them" in text
        frame_bottom = text.splitlines()[box.region.bottom - 1]
        assert "escape, ? or q close this screen" in frame_bottom
        await pilot.press("q")
        assert app.screen is app.screen_stack[0] and app.is_running  # q closes the help; it does not quit
