"""Run configuration and its validation (one line per problem, for the CLI)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.limits import LIMITS, TASKS, check_input_scale


@dataclass(frozen=True)
class RunConfig:
    """Everything a run was asked to do; the engine never changes it (live changes arrive as commands)."""

    command: str = "train"  # "train" | "inspect"
    dataset: str = "digits"  # "digits" | "mnist" | "fashion_mnist"
    data_path: str | None = None  # a .npz file; overrides dataset
    model_path: str | None = None  # inspect: a .keras / .h5 file
    unsafe: bool = False  # allow unsafe deserialisation (Lambda layers)
    input_scale: float | None = None  # inspect: multiply inputs by this
    fine_tune: int = 0  # inspect: epochs to train before evaluating
    epochs: int = 30
    batch_size: int = 32
    rate: float = 0.2
    hidden: int = 128
    lr: float = 0.001
    seed: int = 0
    eval_every: int = 1
    mc_samples: int = 30
    repeats: int = 5
    probe_index: int = 0
    task: str | None = None  # "classification" | "regression" | None: decided from the data and the model
    ood: str | None = None  # "noise" or a .npz file (x_test or x): out-of-distribution inputs
    custom_objects: str | None = None  # inspect: a .py file imported before loading (runs the user's code)
    devices: int | str | None = None  # tf.distribute replicas: a count, "all", or None for TensorFlow's default
    backend: str = "tensorflow"  # the Keras backend: "tensorflow" | "jax" | "torch" (engine.backends)
    ensemble: int | None = None  # train: K >= 2 members (the main model and K-1 more), or None for no ensemble
    workers: str | None = None  # HOST:PORT,HOST:PORT,...: one run across processes (MultiWorkerMirroredStrategy)
    worker_index: int | None = None  # this process's place in --workers; 0 is the chief
    worker_timeout: float = 60.0  # seconds a worker may take to come up, or a collective to complete

    def validate(self) -> RunConfig:
        """Re-checks what argparse checks, for callers that build a RunConfig themselves."""
        for name, limit in LIMITS.items():
            value = getattr(self, name, None)
            if value is not None and not (name == "devices" and value == "all"):
                limit.check(value)
        if self.input_scale is not None:
            check_input_scale(self.input_scale)
        if self.task is not None and self.task not in TASKS:
            raise ConfigError(f"--task must be classification or regression, got {self.task!r}")
        from dropout_tui.engine import backends

        backends.check(self.backend)
        for flag, value in (("--devices", self.devices), ("--workers", self.workers)):
            if value is not None and self.backend != "tensorflow":
                raise ConfigError(
                    f"{flag} is TensorFlow's (tf.distribute): drop it or use --backend tensorflow, not {self.backend}"
                )
        if self.command == "inspect" and not self.model_path:
            raise ConfigError("inspect needs --model FILE.keras")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
