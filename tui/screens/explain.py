"""The Explain screen: the app's one explain run (tui/explain_job.py) as its news arrives; `r` starts it again.

Imported when `w` first opens it: nothing of it is on the first frame's path.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from dropout_tui.engine import backends
from dropout_tui.tui.claims_table import claims_table
from dropout_tui.tui.explain_job import ExplainJob
from dropout_tui.tui.keys import EXPLAIN as EXPLAIN_KEYS
from dropout_tui.tui.keys import bindings
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.redraw import EXPLAIN as EXPLAIN_NEWS
from dropout_tui.tui.run_state import ExplainState

TITLE = "Claims about test-time dropout, measured on your installed Keras"


class ExplainScreen(Screen[None]):
    """Every claim with its measured verdict, drawn from the app's ExplainState as its news arrives."""

    KEYS_WHERE = EXPLAIN_KEYS  # the palette offers the keys of tui/keys.py for this screen
    BINDINGS = bindings(EXPLAIN_KEYS)
    draws: ClassVar[frozenset[str]] = frozenset({EXPLAIN_NEWS})
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
        yield ProgressBar(total=len(self.job.claims), show_eta=False, id="explain-progress")
        with VerticalScroll(id="explain-scroll"):
            yield Static(id="explain-table")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        self.update_from(self.job.state)

    def on_resize(self) -> None:
        self.redraw()  # narrow or wide, the table lays its claims out for the width

    def update_from(self, state: ExplainState) -> None:
        self.query_one(ProgressBar).update(progress=len(state.results))
        self.query_one("#explain-status", Static).update(status_text(state, self.job))
        table = claims_table(
            state.results, TITLE, state.running_claim, width=self.size.width or None, claims=self.job.claims
        )
        self.query_one("#explain-table", Static).update(table)

    def action_rerun(self) -> None:
        if not self.job.start():
            self.notify("the experiments are running: r reruns them once they are done")
        self.update_from(self.job.state)

    def action_close(self) -> None:
        # The run goes on: reopening the screen shows where it got to.
        self.dismiss()


def status_text(state: ExplainState, job: ExplainJob) -> Text:
    """Text, never markup: an error message with [brackets] must show as written."""
    if state.error is not None:
        return Text.assemble(("Explain failed: ", "bold red"), state.error, " (r runs it again)")
    if state.report is not None:
        report = state.report
        took = f" in {state.seconds:.1f} s" if state.seconds is not None else ""
        counts = ", ".join(f"{sum(c.verdict == v for c in report.claims)} {v}" for v in ("true", "false", "caveat"))
        return Text(f"Done{took} on {report.versions}: {counts}. r runs it again; escape closes.")
    if state.running_claim is None:
        return Text(f"Importing {backends.label(job.backend)}...")
    claim = state.running_claim
    texts = {c.id: c.text for c in job.claims}
    return Text(f"Claim {claim}/{len(texts)}: {texts.get(claim, '')} (the run goes on if you close this)")
