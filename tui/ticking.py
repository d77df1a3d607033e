"""The skeleton both apps share: workers append to one buffer, a tick folds it into the app's state, and the
panes (and the screen on top) that draw a changed part of the state redraw, as far as the planner lets them.

The train app (tui/app.py) and the sweep/compare app (tui/sweep/app.py) differ only in what they fold and
which panes they have; the loop and the throttle (tui/redraw.py) are said once here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual.dom import DOMNode

from dropout_tui.tui.bridge import EventBuffer
from dropout_tui.tui.drawing import Drawn
from dropout_tui.tui.keys import show_toggled
from dropout_tui.tui.redraw import RedrawPlanner
from dropout_tui.tui.terminal import TerminalApp


class TickingApp(TerminalApp):
    """Drains the workers' buffer every tick, folds it (``fold``, the subclass's) and draws what the planner passes."""

    def __init__(self, planner: RedrawPlanner) -> None:
        super().__init__()
        self.planner = planner
        self._buffer: EventBuffer[object] = EventBuffer()
        self._drawn: list[Drawn] = []
        self._paused_shown = False

    def start_ticking(self, first: Iterable[str]) -> None:
        """From on_mount, once the panes exist: the first frame draws ``first``, then a tick every policy.tick."""
        self._drawn = [widget for widget in self.screen_stack[0].walk_children() if isinstance(widget, Drawn)]
        self.set_interval(self.planner.policy.tick, self._tick)
        self.planner.request(first)
        self._tick()

    @property
    def paused(self) -> bool:
        """The footer then offers "Resume" where it offered "Pause" (tui/keys.py footer_on)."""
        return False

    @property
    def key_owner(self) -> DOMNode:
        """The node whose bindings the footer shows while the panes are on top: the app, or its main screen."""
        return self

    def fold(self, items: list[object]) -> set[str]:
        """Apply the drained items to the state; the parts of it that changed."""
        raise NotImplementedError

    @property
    def training(self) -> bool:
        """True while a worker trains: the planner then keeps costly panes for the gap between epochs."""
        return False

    def progress_marks(self) -> tuple[object, int]:
        """What the planner compares with the last frame: the status line's state and the epochs evaluated."""
        return None, 0

    def _tick(self) -> None:
        if self.closing:
            return
        dirty = self.fold(self._buffer.drain())
        status_key, epochs = self.progress_marks()
        self._draw(
            self.planner.plan(dirty, time.monotonic(), training=self.training, status_key=status_key, epochs=epochs)
        )

    def _draw(self, parts: set[str]) -> None:
        if self.paused != self._paused_shown:
            self._paused_shown = self.paused
            show_toggled(self.key_owner, self._paused_shown)
        for pane in self._drawn:
            if pane.draws & parts:
                pane.redraw()
        top = self.screen
        # A screen just pushed draws itself on mount: until then it has no widgets to draw on.
        if top is not self.screen_stack[0] and isinstance(top, Drawn) and top.draws & parts and top.is_mounted:
            top.redraw()

    def draw_now(self, parts: set[str]) -> None:
        """Draw at once (a key's own effect, a resize), past the planner's throttles."""
        status_key, epochs = self.progress_marks()
        self.planner.drawn(parts, time.monotonic(), status_key=status_key, epochs=epochs)
        self._draw(parts)
