"""What the UI knows: the training run (RunState) and the explain run (ExplainState), both free of widgets.

The app drains the engine's events and the explain worker's news from one
buffer (tui/bridge.py) on the UI thread and folds them in here; panes draw from
these states and the export writes them, so a recorded stream, a live run and
an export share one source of truth.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

from dropout_tui.engine import backends
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    BatchLosses,
    EnsembleMember,
    EpochEnd,
    Event,
    Failed,
    Finished,
    LogRecord,
    ModeEvaluation,
    Notice,
    RateChanged,
    RateScheduled,
    RunStarted,
    SampleProbe,
    SamplesChanged,
    Status,
    Summary,
)
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.tui.fmt import STARTUP, finite, rates_text, tidy_log
from dropout_tui.tui.redraw import EXPLAIN, LOG, LOSS, MODES_TABLE, PROBE, STATUS

LOG_LINES = 2000  # the log keeps its newest lines, in the state and in the pane

AT_ONCE = "now: every mode is evaluated again"  # a change made when no training goes on


@dataclass
class RunState:
    """Everything the panes and the export show about a run.

    Mostly folded from engine events (``apply``); the app adds what only it
    knows: whether the user paused or stopped the run, and when the run began on
    the UI's clock (a live run's elapsed time).
    """

    config: RunConfig
    state: str = "loading"
    message: str = ""  # "loading <the run's backend>" until the engine says more
    started: RunStarted | None = None
    batch_x: list[float] = field(default_factory=list)  # fractional epoch of each batch
    batch_loss: list[float] = field(default_factory=list)  # may hold NaN: filtered when drawn
    epochs: list[EpochEnd] = field(default_factory=list)
    evaluations: list[ModeEvaluation] = field(default_factory=list)
    probe: SampleProbe | None = None
    rate_changes: list[RateChanged] = field(default_factory=list)  # changes that changed a rate, nothing else
    rates: dict[str, float] = field(default_factory=dict)  # rate handle -> its rate now (per stochastic layer)
    scheduled: RateScheduled | None = None  # a change waiting for the next epoch
    samples: int = 0
    epoch: int = 0
    step: int = 0
    samples_per_second: float | None = None
    finished: Finished | None = None
    failed: Failed | None = None
    summary: Summary | None = None
    warnings: int = 0
    logs: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=LOG_LINES))  # (level, text), newest last
    logged: int = 0  # lines ever added to logs: a view that has shown n of them draws the last logged - n
    notices: list[str] = field(default_factory=list)  # the engine's answers to keys, not yet shown
    # Known only to the UI:
    paused: bool = False
    stopping: bool = False
    live: bool = False  # driven by a real engine, not a replay
    started_at: float | None = None  # when RunStarted arrived (live runs): the engine's clock starts there too
    _startup_seen: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        self.samples = self.config.mc_samples
        self.message = self.message or f"loading {backends.label(self.config.backend)}"

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
    def task(self) -> str | None:
        """``classification`` or ``regression`` once the run says; before that what was asked (None: undecided)."""
        return self.started.task if self.started is not None else self.config.task

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def uncertainty(self) -> dict | None:
        """The last round's uncertainty block (classification; None for regression or before the first round)."""
        return self.evaluations[-1].uncertainty if self.evaluations else None

    @property
    def stochastic(self) -> bool | None:
        """Whether the model has any stochastic layer; None before the run starts."""
        return None if self.started is None else bool(self.started.stochastic_layers)

    @property
    def training_over(self) -> bool:
        return self.finished is not None or self.failed is not None

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; returns the panes that changed."""
        if isinstance(event, Status):
            self.state, self.message = event.state, event.message
            return {STATUS}
        if isinstance(event, RunStarted):
            return self._run_started(event)
        if isinstance(event, BatchLosses):
            return self._batches(event)
        if isinstance(event, EpochEnd):
            self.epochs.append(event)
            self.epoch = event.epoch
            self.samples_per_second = finite(event.samples_per_second) or self.samples_per_second
            return {LOSS, STATUS}
        if isinstance(event, ModeEvaluation):
            self.evaluations.append(event)
            return {MODES_TABLE}
        if isinstance(event, EnsembleMember) and self.evaluations:
            # The engine's last round now holds the ensemble so far (its summary's history does the same).
            self.evaluations[-1] = replace(self.evaluations[-1], uncertainty=event.uncertainty)
            return {MODES_TABLE}
        if isinstance(event, SampleProbe):
            self.probe = event  # its own T (a probe drawn before a T change): samples follows SamplesChanged only
            return {PROBE}
        if isinstance(event, (RateChanged, RateScheduled, Notice)):
            return self._rate(event)
        if isinstance(event, SamplesChanged):
            self.samples = event.samples
            return {STATUS, MODES_TABLE}
        if isinstance(event, LogRecord):
            return self.log(event.level, event.message)
        if isinstance(event, Finished):
            self.finished = event
            self.state = "stopped" if event.stopped_by_user else "finished"
            return {STATUS}
        if isinstance(event, Failed):
            self.failed = event
            self.state, self.message = "failed", event.message
            text = event.message + (f"\n{event.traceback}" if event.traceback else "")
            self.add_log("ERROR", text)
            return {STATUS, LOG}
        if isinstance(event, Summary):
            self.summary = event
        return set()

    def _run_started(self, event: RunStarted) -> set[str]:
        self.started = event
        if self.state == "loading":
            self.state, self.message = "running", ""
        # run_started.rates (handle -> rate) is the source of truth; older streams have the layers' rates only.
        self.rates = dict(event.rates) or rates_of(event.stochastic_layers)
        # What the engine found out about the model and data (logits, BatchNorm, predict()).
        for note in event.notes:
            self.add_log("note", note)
        return {STATUS, LOSS, MODES_TABLE, PROBE, LOG}

    def _rate(self, event: RateChanged | RateScheduled | Notice) -> set[str]:
        if isinstance(event, Notice):
            self.notices.append(event.message)
            return set()
        if isinstance(event, RateScheduled):
            self.scheduled = None if event.withdrawn else event
            what = "withdrawn: rates stay at" if event.withdrawn else f"from epoch {event.epoch}:"
            self.notices.append(f"rate change {what} {rates_text(event.rates or {'': event.rate}, label=False)}")
            return {STATUS}
        rates = dict(event.rates) or dict.fromkeys(self.rates or ["dropout"], event.rate)
        announced, self.scheduled = self.scheduled is not None, None
        if rates == self.rates:  # nothing moved: nothing to record on the chart or in the export
            return {STATUS}
        self.rate_changes.append(event)
        self.rates = rates
        if not announced:  # applied at once when no training goes on: the engine evaluates every mode again
            when = AT_ONCE if measures_at_once(self) else f"from epoch {event.epoch}"
            self.notices.append(f"dropout {rates_text(rates)} {when}")
        return {STATUS, LOSS}

    def _batches(self, event: BatchLosses) -> set[str]:
        steps = self.started.steps_per_epoch if self.started else 0
        for offset, loss in enumerate(event.losses):
            step = event.first_step + offset
            self.batch_x.append(event.epoch - 1 + (step / steps if steps else 0.0))
            value = finite(loss)
            self.batch_loss.append(float("nan") if value is None else value)
        self.epoch = max(self.epoch, event.epoch - 1)
        self.step = event.first_step + len(event.losses) - 1
        self.samples_per_second = finite(event.samples_per_second) or self.samples_per_second
        return {LOSS, STATUS}

    def log(self, level: str, text: str) -> set[str]:
        """A line for the log pane (a LogRecord, or fd 2 output the app caught); start-up notices once each."""
        tidy = tidy_log(level, text)
        if tidy is None or tidy in self._startup_seen:
            return set()
        if tidy[0] == STARTUP:
            self._startup_seen.add(tidy)
        elif tidy[0].upper() in ("WARNING", "ERROR", "CRITICAL"):
            self.warnings += 1
        self.add_log(*tidy)
        return {LOG, STATUS}

    def add_log(self, level: str, text: str) -> None:
        self.logs.append((level, text))
        self.logged += 1

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    def mode_trend(self, mode: str, key: str = "accuracy") -> list[float | None]:
        """One metric of one mode (accuracy; RMSE for regression) at each evaluation so far."""
        return [finite(ev.modes.get(mode, {}).get(key)) for ev in self.evaluations]

    def elapsed(self, now: float) -> float | None:
        """Run time, counted like Finished.seconds (from the run's start, loading excluded): it never jumps back."""
        if self.finished is not None:
            return self.finished.seconds
        if not self.live:  # a replay: only what the events say, so frames are deterministic
            return sum(e.seconds for e in self.epochs)
        return 0.0 if self.started_at is None else now - self.started_at

    def eta_seconds(self) -> float | None:
        """Remaining training time (see remaining_seconds); None once finished."""
        return None if self.finished else remaining_seconds([e.seconds for e in self.epochs], self.total_epochs)


def remaining_seconds(epochs: list[float], total: int) -> float | None:
    """The epochs still to run times the mean epoch so far.

    The first epoch traces and compiles the model's functions, so once a second one is done it is left out of
    the mean (as Keras's Progbar leaves out its first step); until then it is the only estimate.
    """
    done = [finite(seconds) for seconds in epochs]
    steady = [d for d in done[1:] if d is not None] or [d for d in done[:1] if d is not None]
    if not steady or total <= 0:
        return None
    return max(0, total - len(epochs)) * sum(steady) / len(steady)


def measures_at_once(state: RunState) -> bool:
    """Whether the engine evaluates every mode again right after a rate or T change (no training goes on)."""
    return state.training_over or not state.total_epochs


def inference_random(state: RunState | None) -> bool:
    """Whether a layer stays random with training=False (always on): "dropout off" would then be untrue."""
    started = state.started if state is not None else None
    return started is not None and any(layer.get("always_on") for layer in started.stochastic_layers)


def inference_label(state: RunState | None) -> str:
    """What the inference prediction is called where it is shown: what was measured, training=False."""
    return "training=False" if inference_random(state) else "dropout off"


def rates_of(layers: list[dict]) -> dict[str, float]:
    """Rate handle -> rate from the layers themselves: a layer's name, or ``<name>.dropout`` and
    ``<name>.recurrent_dropout`` for a recurrent layer (the engine's handles, as in run_started.rates)."""
    rates: dict[str, float] = {}
    for layer in layers:
        if layer.get("kind") == "recurrent":
            for part in ("dropout", "recurrent_dropout"):
                if layer.get(part) is not None:
                    rates[f"{layer['name']}.{part}"] = layer[part]
        elif layer.get("rate") is not None:
            rates[layer["name"]] = layer["rate"]
    return rates


# --- the explain run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainNews:
    """What the explain worker says, through the same buffer as the engine's events; ``run`` numbers the run."""

    run: int


@dataclass(frozen=True)
class ClaimStarted(ExplainNews):
    claim_id: int


@dataclass(frozen=True)
class ClaimMeasured(ExplainNews):
    result: ClaimResult


@dataclass(frozen=True)
class ExplainFinished(ExplainNews):
    report: ExplainReport


@dataclass(frozen=True)
class ExplainFailed(ExplainNews):
    error: str  # one line, for the user
    traceback: str = ""


@dataclass
class ExplainState:
    """The app's one explain run: kept after the Explain screen closes, shown again when it reopens."""

    run: int = 0  # 0: never started; each rerun counts up, and news from an older run is ignored
    results: list[ClaimResult] = field(default_factory=list)
    running_claim: int | None = None
    report: ExplainReport | None = None
    error: str | None = None
    began: float | None = None
    seconds: float | None = None

    @property
    def running(self) -> bool:
        return self.run > 0 and self.report is None and self.error is None

    def begin(self, now: float) -> int:
        """Start a new run (forgetting the last one's results); returns its number."""
        self.run += 1
        self.results, self.running_claim, self.report, self.error = [], None, None, None
        self.began, self.seconds = now, None
        return self.run

    def apply(self, news: ExplainNews, now: float) -> set[str]:
        if news.run != self.run or not self.running:
            return set()
        if isinstance(news, ClaimStarted):
            self.running_claim = news.claim_id
        elif isinstance(news, ClaimMeasured):
            self.results.append(news.result)
        elif isinstance(news, ExplainFinished):
            self.report, self.results, self.running_claim = news.report, list(news.report.claims), None
            self.seconds = None if self.began is None else now - self.began
        elif isinstance(news, ExplainFailed):
            self.error, self.running_claim = news.error, None
        return {EXPLAIN}
