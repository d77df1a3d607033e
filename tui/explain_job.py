"""The app's one explain run (the Explain screen shows it): a thread worker that imports TensorFlow itself and
sends its news through the app's buffer like the engine's events. It belongs to the app, not to the screen: it
goes on when the screen closes, and its results are shown again when the screen reopens."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from textual.app import App

from dropout_tui.engine import backends
from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.explain.claims import claims_on
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.tui.run_state import ClaimMeasured, ClaimStarted, ExplainFailed, ExplainFinished, ExplainState


def measure(
    seed: int,
    backend: str,
    on_start: Callable[[int], None],
    on_result: Callable[[ClaimResult], None],
    should_stop: Callable[[], bool],
) -> ExplainReport | None:
    """Every experiment, in this (worker) thread; None when stopped early. Imports Keras on ``backend``."""
    backends.activate(backend)  # the run's own backend: Keras has one per process
    from dropout_tui.engine.explain.runner import ExplainCancelled, run_explain

    try:
        return run_explain(seed, on_start=on_start, on_result=on_result, should_stop=should_stop)
    except ExplainCancelled:
        return None


class ExplainJob:
    """The app's explain run: one at a time, its state (results) kept after the screen closes."""

    def __init__(self, app: App, put: Callable[[object], None], seed: int, backend: str) -> None:
        self.state = ExplainState()
        self._app, self._put, self._seed = app, put, seed
        self.backend = backend
        self.claims = claims_on(backend)  # the shared claims and the backend's own
        self._cancelled = threading.Event()

    def start(self) -> bool:
        """Start a run; False (and nothing started) while one is running."""
        if self.state.running:
            return False
        run = self.state.begin(time.monotonic())
        self._app.run_worker(
            lambda: self._measure(run), thread=True, group="explain", name="explain", exit_on_error=False
        )
        return True

    def cancel(self) -> None:
        """The app is quitting: the worker stops at the next claim."""
        self._cancelled.set()

    def _measure(self, run: int) -> None:
        put = self._put
        try:
            report = measure(
                self._seed,
                self.backend,
                on_start=lambda claim_id: put(ClaimStarted(run, claim_id)),
                on_result=lambda result: put(ClaimMeasured(run, result)),
                should_stop=self._cancelled.is_set,
            )
        except Exception as error:  # shown on the screen, never a crash of the app
            put(ExplainFailed(run, describe_error(error), "".join(traceback.format_exception(error))))
            return
        if report is not None:
            put(ExplainFinished(run, report))
