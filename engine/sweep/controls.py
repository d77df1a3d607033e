"""Pause, stop and cancel for a sweep: they reach whichever runs (and child processes) are going on."""

from __future__ import annotations

import signal
import subprocess

from dropout_tui.engine.run.controls import STOP_SIGNAL, Controls, Steering


class SweepControls(Steering):
    """What the app's keys and the signal handler steer; each run gets its own ``Controls`` from here.

    ``pause``: the runs in progress pause at their next batch edge (children: SIGSTOP) and no new run
    starts. ``stop``: training ends now, each run in progress is evaluated as it is (like train's stop;
    children get STOP_SIGNAL, which a headless run takes as that stop) and no further rate starts.
    ``cancel``: everything ends as soon as possible.
    """

    def __init__(self) -> None:
        super().__init__()
        self._runs: list[Controls] = []
        self._children: list[subprocess.Popen] = []

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    def toggle_pause(self) -> bool:
        """Returns True when the sweep is now paused."""
        with self._wake:
            self._paused = not self._paused
            for controls in self._runs:
                if self._paused:
                    controls.pause()
                else:
                    controls.resume()
            for child in self._children:
                _signal(child, signal.SIGSTOP if self._paused else signal.SIGCONT)
            self._wake.notify_all()
            return self._paused

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            for controls in self._runs:
                controls.stop()
            self._end_children(STOP_SIGNAL)
            self._wake.notify_all()

    def cancel(self) -> None:
        with self._wake:
            self._stop = True
            self.cancel_event.set()
            for controls in self._runs:
                controls.cancel()
            self._end_children(signal.SIGTERM)
            self._wake.notify_all()

    def _end_children(self, number: int) -> None:
        for child in self._children:
            _signal(child, signal.SIGCONT)  # a stopped process acts on a signal only once it runs again
            _signal(child, number)

    # --- for the sweep's runners --------------------------------------------------------------------
    def begin_run(self) -> Controls | None:
        """Controls for a new in-process run, paused if the sweep is; None once the sweep is stopping."""
        with self._lock:
            if self._stop:
                return None
            controls = Controls()
            if self._paused:
                controls.pause()
            self._runs.append(controls)
            return controls

    def end_run(self, controls: Controls) -> None:
        with self._lock:
            self._runs.remove(controls)

    def wait_while_paused(self) -> bool:
        """Before a new run starts: block while paused; False once the sweep is stopping."""
        with self._wake:
            while self._paused and not self._stop:
                self._wake.wait(0.1)
            return not self._stop

    def attach(self, child: subprocess.Popen) -> bool:
        """Register a started child; False (and the child is ended) when the sweep is already stopping."""
        with self._lock:
            if self._stop:
                _signal(child, signal.SIGTERM)
                return False
            if self._paused:
                _signal(child, signal.SIGSTOP)
            self._children.append(child)
            return True

    def kill_children(self) -> None:
        with self._lock:
            for child in self._children:
                _signal(child, signal.SIGKILL)

    def detach(self, child: subprocess.Popen) -> None:
        with self._lock:
            if child in self._children:
                self._children.remove(child)


def _signal(child: subprocess.Popen, number: int) -> None:
    if child.poll() is None:
        try:
            child.send_signal(number)
        except ProcessLookupError:
            pass
