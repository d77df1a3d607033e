"""The log pane's scrolling view, imported only once the first frame is on screen (tui/panes/log.py)."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from dropout_tui.tui.run_state import LOG_LINES


class LogView(RichLog):
    """RichLog wraps a line once, at the width it has when written: the view wraps the pane's lines again when
    its width changes, so none is cut."""

    def __init__(self, entries: deque[Text | str]) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=LOG_LINES, min_width=20)
        self._entries = entries  # the pane's: every line so far, the newest LOG_LINES
        self._wrapped_at = 0
        for entry in entries:  # kept until the view has a width (RichLog defers writes made before)
            self.write(entry)

    def on_resize(self, event: Resize) -> None:
        width = event.size.width
        if width and self._wrapped_at and width != self._wrapped_at:
            self.clear()
            for entry in self._entries:
                self.write(entry, scroll_end=True)
        self._wrapped_at = width or self._wrapped_at
