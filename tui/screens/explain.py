"""The Explain screen: every common claim about test-time dropout, tested live.

The experiments run in a thread worker that imports TensorFlow itself, so
pushing the screen never blocks the UI. Each claim's result arrives as a
message and the table fills in row by row.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import get_current_worker

from dropout_tui.engine.explain.report import CLAIM_TEXTS, ClaimResult, ExplainReport
from dropout_tui.tui.explain_cli import claims_table

TITLE = "Claims about test-time dropout, measured on your installed Keras"


class ClaimStarted(Message):
    def __init__(self, claim_id: int) -> None:
        super().__init__()
        self.claim_id = claim_id


class ClaimMeasured(Message):
    def __init__(self, result: ClaimResult) -> None:
        super().__init__()
        self.result = result


class ExplainFinished(Message):
    def __init__(self, report: ExplainReport) -> None:
        super().__init__()
        self.report = report


class ExplainFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ExplainScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close")]
    DEFAULT_CSS = """
    ExplainScreen #explain-status { height: auto; padding: 0 1; }
    ExplainScreen #explain-progress { padding: 0 1; }
    ExplainScreen #explain-scroll { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, report: ExplainReport | None = None, seed: int = 0) -> None:
        """``report``: show an already measured report instead of running the experiments."""
        super().__init__()
        self._report = report
        self._seed = seed
        self._results: list[ClaimResult] = []
        self._running_claim: int | None = None
        self._began = time.perf_counter()

    def compose(self) -> ComposeResult:
        yield Static("Importing TensorFlow...", id="explain-status")
        yield ProgressBar(total=len(CLAIM_TEXTS), show_eta=False, id="explain-progress")
        with VerticalScroll(id="explain-scroll"):
            yield Static(id="explain-table")
        yield Footer()

    def on_mount(self) -> None:
        if self._report is not None:
            self._show_report(self._report)
        else:
            self._redraw()
            self._measure()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _measure(self) -> None:
        worker = get_current_worker()
        try:
            from dropout_tui.engine.explain.runner import ExplainCancelled, run_explain

            report = run_explain(
                self._seed,
                on_start=lambda claim_id: self.post_message(ClaimStarted(claim_id)),
                on_result=lambda result: self.post_message(ClaimMeasured(result)),
                should_stop=lambda: worker.is_cancelled,
            )
        except ExplainCancelled:
            return
        except Exception as error:  # shown on the screen, never a crash of the app
            self.post_message(ExplainFailed(" ".join(f"{type(error).__name__}: {error}".split())))
            return
        self.post_message(ExplainFinished(report))

    def on_claim_started(self, message: ClaimStarted) -> None:
        self._running_claim = message.claim_id
        self._status(f"Claim {message.claim_id}/{len(CLAIM_TEXTS)}: {CLAIM_TEXTS[message.claim_id - 1]}")
        self._redraw()

    def on_claim_measured(self, message: ClaimMeasured) -> None:
        self._results.append(message.result)
        self.query_one(ProgressBar).update(progress=len(self._results))
        self._redraw()

    def on_explain_finished(self, message: ExplainFinished) -> None:
        self._show_report(message.report, seconds=time.perf_counter() - self._began)

    def on_explain_failed(self, message: ExplainFailed) -> None:
        self._running_claim = None
        self._status(Text.assemble(("Explain failed: ", "bold red"), message.error))
        self._redraw()

    def _show_report(self, report: ExplainReport, seconds: float | None = None) -> None:
        self._results = list(report.claims)
        self._running_claim = None
        self.query_one(ProgressBar).update(progress=len(self._results))
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        counts = ", ".join(f"{sum(c.verdict == v for c in report.claims)} {v}" for v in ("true", "false", "caveat"))
        self._status(
            f"Done{took} on Keras {report.keras}, TensorFlow {report.tensorflow}: {counts}. Escape or q closes."
        )
        self._redraw()

    def _status(self, text: str | Text) -> None:
        # Plain strings become Text so an error message with [brackets] is never read as markup.
        text = Text(text) if isinstance(text, str) else text
        self.query_one("#explain-status", Static).update(text)

    def _redraw(self) -> None:
        self.query_one("#explain-table", Static).update(claims_table(self._results, TITLE, self._running_claim))

    def action_close(self) -> None:
        # Closing mid-run: the worker stops at the next claim boundary.
        self.workers.cancel_node(self)
        self.dismiss()
