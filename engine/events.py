"""Engine events: the only thing the engine says to the outside world.

Every event is a small frozen dataclass with a JSON name (``EVENT``) and
``to_json()``. Headless mode writes them as JSON lines; the app's worker puts
them in a buffer the UI thread drains. Everything the app knows about a run
comes from this stream, so a recorded stream (``event_from_json``) replays a run
without TensorFlow. docs/headless.md documents every field.

Numbers that can be NaN/inf (a diverging loss) are written as ``null`` so the
output is always strict JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dropout_tui.engine.evaluation.block import UncertaintyBlock


def finite(value: object) -> float | None:
    """The value as a float when it is a finite number, else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # any object: what float() refuses is caught below
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def json_safe(value: Any) -> Any:
    """Make a value strict-JSON safe: NaN/inf become None, tuples become lists, numpy scalars plain."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return json_safe(value.item())
    return value


@dataclass(frozen=True)
class Event:
    """One thing the engine says; ``EVENT`` is its JSON name, the dataclass fields its JSON fields."""

    EVENT = "event"

    def payload(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.EVENT, **json_safe(self.payload())}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, separators=(", ", ": "))


@dataclass(frozen=True)
class RunStarted(Event):
    """The run's configuration and what the model and data turned out to be."""

    EVENT = "run_started"
    command: str  # "train" or "inspect"
    config: dict
    dataset: str
    n_train: int
    n_test: int
    input_shape: list
    classes: int  # probability columns (2 for a one-unit binary head); 0 for regression
    # [{"name", "class", "kind", "rate", "noise_shape"} + "stddev" (noise), "dropout"/"recurrent_dropout"
    # (recurrent), "always_on": true (random even with training=False)]
    stochastic_layers: list
    normalization_layers: list  # [{"name", "class"}]
    keras_version: str
    tensorflow_version: str
    devices: list  # e.g. ["CPU"] or ["GPU: NVIDIA H100 80GB HBM3"]
    steps_per_epoch: int
    notes: list = field(default_factory=list)  # plain sentences, e.g. "outputs are logits: softmaxed"
    task: str = "classification"  # or "regression"
    augmentation_layers: list = field(default_factory=list)  # [{"name", "class"}]: random in training mode only
    replicas: int = 1  # devices training and evaluation run on (tf.distribute)
    device_names: list = field(default_factory=list)  # every replica's device, across workers in task order
    rates: dict = field(default_factory=dict)  # what + and - move: rate handle -> rate (as rate_changed.rates)
    backend: str = "tensorflow"  # the Keras backend the run ran on (engine.backends)
    backend_version: str = ""  # that backend's package version (tensorflow_version on TensorFlow)
    workers: int = 1  # processes the run spans (--workers / TF_CONFIG, MultiWorkerMirroredStrategy)
    worker_index: int = 0  # the worker that wrote this event: 0, the chief, writes the events
    worker_devices: list = field(default_factory=list)  # per worker: {"address", "devices", "device_names"}


@dataclass(frozen=True)
class Status(Event):
    """Lifecycle text for the status line: loading TensorFlow, training, paused, stopped..."""

    EVENT = "status"
    state: str  # "loading" | "running" | "paused" | "stopped" | "evaluating" | "finished"
    message: str = ""


@dataclass(frozen=True)
class BatchLosses(Event):
    """Per-batch training losses (dropout on), aggregated to at most ~20 events/s."""

    EVENT = "batch_losses"
    epoch: int  # 1-based
    first_step: int  # 1-based step within the epoch of losses[0]
    global_step: int  # 1-based global step of losses[0]
    losses: list
    samples_per_second: float


@dataclass(frozen=True)
class EpochEnd(Event):
    """One epoch done: fit's loss next to the training and test sets' losses at the end weights."""

    EVENT = "epoch_end"
    epoch: int
    train_loss_keras: float  # what fit reports: dropout on, averaged over the epoch
    train_loss_inference: float  # training set, end-of-epoch weights, dropout off
    test_loss_inference: float
    train_accuracy_inference: float | None  # None for a regressor
    test_accuracy_inference: float | None
    seconds: float
    samples_per_second: float
    rate: float  # dropout rate used during this epoch
    train_loss_dropout: float | None = None  # training set, end-of-epoch weights, dropout on (one pass)


class _CarriesUncertainty:
    """An event with an ``uncertainty`` block (a round, a summary), which readers take as typed structures."""

    uncertainty: dict | None

    @functools.cached_property
    def block(self) -> UncertaintyBlock | None:
        """``uncertainty`` as typed structures (engine/evaluation/block.py), parsed once, on first use."""
        from dropout_tui.engine.evaluation.block import UncertaintyBlock

        return UncertaintyBlock.parse(self.uncertainty)


