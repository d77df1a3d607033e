"""A dropout-rate sweep: one ``train`` run per rate, every other option and the seed shared.

Each rate's run is the train path itself: a ``Session`` in this process (one
rate after another), or with ``jobs`` > 1 ``dropout-tui train --headless --rate R``
in a child process per rate, N at once, whose JSON lines are parsed back into
events. Either way the run at rate r reports exactly what ``train --rate r``
reports with the same options. Every event of a run reaches the sink tagged
with its rate (``Tagged``); the sweep adds ``SweepStarted`` first and
``SweepSummary`` last, which holds every rate that finished, also when the
sweep was stopped or cancelled.

Importing this module is cheap: TensorFlow loads inside the first in-process run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.events import Event, Failed, Summary, event_from_json, json_safe
from dropout_tui.engine.limits import LIMITS, MAX_SWEEP_RATES
from dropout_tui.engine.run.controls import Controls

DEFAULT_RATES = (0.0, 0.1, 0.2, 0.3, 0.5)
CHILD_GRACE_SECONDS = 0.5  # after a cancel, children get this long to end by themselves, then SIGKILL


# --- the list of rates: one check for the CLI and the engine --------------------------------------------


def check_rates(rates: Sequence[float]) -> tuple[float, ...]:
    """The rates as floats, or a one-line ConfigError: empty, more than MAX_SWEEP_RATES, out of range, repeated."""
    if len(rates) == 0:
        raise ConfigError("--rates needs at least one rate")
    if len(rates) > MAX_SWEEP_RATES:
        raise ConfigError(f"--rates takes at most {MAX_SWEEP_RATES} rates, got {len(rates)}")
    limit = LIMITS["rate"]
    seen: set[float] = set()
    for rate in rates:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not limit.contains(rate):
            raise ConfigError(f"--rates: every rate must be {limit.describe()}, got {_text(rate)}")
        if float(rate) in seen:
            raise ConfigError(f"--rates: {_text(rate)} is listed twice")
        seen.add(float(rate))
    return tuple(float(rate) for rate in rates)


def parse_rates(text: str) -> tuple[float, ...]:
    """``--rates 0,0.1,0.5``: numbers separated by commas, checked by ``check_rates``."""
    parts = [part.strip() for part in text.split(",")]
    if parts == [""]:
        return check_rates([])
    values = []
    for part in parts:
        if not part:
            raise ConfigError(f"--rates: an empty entry in {text!r}")
        try:
            values.append(float(part))
        except ValueError:
            raise ConfigError(f"--rates: expected numbers separated by commas, got {part!r}") from None
    return check_rates(values)


def rates_argument(rates: Sequence[float]) -> str:
    """The --rates value that gives these rates back."""
    return ",".join(_text(rate) for rate in rates)


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) and math.isfinite(value) else str(value)


def effective_jobs(jobs: int, rates: int, cores: int | None = None) -> tuple[int, list[str]]:
    """How many runs go at once, and a sentence for each cap: never more than the CPU cores or the rates."""
    LIMITS["jobs"].check(jobs)
    cores = cores or os.cpu_count() or 1
    notes = []
    effective = jobs
    if effective > cores:
        effective = cores
        notes.append(f"--jobs {jobs} runs {cores} at once: this machine has {cores} CPU core(s)")
    if effective > rates:
        effective = rates
    return effective, notes


# --- what the sweep says ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepStarted(Event):
    """The sweep's plan: the first line of a sweep stream."""

    EVENT = "sweep_started"
    rates: list  # in --rates order
    jobs: int  # runs at once (capped by the CPU cores and the number of rates)
    config: dict  # the options every run shares (``rate`` is each run's own)
    notes: list = field(default_factory=list)  # plain sentences, e.g. a --jobs cap


@dataclass(frozen=True)
class SweepSummary(Event):
    """The last line of a sweep: every rate that finished, in --rates order, with its run's summary."""

    EVENT = "sweep_summary"
    rates: list  # [{"rate": r, "summary": <the run's summary object>}]
    complete: bool  # every rate finished (false after a stop, a cancel or a failed run)


SWEEP_EVENT_TYPES: dict[str, type[Event]] = {cls.EVENT: cls for cls in (SweepStarted, SweepSummary)}


@dataclass(frozen=True)
class Tagged:
    """One event of the run at ``rate``: written as the event's own line plus ``"rate": rate``."""

    rate: float
    event: Event

    def to_dict(self) -> dict[str, Any]:
        return {**self.event.to_dict(), "rate": json_safe(self.rate)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, separators=(", ", ": "))


def sweep_item_from_json(line: str) -> Tagged | Event:
    """A line of a sweep stream back as a Tagged run event, or a SweepStarted/SweepSummary."""
    data = json.loads(line)
    cls = SWEEP_EVENT_TYPES.get(data.get("event"))
    if cls is not None:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
    return Tagged(float(data["rate"]), event_from_json(line))


# --- steering: pause, stop and cancel reach whichever runs are going on ------------------------------------


class SweepControls:
    """What the app's keys and the signal handler steer; each run gets its own ``Controls`` from here.

    ``pause``: the runs in progress pause at their next batch edge (children: SIGSTOP) and no new run
    starts. ``stop``: training ends now, each run in progress is evaluated as it is (like train's stop;
    children are cancelled: a headless run takes no commands) and no further rate starts. ``cancel``:
    everything ends as soon as possible.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._paused = False
        self._stop = False
        self.cancel_event = threading.Event()
        self._runs: list[Controls] = []
        self._children: list[subprocess.Popen] = []

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def toggle_pause(self) -> bool:
        """Returns True when the sweep is now paused."""
        with self._wake:
            self._paused = not self._paused
            for controls in self._runs:
                controls.pause() if self._paused else controls.resume()
            for child in self._children:
                _signal(child, signal.SIGSTOP if self._paused else signal.SIGCONT)
            self._wake.notify_all()
            return self._paused

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            for controls in self._runs:
                controls.stop()
            self._end_children()
            self._wake.notify_all()

    def cancel(self) -> None:
        with self._wake:
            self._stop = True
            self.cancel_event.set()
            for controls in self._runs:
                controls.cancel()
            self._end_children()
            self._wake.notify_all()

    def _end_children(self) -> None:
        for child in self._children:
            _signal(child, signal.SIGCONT)  # a stopped process acts on SIGTERM only once it runs again
            _signal(child, signal.SIGTERM)

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


# --- the sweep ------------------------------------------------------------------------------------------


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
        self._command = command
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
                self._run_children()
            else:
                self._run_in_process()
        finally:
            summary = self.finish()
        return summary

    def finish(self, timeout: float = -1) -> SweepSummary | None:
        """Write the SweepSummary once (a signal's deadline may call this from another thread).

        Returns None when the lock could not be had within ``timeout`` (a reader that stopped reading).
        """
        if not self._lock.acquire(timeout=timeout):
            return None
        try:
            if not self._closed:
                finished = [self.results[rate] for rate in self.rates if self.results[rate].summary is not None]
                self.summary = SweepSummary(
                    rates=[{"rate": result.rate, "summary": result.summary.to_dict()} for result in finished],
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

    def _tagger(self, rate: float) -> Callable[[Event], None]:
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
                session = Session(self.config_for(rate), self._tagger(rate), controls)
                session.run()
            finally:
                self.controls.end_run(controls)
            if session.user_error is not None:
                self.user_error = session.user_error
                return

    # --- N rates at once, each in a child process --------------------------------------------------------
    def _run_children(self) -> None:
        pending = list(self.rates)
        running: dict[float, threading.Thread] = {}
        done = threading.Condition()
        ended: list[float] = []

        def worker(rate: float) -> None:
            try:
                self._run_child(rate)
            finally:
                with done:
                    ended.append(rate)
                    done.notify_all()

        while pending or running:
            with done:
                for rate in ended:
                    running.pop(rate).join()
                ended.clear()
            if self.controls.cancelled:
                # Children had SIGTERM from cancel(); the finished rates are what is left to report.
                for thread in running.values():
                    thread.join(CHILD_GRACE_SECONDS)
                self.controls.kill_children()
                return
            if self.user_error is not None:
                self.controls.cancel()
                continue
            if self.controls.stop_requested:
                pending.clear()
            while pending and len(running) < self.jobs and not self.controls.paused:
                rate = pending.pop(0)
                thread = threading.Thread(target=worker, args=(rate,), name=f"dropout-tui-sweep-{rate:g}", daemon=True)
                running[rate] = thread
                thread.start()
            with done:
                if not ended:
                    done.wait(0.1)

    def _run_child(self, rate: float) -> None:
        argv = [sys.executable, "-m", "dropout_tui.tui.cli", *self._command(self.config_for(rate))]
        sink = self._tagger(rate)
        result = self.results[rate]
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
            child = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
                start_new_session=True,  # the sweep relays signals itself: a terminal's Ctrl+C reaches only it
            )
            if not self.controls.attach(child):
                child.wait()
                return
            try:
                for line in child.stdout:
                    if not line.strip():
                        continue
                    try:
                        event = event_from_json(line)
                    except (ValueError, KeyError, TypeError) as error:
                        event = Failed(message=f"the run at rate {rate:g} wrote an unreadable line: {one_line(error)}")
                    sink(event)
                code = self._wait(child)
            finally:
                self.controls.detach(child)
                if child.poll() is None:
                    child.kill()
                    child.wait()
            errors.seek(0)
            message = errors.read().strip().splitlines()
        if self.controls.cancelled or (self.controls.stop_requested and result.summary is None):
            return  # ended by the sweep itself: not a failure of the run
        if code == 2 and result.summary is None:
            text = message[-1] if message else f"the run at rate {rate:g} refused its input"
            self.user_error = ConfigError(text.removeprefix("dropout-tui: error: "))
        elif code != 0 and result.failed is None:
            text = message[-1].removeprefix("dropout-tui: ") if message else f"exit {code}"
            sink(Failed(message=f"the run at rate {rate:g} ended: {text}"))

    def _wait(self, child: subprocess.Popen) -> int:
        while True:
            try:
                return child.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                if self.controls.cancelled:
                    try:
                        return child.wait(timeout=CHILD_GRACE_SECONDS)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        return child.wait()


def _fresh_keras_state() -> None:
    """Before each in-process run: Keras forgets the last run's layer names and graphs (once it is loaded).

    Without it the second model's layers are ``dense_2``, ``dropout_1``: names, and with them the
    summary, would differ from a fresh ``train`` process.
    """
    if "keras" in sys.modules:
        import keras

        keras.backend.clear_session(free_memory=True)
