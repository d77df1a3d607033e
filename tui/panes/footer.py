"""The footer every screen shows: its keys are drawn whether or not the app has focus.

Textual's Footer skips redrawing its keys while the app is blurred, and in a browser (`dropout-tui serve`) the
app starts blurred: textual-serve's driver reports a blur at start-up, so the footer stayed empty until the
user clicked the page. A key list is as true without focus as with it.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.recompose)