@dataclass(frozen=True)
class ModeEvaluation(_CarriesUncertainty, Event):
    """One round of every evaluation mode on the test set (names and keys: engine/evaluation/modes.py)."""

    EVENT = "mode_evaluation"
    epoch: int
    modes: dict  # mode name -> metrics dict as in the summary contract
    seconds: float | None = None  # wall time of this evaluation, the probe included
    uncertainty: dict | None = None  # classification: reliability, scores, decomposition, ood (docs/headless.md)
    # The setting these numbers were measured at: + - t T change it between rounds, so a round carries its own.
    rates: dict = field(default_factory=dict)  # rate handle -> rate (as run_started.rates)
    samples: int | None = None  # T of the mc mode (None: a stream recorded before rounds carried it)
    repeats: int | None = None  # R of the training and dropout_only modes

    def history_entry(self) -> dict:
        """This round as a summary's ``history`` (and every export) lists it."""
        return {
            "epoch": self.epoch,
            "rates": self.rates,
            "samples": self.samples,
            "repeats": self.repeats,
            "modes": self.modes,
            "uncertainty": self.uncertainty,
        }


@dataclass(frozen=True)
class EnsembleMember(Event):
    """One more `--ensemble` member trained: the last round's uncertainty block with the ensemble so far.

    The block replaces that round's (the summary and exports hold it), so ``methods.ensemble`` grows
    live from 2 members to K.
    """

    EVENT = "ensemble_member"
    member: int  # members so far, the main run's model included (2..K)
    members: int  # K
    seed: int  # the seed this member was trained with
    seconds: float  # its training and prediction time
    uncertainty: dict


@dataclass(frozen=True)
class SampleProbe(Event):
    """One test sample predicted T times with dropout on, and once with it off."""

    EVENT = "sample_probe"
    index: int
    label: int | None  # classification: the true class
    image: list  # pixel values in [0, 1] (rescaled for display only), row-major
    image_shape: list  # e.g. [8, 8]; [n] for non-image inputs
    inference_probs: list  # classification: dropout off; [] for regression
    predicted: int | None  # argmax of inference_probs
    pass_probs: list  # classification: T values of p(predicted class), one per stochastic pass
    votes: list  # per class: how many passes chose it
    mean: float  # mean of pass_probs (regression: of pass_values)
    std: float
    predictive_entropy: float | None  # classification only
    mutual_information: float | None
    samples: int  # T
    task: str = "classification"
    target: list | None = None  # regression: the sample's target values
    inference_outputs: list | None = None  # regression: the dropout-off prediction
    pass_values: list | None = None  # regression: T predictions of the first output


@dataclass(frozen=True)
class RateChanged(Event):
    """Stochastic layers' rates from now on: from the next epoch while training, at once otherwise."""

    EVENT = "rate_changed"
    epoch: int  # first epoch that trains with the new rates (after training: epochs run + 1)
    global_step: int
    rate: float  # the first layer's rate (the default model has one layer)
    rates: dict = field(default_factory=dict)  # rate handle ("dropout", "lstm.recurrent_dropout") -> rate


@dataclass(frozen=True)
class RateScheduled(Event):
    """A rate change waiting for the next epoch; ``withdrawn`` when more keys brought it back to the rates in use."""

    EVENT = "rate_scheduled"
    epoch: int  # the epoch it applies from
    rate: float
    rates: dict
    withdrawn: bool = False


@dataclass(frozen=True)
class Notice(Event):
    """The engine's answer to a user's command that changed nothing (a rate at its limit, a bad index)."""

    EVENT = "notice"
    message: str


@dataclass(frozen=True)
class SamplesChanged(Event):
    EVENT = "samples_changed"
    samples: int


@dataclass(frozen=True)
class LogRecord(Event):
    """A captured TensorFlow/absl log line or Python warning."""

    EVENT = "log"
    level: str
    message: str


@dataclass(frozen=True)
class Finished(Event):
    EVENT = "finished"
    epochs_run: int
    seconds: float
    stopped_by_user: bool


@dataclass(frozen=True)
class Failed(Event):
    EVENT = "failed"
    message: str  # one line, for the user
    epoch: int | None = None
    batch: int | None = None
    traceback: str = ""


@dataclass(frozen=True)
class Summary(_CarriesUncertainty, Event):
    """The last line of a successful headless run (docs/headless.md)."""

    EVENT = "summary"
    dataset: str
    n_train: int
    n_test: int
    epochs_run: int
    seconds: float
    stochastic_layers: list
    modes: dict
    task: str = "classification"
    uncertainty: dict | None = None
    augmentation_layers: list = field(default_factory=list)
    history: list = field(default_factory=list)  # per-evaluation rounds; exports keep it
    backend: str = "tensorflow"  # as run_started.backend: every export of the run says what it ran on
    backend_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        # history (every round) is for exports; the headless summary line holds the last round only.
        data.pop("history")
        return data

    def to_export_dict(self) -> dict[str, Any]:
        return {"event": self.EVENT, **json_safe(self.payload())}


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


EVENT_TYPES: dict[str, type[Event]] = {
    cls.EVENT: cls
    for cls in (
        RunStarted,
        Status,
        BatchLosses,
        EpochEnd,
        ModeEvaluation,
        EnsembleMember,
        SampleProbe,
        RateChanged,
        RateScheduled,
        Notice,
        SamplesChanged,
        LogRecord,
        Finished,
        Failed,
        Summary,
        SweepStarted,
        SweepSummary,
    )
}


def event_from_json(line: str) -> Event:
    """Rebuild an event from one JSON line (for recorded streams)."""
    data = json.loads(line)
    cls = EVENT_TYPES[data.pop("event")]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


Sink = Callable[[Event], None]
