"""What the sweep app knows, free of widgets: one RateRun per rate (or per compared run) and the sweep's progress.

The app's worker only appends the sweep's items (``Tagged`` run events, ``SweepStarted``,
``SweepSummary``) to a buffer; the UI thread folds them in here. compare builds the same
state from files, so the table, the chart and the export never know where the numbers came from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.evaluation.block import UncertaintyBlock
from dropout_tui.engine.events import (
    BatchLosses,
    EnsembleMember,
    EpochEnd,
    Event,
    Failed,
    Finished,
    ModeEvaluation,
    RunStarted,
    Status,
    Summary,
    SweepStarted,
    SweepSummary,
)
from dropout_tui.engine.sweep.runner import Tagged
from dropout_tui.tui.export import history_of
from dropout_tui.tui.fmt import finite
from dropout_tui.tui.redraw import STATUS

TABLE, CHART = "table", "chart"  # what the sweep's panes draw; the status line is the train app's STATUS
ENDED = frozenset({"finished", "stopped", "failed", "cancelled", "skipped"})


@dataclass
class RateRun:
    """One run of the sweep (one rate), or one run compare read from a file."""

    rate: float | None  # None: a compared file whose model has no rate
    label: str = ""  # compare: the file it came from
    state: str = "pending"  # pending, loading, running, evaluating, paused; ENDED
    message: str = ""
    started: RunStarted | None = None
    epochs: list[EpochEnd] = field(default_factory=list)
    evaluations: list[ModeEvaluation] = field(default_factory=list)  # every round (the export's history)
    finished: Finished | None = None
    failed: Failed | None = None
    summary: Summary | None = None
    epoch: int = 0  # the epoch in progress (or the last one run)
    step: int = 0
    total_epochs: int = 0
    seconds: float = 0.0  # training time so far (the sum of the epochs' seconds), or the run's own once finished
    x: float | None = None  # where the chart puts it: the rate, or compare's file order
    recorded: dict = field(default_factory=dict)  # compare: the run's options as its file recorded them

    @property
    def evaluation(self) -> ModeEvaluation | None:
        """The latest round."""
        return self.evaluations[-1] if self.evaluations else None

    def history(self) -> list[dict]:
        """Every evaluation round as the export writes it (a Summary read from a line or a child process has none)."""
        if self.summary is not None and self.summary.history:
            return list(self.summary.history)
        return history_of(self.evaluations)

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def modes(self) -> dict:
        if self.summary is not None:
            return self.summary.modes or {}
        return self.evaluation.modes if self.evaluation else {}

    @property
    def uncertainty(self) -> dict | None:
        if self.summary is not None:
            return self.summary.uncertainty
        return self.evaluation.uncertainty if self.evaluation else None

    @property
    def block(self) -> UncertaintyBlock | None:
        """``uncertainty`` as typed structures, parsed once per event."""
        if self.summary is not None:
            return self.summary.block
        return self.evaluation.block if self.evaluation else None

    @property
    def task(self) -> str:
        if self.summary is not None:
            return self.summary.task
        return self.started.task if self.started else "classification"

    @property
    def last_epoch(self) -> EpochEnd | None:
        return self.epochs[-1] if self.epochs else None

    @property
    def steps(self) -> int:
        return self.started.steps_per_epoch if self.started else 0

    def progress(self) -> float:
        """How much of this run is done, 0 to 1 (training by epochs and steps; an ended run is done)."""
        if self.ended:
            return 1.0
        if not self.total_epochs:
            return 0.0
        within = self.step / self.steps if self.steps else 0.0
        done = len(self.epochs) + (within if self.epoch > len(self.epochs) else 0.0)
        return min(done / self.total_epochs, 0.99)

    def apply(self, event: Event) -> set[str]:
        if isinstance(event, Status):
            if not self.ended:
                if event.state == "stopped":  # "cancelled", or a stop: "evaluating the model as it is"
                    self.state = "cancelled" if event.message == "cancelled" else "evaluating"
                else:
                    self.state = event.state
                self.message = event.message
            return {STATUS, TABLE}
        if isinstance(event, RunStarted):
            self.started = event
            self.total_epochs = int(event.config.get("epochs") or self.total_epochs)
            return {STATUS, TABLE}
        if isinstance(event, BatchLosses):
            self.epoch, self.step = event.epoch, event.first_step + len(event.losses) - 1
            return {STATUS, TABLE}
        if isinstance(event, EpochEnd):
            self.epochs.append(event)
            self.epoch, self.step = event.epoch, self.steps
            self.seconds += finite(event.seconds) or 0.0
            return {STATUS, TABLE, CHART}
        if isinstance(event, ModeEvaluation):
            self.evaluations.append(event)
            return {TABLE, CHART}
        if isinstance(event, EnsembleMember) and self.evaluations:
            # The engine's last round now holds the ensemble so far (its summary's history does the same).
            self.evaluations[-1] = dataclasses.replace(self.evaluations[-1], uncertainty=event.uncertainty)
            return {TABLE, CHART}
        if isinstance(event, Finished):
            self.finished = event
            self.seconds = finite(event.seconds) or self.seconds
            return {STATUS}
        if isinstance(event, Failed):
            self.failed, self.state, self.message = event, "failed", event.message
            return {STATUS, TABLE, CHART}
        if isinstance(event, Summary):
            self.summary = event
            stopped = self.finished is not None and self.finished.stopped_by_user
            self.state = "stopped" if stopped else "finished"
            return {STATUS, TABLE, CHART}
        return set()


def _shared_config(recorded: dict, fallback: RunConfig) -> RunConfig:
    """The options a sweep stream says its runs shared (a replay shows them), keeping what it does not say."""
    known = {f.name for f in dataclasses.fields(RunConfig)} - {"rate"}
    try:
        return dataclasses.replace(fallback, **{k: v for k, v in (recorded or {}).items() if k in known})
    except TypeError:
        return fallback


@dataclass
class SweepState:
    """The sweep's runs in --rates order (compare: file order), and what the app adds: pause, stop, the metric."""

    config: RunConfig
    runs: list[RateRun] = field(default_factory=list)
    jobs: int = 1
    compare: list[str] = field(default_factory=list)  # compare: the files (their labels), in the order given
    started: SweepStarted | None = None
    summary: SweepSummary | None = None
    notices: list[str] = field(default_factory=list)
    live: bool = False  # driven by a real sweep, not a replay or compare
    began_at: float | None = None  # live: when the first run began, on the UI's clock
    ended_at: float | None = None
    paused: bool = False
    stopping: bool = False
    failed: str | None = None  # the sweep itself ended in error (a user error, a crash)
    metric: int = 0  # the chart's metric (m/M): an index into the task's metrics (tui/sweep/metrics.py), wrapping

    @classmethod
    def planned(cls, config: RunConfig, rates: Sequence[float], jobs: int = 1) -> SweepState:
        state = cls(config=config, jobs=jobs)
        state.plan(rates)
        return state

    def plan(self, rates: Sequence[float]) -> None:
        known = {run.rate: run for run in self.runs}
        self.runs = [known.get(rate) or RateRun(rate, total_epochs=self.config.epochs) for rate in rates]
        for run in self.runs:
            run.x = run.rate

    @property
    def task(self) -> str:
        return self.runs[0].task if self.runs else "classification"

    @property
    def is_compare(self) -> bool:
        return bool(self.compare)

    @property
    def over(self) -> bool:
        if self.is_compare or self.summary is not None or self.failed is not None:
            return True
        return bool(self.runs) and all(run.ended for run in self.runs)

    def run_for(self, rate: float) -> RateRun:
        for run in self.runs:
            if run.rate == rate:
                return run
        run = RateRun(rate, total_epochs=self.config.epochs, x=rate)
        self.runs.append(run)
        return run

    @property
    def active(self) -> list[RateRun]:
        return [run for run in self.runs if run.state not in ENDED and run.state != "pending"]

    @property
    def done(self) -> list[RateRun]:
        return [run for run in self.runs if run.ended]

    def apply(self, item: object) -> set[str]:
        """Fold in one item of the sweep's stream; returns what changed."""
        if isinstance(item, Tagged):
            return self.run_for(item.rate).apply(item.event)
        if isinstance(item, SweepStarted):
            self.started, self.jobs = item, item.jobs
            self.config = _shared_config(item.config, self.config)
            self.plan(item.rates)
            self.notices.extend(item.notes)
            return {STATUS, TABLE, CHART}
        if isinstance(item, SweepSummary):
            self.summary = item
            for run in self.runs:
                if not run.ended:  # never started (a stop, a cancel), or cut short
                    run.state = "skipped" if run.state == "pending" else "cancelled"
            return {STATUS, TABLE, CHART}
        return set()

    def fraction(self) -> float:
        if not self.runs:
            return 0.0
        return sum(run.progress() for run in self.runs) / len(self.runs)

    def elapsed(self, now: float) -> float:
        """Live: wall time since the first run began; a replay: the runs' own seconds, so frames are deterministic."""
        if self.live and self.began_at is not None:
            return (self.ended_at or now) - self.began_at
        return sum(run.seconds for run in self.runs)

    def eta_seconds(self, now: float) -> float | None:
        fraction = self.fraction()
        if self.over or fraction <= 0 or fraction >= 1:
            return None
        elapsed = self.elapsed(now)
        return elapsed * (1 - fraction) / fraction if math.isfinite(elapsed) else None

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices
