"""A Static whose updates skip the screen's layout pass when the text keeps its shape.

Static.update() lays the whole screen out again by default: with the probe and
the caption changing after every epoch, that was the costliest part of a frame,
paid on the main thread while the engine trains.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class Lines(Static):
    """A Static that skips the layout pass when new text keeps the old shape."""

    _shown: Text | str | None = None
    _shape: tuple | None = None

    def show(self, content: Text | str) -> None:
        if self._shown is not None and content == self._shown:
            return
        shape = self._shape_of(content)
        self.update(content, layout=shape != self._shape)
        self._shown, self._shape = content, shape

    def _shape_of(self, content: Text | str) -> tuple:
        plain = content.plain if isinstance(content, Text) else content
        widths = [cell_len(line) for line in plain.split("\n")]
        columns = self.content_size.width
        # Rows after wrapping decide an auto height; the widest line decides an auto width.
        rows = sum(max(1, math.ceil(w / columns)) for w in widths) if columns else len(widths)
        return rows, max(widths), columns


class FixedLines(Vertical):
    """Lines one row high, one Static each (a status bar): a line is updated only when its text changed, and
    without the layout pass a Static update would trigger (the bar is redrawn up to 10 times a second)."""

    LINES: ClassVar[tuple[tuple[str, str], ...]] = ()  # (the line's id, its text before the first show_lines)
    _shown: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        for line_id, text in self.LINES:
            yield Static(text, id=line_id)

    def show_lines(self, *texts: str) -> None:
        """The lines' texts, top to bottom."""
        shown = self._shown or ("",) * len(self.LINES)
        if texts == shown:
            return
        for (line_id, _), old, new in zip(self.LINES, shown, texts):
            if new != old:
                self.query_one(f"#{line_id}", Static).update(new, layout=False)
        self._shown = texts
