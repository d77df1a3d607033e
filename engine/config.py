"""Run configuration and its validation (one line per problem, for the CLI)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


class ConfigError(ValueError):
    """Invalid user input; the message is one line meant for the user."""


def one_line(error: BaseException, limit: int = 200) -> str:
    """An exception's message on one line, cut to ``limit`` characters, for a user-facing message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class RunConfig:
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

    def validate(self) -> RunConfig:
        if not 0.0 <= self.rate < 1.0:
            raise ConfigError(f"--rate must be in [0, 1), got {self.rate}")
        for name in ("batch_size", "hidden", "eval_every", "mc_samples", "repeats"):
            value = getattr(self, name)
            if value <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
        if self.command == "train" and self.epochs <= 0:
            raise ConfigError(f"--epochs must be a positive integer, got {self.epochs}")
        if self.fine_tune < 0:
            raise ConfigError(f"--fine-tune must be 0 or more, got {self.fine_tune}")
        if not self.lr > 0 or self.lr != self.lr or self.lr == float("inf"):
            raise ConfigError(f"--lr must be a positive number, got {self.lr}")
        if self.input_scale is not None and not (
            self.input_scale == self.input_scale and abs(self.input_scale) != float("inf")
        ):
            raise ConfigError(f"--input-scale must be a finite number, got {self.input_scale}")
        if self.probe_index < 0:
            raise ConfigError(f"--probe-index must be 0 or more, got {self.probe_index}")
        if self.command == "inspect" and not self.model_path:
            raise ConfigError("inspect needs --model FILE.keras")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
