"""Thread-safe controls: the UI (or a test) steers a running Session through this.

The Session reads it at batch boundaries, so every command takes effect at the
next batch edge. ``cancel`` is the quit signal: it also wakes a paused run.
"""

from __future__ import annotations

import queue
import signal
import threading
from dataclasses import dataclass

# A headless run's `x` from outside: training ends, the model is evaluated as it is and the summary follows. A
# sweep with --jobs N stops its child runs with it, so a stopped run keeps its numbers as an in-process run does.
STOP_SIGNAL = signal.SIGUSR1


@dataclass(frozen=True)
class Command:
    """A request the Session serves between batches, or while paused/finished.

    name: "shift_rate" | "set_samples" | "probe" | "evaluate"
    value: for "shift_rate" +1 or -1 (every stochastic layer's own rate moves
           one step of engine.limits.RATE_STEP); the new T for "set_samples";
           for "probe" a test index, or one of "next", "prev", "most_uncertain",
           "redraw".
    """

    name: str
    value: object = None


class Steering:
    """Pause, stop and cancel flags behind one lock: what the UI thread sets and a worker reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._paused = False
        self._stop = False
        self.cancel_event = threading.Event()

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class Controls(Steering):
    """The UI thread steers a running Session through this; the Session reads it at batch edges."""

    def __init__(self) -> None:
        super().__init__()
        self._steps_allowed = 0  # epochs to run while paused ("step")
        self._commands: queue.Queue[Command] = queue.Queue()

    # --- called from the UI thread -------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._wake:
            self._paused = False
            self._wake.notify_all()

    def toggle_pause(self) -> bool:
        """Returns True when the run is now paused."""
        with self._wake:
            self._paused = not self._paused
            self._wake.notify_all()
            return self._paused

    def step(self) -> None:
        """While paused, let one more epoch run."""
        with self._wake:
            self._steps_allowed += 1
            self._wake.notify_all()

    def stop(self) -> None:
        """End training; the model stays usable for evaluation and probing."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()

    def cancel(self) -> None:
        """Quit: end everything as soon as possible."""
        with self._wake:
            self._stop = True
            self.cancel_event.set()
            self._wake.notify_all()

    def submit(self, command: Command) -> None:
        with self._wake:
            self._commands.put(command)
            self._wake.notify_all()

    def shift_rate(self, direction: int) -> None:
        self.submit(Command("shift_rate", direction))

    def set_samples(self, samples: int) -> None:
        self.submit(Command("set_samples", samples))

    def probe(self, which: int | str) -> None:
        self.submit(Command("probe", which))

    # --- read by the Session -------------------------------------------
    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused and self._steps_allowed == 0

    def take_step(self) -> bool:
        """Consume one 'step' credit at an epoch start; True if one was available."""
        with self._lock:
            if self._paused and self._steps_allowed > 0:
                self._steps_allowed -= 1
                return True
            return False

    def pending_commands(self) -> list[Command]:
        commands = []
        while True:
            try:
                commands.append(self._commands.get_nowait())
            except queue.Empty:
                return commands

    def wait(self, timeout: float = 0.1) -> None:
        """Block while idle (paused/finished) until something changes or timeout."""
        with self._wake:
            if self._commands.empty() and not self.cancel_event.is_set():
                self._wake.wait(timeout)
