"""The footer shows the keys while the app is blurred: in a browser (`dropout-tui serve`) the app starts blurred."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets._footer import FooterKey

from tests.support import eventkit as ev
from tests.support.apps import replay_app, until

TUI = Path(__file__).resolve().parents[2] / "tui"


async def test_the_footer_lists_the_keys_before_the_app_ever_had_focus(tmp_path) -> None:
    app = replay_app(tmp_path, [ev.run_started()])
    app.set_reactive(App.app_focus, False)  # as textual-serve's driver leaves it at start-up
    async with app.run_test() as pilot:
        await pilot.pause()
        keys = {key.description for key in app.screen.query(FooterKey)}
        assert {"Quit", "Pause"} <= keys, keys


def test_every_screen_uses_the_footer_that_draws_while_blurred() -> None:
    for module in TUI.rglob("*.py"):
        if module == TUI / "panes" / "footer.py":
            continue
        text = module.read_text(encoding="utf-8")
        assert "from textual.widgets import Footer" not in text and "widgets import Footer," not in text, module


async def test_the_footer_rebuilds_its_keys_only_when_they_change(tmp_path) -> None:
    """A screen signals its bindings several times for one change; rebuilding the same keys each time was a
    fifth of the first frame's work."""
    app = replay_app(tmp_path, [ev.run_started()])
    async with app.run_test() as pilot:
        await pilot.pause()
        before = list(app.screen.query(FooterKey))
        for _ in range(3):
            app.screen.refresh_bindings()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == before  # the very same widgets: nothing was rebuilt
        await pilot.press("space")
        await pilot.pause()
        keys = {key.description for key in app.screen.query(FooterKey)}
        assert "Resume" in keys and "Pause" not in keys, keys


async def test_a_rebuild_builds_each_key_as_it_stays_and_restyles_none(tmp_path) -> None:
    """Textual's keys start compact and are then bound to the footer's setting: two restyles of each key on
    every rebuild, for nothing. (The command palette's key is not bound: it stays compact, as Textual has it.)"""
    app = replay_app(tmp_path, [ev.run_started()])
    async with app.run_test() as pilot:
        await pilot.pause()
        restyled: list[object] = []
        update_styles = app.update_styles

        def record(node, animate: bool = True) -> None:
            restyled.append(node)
            update_styles(node, animate=animate)

        app.update_styles = record  # type: ignore[method-assign]
        await pilot.press("space")
        await until(pilot, lambda: "Resume" in {key.description for key in app.screen.query(FooterKey)})
        bound = [key for key in app.screen.query(FooterKey) if not key.has_class("-command-palette")]
        assert bound and not any(key.has_class("-compact") for key in bound)
        assert not [node for node in restyled if node in bound], restyled
