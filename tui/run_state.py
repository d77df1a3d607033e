"""Everything the UI knows about a run, rebuilt from engine events alone.

The App folds each event into one RunState on the main thread; panes render
from it and the export writes it. Keeping this free of widgets lets a recorded
stream, a live run and an export all share one source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    BatchLosses,
    EpochEnd,
    Event,
    Failed,
    Finished,
    LogRecord,
    ModeEvaluation,
    RateChanged,
    RunStarted,
    SampleProbe,
    SamplesChanged,
    Status,
    Summary,
)
from dropout_tui.tui.fmt import finite

MODE_ORDER = ("inference", "training", "trainable_flag", "dropout_only", "mc")

# Which panes need a redraw after an event; the App redraws each at most once per tick.
LOSS, MODES, PROBE, STATUS, LOG = "loss", "modes", "probe", "status", "log"


@dataclass
class RunState:
    config: RunConfig
    state: str = "loading"
    message: str = "loading TensorFlow"
    started: RunStarted | None = None
    batch_x: list[float] = field(default_factory=list)  # fractional epoch of each batch
    batch_loss: list[float] = field(default_factory=list)  # may hold NaN: filtered when drawn
    epochs: list[EpochEnd] = field(default_factory=list)
    evaluations: list[ModeEvaluation] = field(default_factory=list)
    probe: SampleProbe | None = None
    rate_changes: list[RateChanged] = field(default_factory=list)
    rate: float = 0.0
    samples: int = 0
    epoch: int = 0
    step: int = 0
    global_step: int = 0
    samples_per_second: float | None = None
    finished: Finished | None = None
    failed: Failed | None = None
    summary: Summary | None = None
    warnings: int = 0
    pending_logs: list[tuple[str, str]] = field(default_factory=list)  # (level, text) not yet shown

    def __post_init__(self) -> None:
        self.rate = self.config.rate
        self.samples = self.config.mc_samples

    @property
    def inspect(self) -> bool:
        return self.config.command == "inspect"

    @property
    def total_epochs(self) -> int:
        return self.config.fine_tune if self.inspect else self.config.epochs

    @property
    def latest_modes(self) -> dict:
        return self.evaluations[-1].modes if self.evaluations else {}

    @property
    def stochastic(self) -> bool | None:
        """Whether the model has any stochastic layer; None before the run starts."""
        return None if self.started is None else bool(self.started.stochastic_layers)

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; returns the panes that changed."""
        if isinstance(event, Status):
            self.state, self.message = event.state, event.message
            return {STATUS}
        if isinstance(event, RunStarted):
            self.started = event
            if self.state == "loading":
                self.state, self.message = "running", ""
            # What the engine found out about the model and data (logits, BatchNorm, predict()).
            self.pending_logs.extend(("note", note) for note in event.notes)
            return {STATUS, LOSS, MODES, PROBE, LOG}
        if isinstance(event, BatchLosses):
            return self._batches(event)
        if isinstance(event, EpochEnd):
            self.epochs.append(event)
            self.epoch = event.epoch
            self.samples_per_second = finite(event.samples_per_second) or self.samples_per_second
            return {LOSS, STATUS}
        if isinstance(event, ModeEvaluation):
            self.evaluations.append(event)
            return {MODES}
        if isinstance(event, SampleProbe):
            self.probe = event
            self.samples = event.samples
            return {PROBE}
        if isinstance(event, RateChanged):
            self.rate_changes.append(event)
            self.rate = event.rate
            return {LOSS, STATUS}
        if isinstance(event, SamplesChanged):
            self.samples = event.samples
            return {STATUS, MODES}
        if isinstance(event, LogRecord):
            if event.level.upper() in ("WARNING", "ERROR", "CRITICAL"):
                self.warnings += 1
            self.pending_logs.append((event.level, event.message))
            return {LOG, STATUS}
        if isinstance(event, Finished):
            self.finished = event
            self.state = "stopped" if event.stopped_by_user else "finished"
            return {STATUS}
        if isinstance(event, Failed):
            self.failed = event
            self.state, self.message = "failed", event.message
            text = event.message + (f"\n{event.traceback}" if event.traceback else "")
            self.pending_logs.append(("ERROR", text))
            return {STATUS, LOG}
        if isinstance(event, Summary):
            self.summary = event
            return set()
        return set()

    def _batches(self, event: BatchLosses) -> set[str]:
        steps = self.started.steps_per_epoch if self.started else 0
        for offset, loss in enumerate(event.losses):
            step = event.first_step + offset
            self.batch_x.append(event.epoch - 1 + (step / steps if steps else 0.0))
            value = finite(loss)
            self.batch_loss.append(float("nan") if value is None else value)
        self.epoch = max(self.epoch, event.epoch - 1)
        self.step = event.first_step + len(event.losses) - 1
        self.global_step = event.global_step + len(event.losses) - 1
        self.samples_per_second = finite(event.samples_per_second) or self.samples_per_second
        return {LOSS, STATUS}

    def mode_trend(self, mode: str) -> list[float | None]:
        """The accuracy of one mode at each evaluation so far."""
        return [finite(ev.modes.get(mode, {}).get("accuracy")) for ev in self.evaluations]

    def eta_seconds(self) -> float | None:
        """Remaining training time from the mean epoch duration so far."""
        done = [finite(e.seconds) for e in self.epochs]
        done = [d for d in done if d is not None]
        if not done or self.finished or self.total_epochs <= 0:
            return None
        return max(0, self.total_epochs - len(self.epochs)) * sum(done) / len(done)
