"""A Session run in a worker thread, as the app runs it, with a way to wait for its events."""

from __future__ import annotations

import json
import threading
import time

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.run.controls import Controls
from dropout_tui.engine.run.session import Session


class Driver:
    """Runs a Session in a worker thread and lets the test wait for its events."""

    def __init__(self, config: RunConfig, *, serve: bool = False, controls: Controls | None = None) -> None:
        self.controls = controls or Controls()
        self.events: list = []
        self._changed = threading.Condition()
        self.session = Session(config, self._sink, self.controls, serve=serve)
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sink(self, event) -> None:
        json.loads(event.to_json())  # every event must be strict JSON
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def _run(self) -> None:
        self.result = self.session.run()

    def start(self) -> Driver:
        self.thread.start()
        return self

    def wait_for(self, predicate, timeout: float = 60.0, after: int = 0):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events[after:]:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out; last events: {[type(e).__name__ for e in self.events[-8:]]}"
                self._changed.wait(remaining)

    def join(self, timeout: float = 60.0) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "session did not end"

    def of(self, cls) -> list:
        return [event for event in self.events if isinstance(event, cls)]
