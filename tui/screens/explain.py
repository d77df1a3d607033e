"""The Explain screen and the app's one explain run behind it.

The experiments run in a thread worker that imports TensorFlow itself, so
opening the screen never blocks the UI. The run belongs to the app (ExplainJob),
not to the screen: its news goes through the app's buffer like the engine's
events, it goes on when the screen closes, its results are shown again when the
screen reopens, and `r` on the screen starts it again.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.explain.claims import CLAIMS
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.tui.cli.explain import claims_table
from dropout_tui.tui.keys import EXPLAIN as EXPLAIN_KEYS
from dropout_tui.tui.keys import bindings
from dropout_tui.tui.run_state import ClaimMeasured, ClaimStarted, ExplainFailed, ExplainFinished, ExplainState

TITLE = "Claims about test-time dropout, measured on your installed Keras"


def measure(
    seed: int,
    on_start: Callable[[int], None],
    on_result: Callable[[ClaimResult], None],
    should_stop: Callable[[], bool],
) -> ExplainReport | None:
    """Every experiment, in this (worker) thread; None when stopped early. Imports TensorFlow."""
    from dropout_tui.engine.explain.runner import ExplainCancelled, run_explain

    try:
        return run_explain(seed, on_start=on_start, on_result=on_result, should_stop=should_stop)
    except ExplainCancelled:
        return None


class ExplainJob:
    """The app's explain run: one at a time, its state (results) kept after the screen closes."""

    def __init__(self, app: App, put: Callable[[object], None], seed: int) -> None:
        self.state = ExplainState()
        self._app, self._put, self._seed = app, put, seed
        self._cancelled = threading.Event()

    def start(self) -> bool:
        """Start a run; False (and nothing started) while one is running."""
        if self.state.running:
            return False
        run = self.state.begin(time.monotonic())
        self._app.run_worker(
            lambda: self._measure(run), thread=True, group="explain", name="explain", exit_on_error=False
        )
        return True

    def cancel(self) -> None:
        """The app is quitting: the worker stops at the next claim."""
        self._cancelled.set()

    def _measure(self, run: int) -> None:
        put = self._put
        try:
            report = measure(
                self._seed,
                on_start=lambda claim_id: put(ClaimStarted(run, claim_id)),
                on_result=lambda result: put(ClaimMeasured(run, result)),
                should_stop=self._cancelled.is_set,
            )
        except Exception as error:  # shown on the screen, never a crash of the app
            put(ExplainFailed(run, describe_error(error), "".join(traceback.format_exception(error))))
            return
        if report is not None:
            put(ExplainFinished(run, report))


class ExplainScreen(Screen[None]):
    """Every claim with its measured verdict, drawn from the app's ExplainState as its news arrives."""

    BINDINGS = bindings(EXPLAIN_KEYS)
    DEFAULT_CSS = """
    ExplainScreen #explain-status { height: auto; padding: 0 1; }
    ExplainScreen #explain-progress { padding: 0 1; }
    ExplainScreen #explain-scroll { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, job: ExplainJob) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        yield Static("", id="explain-status")
        yield ProgressBar(total=len(CLAIMS), show_eta=False, id="explain-progress")
        with VerticalScroll(id="explain-scroll"):
            yield Static(id="explain-table")
        yield Footer()

    def on_mount(self) -> None:
        self.update_from(self.job.state)

    def update_from(self, state: ExplainState) -> None:
        self.query_one(ProgressBar).update(progress=len(state.results))
        self.query_one("#explain-status", Static).update(status_text(state))
        self.query_one("#explain-table", Static).update(claims_table(state.results, TITLE, state.running_claim))

    def action_rerun(self) -> None:
        if not self.job.start():
            self.notify("the experiments are running: r reruns them once they are done")
        self.update_from(self.job.state)

    def action_close(self) -> None:
        # The run goes on: reopening the screen shows where it got to.
        self.dismiss()


def status_text(state: ExplainState) -> Text:
    """Text, never markup: an error message with [brackets] must show as written."""
    if state.error is not None:
        return Text.assemble(("Explain failed: ", "bold red"), state.error, " (r runs it again)")
    if state.report is not None:
        report = state.report
        took = f" in {state.seconds:.1f} s" if state.seconds is not None else ""
        counts = ", ".join(f"{sum(c.verdict == v for c in report.claims)} {v}" for v in ("true", "false", "caveat"))
        return Text(
            f"Done{took} on Keras {report.keras}, TensorFlow {report.tensorflow}: {counts}. "
            "r runs it again; escape closes."
        )
    if state.running_claim is None:
        return Text("Importing TensorFlow...")
    claim = state.running_claim
    return Text(f"Claim {claim}/{len(CLAIMS)}: {CLAIMS[claim - 1].text} (the run goes on if you close this)")
