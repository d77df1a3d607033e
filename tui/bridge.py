"""The boundary between the engine's thread and the UI thread.

The engine's sink runs on the worker thread and must not touch widgets, so it
only appends to an EventBuffer; the App drains the buffer on its own timer.
"""

from __future__ import annotations

import threading

from dropout_tui.engine.events import Event


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
