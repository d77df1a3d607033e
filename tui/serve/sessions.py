"""How many tab apps run at once: each is a TensorFlow process of 0.6-0.8 GB, so the server caps them."""

from __future__ import annotations

import asyncio
import contextlib

from dropout_tui.tui.serve.apps import AppProcess

# A reload closes the tab's old app just before the new page asks for one: wait this long for an app that is
# already ending before saying every session is in use.
ROOM_WAIT_S = 2.5


class Sessions:
    """The apps the server has started and not yet reaped, and the most it may run at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running: set[AppProcess] = set()
        self._ending: set[AppProcess] = set()
        self._changed = asyncio.Condition()

    @property
    def pids(self) -> list[int]:
        return [app.pid for app in self.running if app.pid is not None]

    def full(self) -> bool:
        return len(self.running) >= self.limit

    async def has_room(self) -> bool:
        """True when another app may start; waits up to ROOM_WAIT_S while one is ending."""
        async with self._changed:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: not self.full() or not self._ending), ROOM_WAIT_S)
            return not self.full()

    def add(self, app: AppProcess) -> None:
        self.running.add(app)

    async def end(self, app: AppProcess) -> None:
        """Stop one app (its tab closed) and free its place."""
        if app not in self.running or app in self._ending:
            return
        self._ending.add(app)
        try:
            await app.stop()
        finally:
            self._ending.discard(app)
            self.running.discard(app)
            async with self._changed:
                self._changed.notify_all()

    async def end_all(self, number: int) -> None:
        """The server is stopping: signal every app's group at once (SIGTERM first), kill what lingers, reap all."""
        await asyncio.gather(*(app.end_group(number) for app in list(self.running)), return_exceptions=True)
        self.running.clear()
