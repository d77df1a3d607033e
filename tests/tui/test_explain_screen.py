"""The Explain screen in a tiny host app: a given report, a real run in the worker, closing early."""

import io

from textual.app import App
from textual.widgets import ProgressBar, Static

from dropout_tui.tui.screens.explain import ExplainScreen


class Host(App):
    def __init__(self, screen: ExplainScreen) -> None:
        super().__init__()
        self._explain = screen

    def on_mount(self) -> None:
        self.push_screen(self._explain)


def _table_text(screen: ExplainScreen) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(screen.query_one("#explain-table", Static).content)
    return out.getvalue()


def _status(screen: ExplainScreen) -> str:
    return str(screen.query_one("#explain-status", Static).content)


async def test_shows_a_measured_report_and_closes_with_escape(explain_report):
    screen = ExplainScreen(report=explain_report)
    app = Host(screen)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        table = _table_text(screen)
        for claim in explain_report.claims:
            assert claim.verdict.upper() in table
        assert table.count("FALSE") == 4 and "pending" not in table
        assert _status(screen).startswith("Done on Keras 3.")
        assert screen.query_one(ProgressBar).progress == 8
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


async def test_runs_the_experiments_in_a_worker_claim_by_claim(explain_report):
    screen = ExplainScreen()
    app = Host(screen)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert "pending" in _table_text(screen)  # the first frame does not wait for TensorFlow
        for _ in range(1200):
            if _status(screen).startswith("Done"):
                break
            await pilot.pause(0.1)
        assert _status(screen).startswith("Done in ")
        assert [c.verdict for c in screen._results] == [c.verdict for c in explain_report.claims]
        table = _table_text(screen)
        assert "pending" not in table and "running" not in table
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is not screen


async def test_closing_mid_run_cancels_the_worker():
    screen = ExplainScreen()
    app = Host(screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        worker = next(iter(app.workers))
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is not screen
        # The thread itself stops at the next claim boundary (run_explain's should_stop).
        assert worker.is_cancelled
        assert len(screen._results) < 8
