"""The train app's main screen: the panes, and the keys that act on the run (tui/keys.py, where = MAIN).

The keys are bound here, so they are live (and in the footer) only while this screen is on top; another screen
(Explain, Uncertainty, help) covers them by covering the screen. Their actions are the app's (``app.``): they
command the engine and open the other screens.
"""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen

from dropout_tui.tui.keys import EVERYWHERE, MAIN, bindings
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.panes.log import LogPane
from dropout_tui.tui.panes.loss import LossPane
from dropout_tui.tui.panes.modes import ModesPane
from dropout_tui.tui.panes.probe import ProbePane
from dropout_tui.tui.panes.status import StatusBar
from dropout_tui.tui.run_state import RunState
from dropout_tui.tui.terminal import too_small_notice

NARROW_WIDTH = 120  # below this the log pane shares the bottom row with the modes table


class MainScreen(Screen[None]):
    """The status bar, the loss chart and the probe over the modes table and the log."""

    KEYS_WHERE = MAIN  # the palette offers the keys of tui/keys.py for this screen
    # EVERYWHERE's keys too, though the app binds them: the footer then keeps tui/keys.py's order (quit, help, ...).
    BINDINGS = bindings(MAIN, EVERYWHERE, namespace="app")

    class Ready(Message):
        """The panes exist: the app may start its workers and its tick (the app's own mount comes first)."""

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield StatusBar(self.state, id="status-bar")
        with Horizontal(id="top"):
            yield LossPane(self.state, id="loss-pane")
            yield ProbePane(self.state, id="probe-pane")
        with Horizontal(id="bottom"):
            yield ModesPane(self.state, id="modes-pane")
            yield LogPane(self.state, id="log-pane")
        yield Footer()
        yield too_small_notice()

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def on_resize(self) -> None:
        self.query_one("#bottom").set_class(self.size.width < NARROW_WIDTH, "-narrow")

    def help_content(self) -> tuple[str, RenderableType, tuple[str, ...]]:
        """What `?` shows over this screen: every key and mode (one page at 80x24), then its figures' terms."""
        from dropout_tui.tui.glossary import CLASSIFICATION_MAIN_TERMS, REGRESSION_MAIN_TERMS
        from dropout_tui.tui.screens.help import help_content

        terms = REGRESSION_MAIN_TERMS if self.state.regression else CLASSIFICATION_MAIN_TERMS
        return "dropout-tui: keys and modes", help_content(), terms

    def toggle_log(self) -> None:
        # Classes live on the bottom row so a toggle restyles two panes, not the screen.
        self.query_one("#bottom").toggle_class("-show-log")

    def show_log(self) -> None:
        self.query_one("#bottom").add_class("-show-log")
