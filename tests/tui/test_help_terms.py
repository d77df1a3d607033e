"""`?` on every screen: that screen's keys, then one line for each figure it shows, from tui/glossary.py.

The main screen's keys and modes still fit 80x24 on their own; its terms are a scroll away.
"""

from __future__ import annotations

from rich.console import Console
from textual.widgets import Static

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui import explain_job
from dropout_tui.tui import glossary as g
from dropout_tui.tui.app import create_app
from dropout_tui.tui.screens.help import HELP_ROWS, HelpScreen
from dropout_tui.tui.sweep.app import SweepHelp
from tests.support import eventkit as ev
from tests.support.eventkit import screen_text
from tests.tui.test_sweep_app import _app as sweep_app
from tests.tui.test_tui_snapshots import RUN

REGRESSION = RUN.parent / "regression.jsonl"
SCREENS = {
    "main (classification)": g.CLASSIFICATION_MAIN_TERMS,
    "main (regression)": g.REGRESSION_MAIN_TERMS,
    "Uncertainty": g.UNCERTAINTY_TERMS,
    "Uncertainty (regression)": g.REGRESSION_TERMS,
    "sweep / compare": g.SWEEP_TERMS,
    "Explain": g.EXPLAIN_TERMS,
}


def test_every_screens_terms_are_defined_once_and_every_definition_is_shown():
    for screen, terms in SCREENS.items():
        assert len(set(terms)) == len(terms), screen
        assert set(terms) <= set(g.GLOSSARY), (screen, set(terms) - set(g.GLOSSARY))
    assert {term for terms in SCREENS.values() for term in terms} == set(g.GLOSSARY)  # no entry nobody shows


def _terms_text(app) -> str:
    """The help's terms as plain text, one entry a line at any width."""
    out = Console(width=400, color_system=None, record=True)
    out.print(app.screen.query_one("#help-terms", Static).content)
    return out.export_text()


def _shows_exactly(app, terms: tuple[str, ...]) -> None:
    lines = [line.rstrip() for line in _terms_text(app).splitlines()[2:] if line.strip()]
    assert len(lines) == len(terms)
    for line, term in zip(lines, terms, strict=True):  # one line each, in the screen's order
        assert line.startswith(term + " ") and line.endswith(g.GLOSSARY[term]), (term, line)


def _app(tmp_path, replay):
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=replay)
    app.animation_level = "none"
    return app


async def _press_each(pilot, *keys: str) -> None:
    """Let the app settle, then each key in turn, settling after each (a screen opens on each of them)."""
    await pilot.pause()
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def test_main_help_fits_80x24_and_its_terms_are_a_scroll_away(tmp_path):
    app = _app(tmp_path, RUN)
    async with app.run_test(size=(80, 24)) as pilot:
        await _press_each(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        box, keys = app.screen.query_one("#help-box"), app.screen.query_one("#help-text")
        assert box.region.height == 24 and keys.region.height <= HELP_ROWS  # the keys and modes: one page
        first = screen_text(app)
        assert "quit (exit 0, or 1 if failed)" in first and "mean of T dropout_only passes" in first
        assert "Terms on this screen" not in first and "↓ PgDn: terms" in first
        _shows_exactly(app, g.CLASSIFICATION_MAIN_TERMS)
        await pilot.press("end")
        await pilot.pause()
        last = " ".join(screen_text(app).split())
        assert "trend the figure over the evaluation rounds so far" in last  # the last term, scrolled into view
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_a_regression_runs_main_help_defines_its_own_figures(tmp_path):
    app = _app(tmp_path, REGRESSION)
    async with app.run_test(size=(80, 24)) as pilot:
        await _press_each(pilot, "question_mark")
        _shows_exactly(app, g.REGRESSION_MAIN_TERMS)


async def test_the_regression_uncertainty_screens_help_is_its_own(tmp_path):
    app = _app(tmp_path, REGRESSION)
    async with app.run_test(size=(80, 24)) as pilot:
        await _press_each(pilot, "c", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen_text(app).split())
        assert "Uncertainty (regression): keys and terms" in text and "quit (exit 0" not in text
        keys = str(app.screen.query_one("#help-text", Static).content)
        assert keys == "e export JSON + SVG + CSV of this screen · escape, c or q close this screen"  # its keys only
        assert "miscal miscalibration area" in text
        _shows_exactly(app, g.REGRESSION_TERMS)


async def test_the_uncertainty_screens_help(tmp_path):
    app = _app(tmp_path, RUN)
    async with app.run_test(size=(80, 24)) as pilot:
        await _press_each(pilot, "c", "question_mark")
        assert "m reliability diagram: next method" in str(app.screen.query_one("#help-text", Static).content)
        _shows_exactly(app, g.UNCERTAINTY_TERMS)


async def test_the_explain_screens_help(tmp_path, monkeypatch):
    monkeypatch.setattr(explain_job, "measure", ev.FakeExplain())
    app = _app(tmp_path, [ev.run_started(), *ev.epoch(1)])
    async with app.run_test(size=(80, 24)) as pilot:
        await _press_each(pilot, "w", "question_mark")
        text = " ".join(screen_text(app).split())
        assert "Explain: keys and terms" in text and "r rerun the experiments" in text
        _shows_exactly(app, g.EXPLAIN_TERMS)


async def test_the_sweeps_help(tmp_path):
    app = sweep_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, SweepHelp)
        _shows_exactly(app, g.SWEEP_TERMS)
