"""The one way worker results reach the UI: a buffer the workers append to and the app drains.

The engine's sink and the explain runner's callbacks run on worker threads and
must not touch widgets, so they only append here (engine events, ExplainNews);
the app drains the buffer on its own timer, folds everything into its states
and redraws what changed.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

Item = TypeVar("Item")


class EventBuffer(Generic[Item]):
    """A thread-safe list: workers append, the UI takes everything at once, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Item] = []

    def put(self, item: Item) -> None:
        with self._lock:
            self._items.append(item)

    def drain(self) -> list[Item]:
        with self._lock:
            items, self._items = self._items, []
        return items
