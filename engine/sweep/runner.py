"""A dropout-rate sweep: one ``train`` run per rate, every other option and the seed shared.

Each rate's run is the train path itself: a ``Session`` in this process (one
rate after another), or with ``jobs`` > 1 ``dropout-tui train --headless --rate R``
in a child process per rate, N at once (engine.sweep.children), whose JSON
lines are parsed back into events. Either way the run at rate r reports exactly
what ``train --rate r`` reports with the same options. Every event of a run
reaches the sink tagged with its rate (``Tagged``); the sweep adds
``SweepStarted`` first and ``SweepSummary`` last, which holds every rate that
finished, also when the sweep was stopped or cancelled.

Importing this module is cheap: TensorFlow loads inside the first in-process run.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import Event, Failed, Summary, SweepStarted, SweepSummary, event_from_json, json_safe
from dropout_tui.engine.sweep.children import run_children
from dropout_tui.engine.sweep.controls import SweepControls
from dropout_tui.engine.sweep.plan import check_rates, effective_jobs


@dataclass(frozen=True)
class Tagged:
    """One event of the run at ``rate``: written as the event's own line plus ``"rate": rate``."""

    rate: float
    event: Event

    def to_dict(self) -> dict[str, Any]:
        return {**self.event.to_dict(), "rate": json_safe(self.rate)}

    to_json = Event.to_json  # the event's line format, of this to_dict


def sweep_item_from_json(line: str) -> Tagged | Event:
    """A line of a sweep stream back as a Tagged run event, or a SweepStarted/SweepSummary."""
    event = event_from_json(line)
    if isinstance(event, (SweepStarted, SweepSummary)):
        return event
    return Tagged(float(json.loads(line)["rate"]), event)


@dataclass
class RateResult:
    """How one rate's run ended."""

    rate: float
    summary: Summary | None = None
    failed: Failed | None = None


class Sweep:
    """Runs every rate with the train path and tells the sink everything; ``run()`` returns the SweepSummary.

    ``command(config)`` gives the ``dropout-tui train`` arguments of one rate's run (the front end
    owns the option names); it is needed only with ``jobs`` > 1. ``run()`` never raises for run-time
    problems: a failed rate is reported (``Tagged(rate, Failed)``) and the sweep goes on; a user error
    (a bad --data file: every rate would fail alike) ends it and is kept in ``user_error``.
    """

    def __init__(
        self,
        config: RunConfig,
        rates: Sequence[float],
        sink: Callable[[object], None],
        controls: SweepControls | None = None,
        *,
        jobs: int = 1,
        command: Callable[[RunConfig], list[str]] | None = None,
    ) -> None:
        self.config = config.validate()
        self.rates = check_rates(rates)
        self.controls = controls or SweepControls()
        self.jobs, self.notes = effective_jobs(jobs, len(self.rates))
        if self.jobs > 1 and command is None:
            raise ValueError("jobs > 1 needs the train command line of a run")
        self.command = command
        self._sink = sink
        self._lock = threading.Lock()  # one line at a time, and nothing after the summary
        self._closed = False
        self.results: dict[float, RateResult] = {rate: RateResult(rate) for rate in self.rates}
        self.user_error: ConfigError | None = None
        self.summary: SweepSummary | None = None

    def config_for(self, rate: float) -> RunConfig:
        return dataclasses.replace(self.config, rate=rate)

    def run(self) -> SweepSummary:
        shared = {**self.config.to_dict(), "rate": None}
        self._emit(SweepStarted(rates=list(self.rates), jobs=self.jobs, config=shared, notes=list(self.notes)))
        try:
            if self.jobs > 1:
                run_children(self)
            else:
                self._run_in_process()
        finally:
            summary = self.finish()
        assert summary is not None  # finish() without a timeout waits for the lock
        return summary

    def finish(self, timeout: float = -1) -> SweepSummary | None:
        """Write the SweepSummary once (a signal's deadline may call this from another thread).

        Returns None when the lock could not be had within ``timeout`` (a reader that stopped reading).
        """
        if not self._lock.acquire(timeout=timeout):
            return None
        try:
            if not self._closed:
                finished = [
                    (rate, summary) for rate in self.rates if (summary := self.results[rate].summary) is not None
                ]
                self.summary = SweepSummary(
                    rates=[{"rate": rate, "summary": summary.to_dict()} for rate, summary in finished],
                    complete=len(finished) == len(self.rates) and not self.controls.stop_requested,
                )
                self._sink(self.summary)
                self._closed = True
            return self.summary
        finally:
            self._lock.release()

    @property
    def failures(self) -> list[RateResult]:
        return [result for result in self.results.values() if result.failed is not None]

    def _emit(self, item: object) -> None:
        with self._lock:
            if not self._closed:
                self._sink(item)

    def tagger(self, rate: float) -> Callable[[Event], None]:
        result = self.results[rate]

        def sink(event: Event) -> None:
            if isinstance(event, Summary):
                result.summary = event
            elif isinstance(event, Failed):
                result.failed = event
            self._emit(Tagged(rate, event))

        return sink

    # --- one rate after another, in this process ---------------------------------------------------------
    def _run_in_process(self) -> None:
        from dropout_tui.engine.run.session import Session

        for rate in self.rates:
            if not self.controls.wait_while_paused():
                return
            controls = self.controls.begin_run()
            if controls is None:
                return
            try:
                _fresh_keras_state()
                session = Session(self.config_for(rate), self.tagger(rate), controls)
                session.run()
            finally:
                self.controls.end_run(controls)
            if session.user_error is not None:
                self.user_error = session.user_error
                return


def _fresh_keras_state() -> None:
    """Before each in-process run: Keras forgets the last run's layer names and graphs (once it is loaded).

    Without it the second model's layers are ``dense_2``, ``dropout_1``: names, and with them the
    summary, would differ from a fresh ``train`` process.
    """
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session(free_memory=True)
