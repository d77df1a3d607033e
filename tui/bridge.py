"""The boundary between the engine's thread and the UI thread.

The engine's sink runs on the worker thread and must not touch widgets, so it
only appends to an EventBuffer; the App drains the buffer on its own timer.
FdCapture keeps TensorFlow's C++ logging (written straight to file
descriptor 2) off the screen while the UI owns the terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from engine.events import Event


class EventBuffer:
    """A thread-safe list: the worker appends, the UI takes everything at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Event] = []

    def put(self, event: Event) -> None:
        with self._lock:
            self._items.append(event)

    def drain(self) -> list[Event]:
        with self._lock:
            items, self._items = self._items, []
        return items


class FdCapture:
    """Point fd 2 at a log file while the UI runs; the UI keeps the real terminal.

    Textual draws through ``sys.__stderr__`` (fd 2), so that object is swapped
    for a duplicate of the terminal fd before fd 2 itself is redirected.
    ``read_new`` returns whatever native code wrote since the last call.
    """

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            handle, name = tempfile.mkstemp(prefix="dropout-tui-", suffix=".log")
            os.close(handle)
            path = Path(name)
        self.path = path
        self._saved_fd: int | None = None
        self._saved_stderr = None
        self._terminal = None
        self._offset = 0

    def __enter__(self) -> "FdCapture":
        sys.__stderr__.flush()
        self._saved_fd = os.dup(2)
        self._terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.__stderr__.encoding,
                                   errors="replace")
        self._saved_stderr = sys.__stderr__
        sys.__stderr__ = self._terminal
        log_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved_fd is None:
            return
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)
        self._saved_fd = None
        sys.__stderr__ = self._saved_stderr
        self._terminal.close()
        # Everything written here was already shown in the log pane.
        self.path.unlink(missing_ok=True)

    def read_new(self) -> list[str]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except OSError:
            return []
        # Only whole lines: a half-written line is picked up on the next read.
        end = data.rfind(b"\n") + 1
        self._offset += end
        return [line for line in data[:end].decode("utf-8", "replace").splitlines() if line.strip()]
