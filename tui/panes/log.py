"""The log pane: TensorFlow's output (start-up notices in plain words), Python warnings, notes and worker tracebacks.

Its scrolling view (tui/panes/log_view.py, Textual's RichLog) is mounted after the first frame: RichLog's module
imports rich.pretty, about 17 ms of start-up, and at 80x24 the first frame does not show the log at all. Lines
that come before the view are kept, and it writes them once it has a width.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.containers import Vertical
from textual.events import Print

from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.fmt import STARTUP
from dropout_tui.tui.redraw import LOG
from dropout_tui.tui.run_state import LOG_LINES, RunState

if TYPE_CHECKING:
    from dropout_tui.tui.panes.log_view import LogView


class LogPane(DrawsFrom[RunState], Vertical):
    """The run's log lines, each written once; a second pane on the same state shows every line too."""

    draws: ClassVar[frozenset[str]] = frozenset({LOG})

    def __init__(self, state: RunState, **kwargs: Any) -> None:
        super().__init__(state, **kwargs)
        self._entries: deque[Text | str] = deque(maxlen=LOG_LINES)
        self._shown = 0  # the state's lines written so far (RunState.logged)
        self.view: LogView | None = None  # None until after the first frame

    def on_mount(self) -> None:
        self.border_title = "Log"
        self.call_after_refresh(self._mount_view)

    async def _mount_view(self) -> None:
        from dropout_tui.tui.panes.log_view import LogView

        if not self.is_attached:  # the app quit before its first frame
            return
        view = LogView(self._entries)
        self.view = view  # from now on each new line is written to it as well
        await self.mount(view)

    def on_print(self, event: Print) -> None:
        # Stray print()s from any thread land here instead of on the screen.
        if event.text.strip():
            self.add("", event.text.rstrip("\n"))

    def update_from(self, state: RunState) -> None:
        new = min(state.logged - self._shown, len(state.logs))
        for level, text in list(state.logs)[len(state.logs) - new :]:
            self.add(level, text)
        self._shown = state.logged

    def add(self, level: str, text: str) -> None:
        prefix = "" if level.upper() in ("INFO", "", STARTUP.upper()) else f"{level.upper()}: "
        entry = Text(text, style="dim") if level == STARTUP else prefix + text
        self._entries.append(entry)
        if self.view is not None:
            self.view.write(entry)
