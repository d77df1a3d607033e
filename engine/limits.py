"""Every bound on a user setting, written once.

argparse (tui.cli), ``RunConfig.validate``, the engine's command handling and
the app's keys all read these, so a value one of them accepts is never
refused or silently capped by another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dropout_tui.engine.errors import ConfigError

# Keras seeds must fit in 32 bits, and counts beyond int32 overflow TensorFlow's shapes before they mean anything.
MAX_INT = 2**31 - 1
RATE_STEP = 0.05  # the app's + and - keys
SAMPLES_FACTOR = 2  # the app's t (halve) and T (double) keys
MAX_SWEEP_RATES = 20
MAX_ENSEMBLE = 50  # --ensemble K: K trainings one after another; beyond ~50 members the mean no longer moves

DATASETS = ("digits", "mnist", "fashion_mnist")  # --dataset: the embedded set, then the Keras-cache ones
CLASSIFICATION, REGRESSION = "classification", "regression"
NOISE = "noise"  # --ood noise: the test inputs plus Gaussian noise instead of a file
TASKS = (CLASSIFICATION, REGRESSION)  # --task, and the two shapes a run's numbers take


@dataclass(frozen=True)
class Limit:
    """The allowed values of one option: an interval of ints or of finite floats."""

    option: str
    kind: type  # int or float
    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    noun: str = ""  # "seed": "an integer seed from 0 to ..."

    def describe(self) -> str:
        if self.kind is int:
            if self.low == 1:
                return f"a positive integer up to {self.high}"
            return f"an integer{' ' + self.noun if self.noun else ''} from {self.low} to {self.high}"
        if self.low == 0 and self.low_open and math.isinf(self.high):
            return "a positive number"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"

    def contains(self, value: float) -> bool:
        if self.kind is float and not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def check(self, value: object) -> float:
        """The value itself, or a one-line ConfigError naming the option and the allowed range.

        Any object: a command from the UI or a JSON line is checked here before it is trusted as a number.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.contains(value):
            raise ConfigError(f"{self.option} must be {self.describe()}, got {value}")
        if self.kind is int and value != int(value):
            raise ConfigError(f"{self.option} must be {self.describe()}, got {value}")
        return self.kind(value)

    def parse(self, text: str) -> float:
        """A command-line string to a value in range; ValueError (argparse's usage error) otherwise."""
        try:
            value = self.kind(text)
        except ValueError:
            expected = "a number" if self.kind is float else self.describe()
            raise ValueError(f"expected {expected}, got {text!r}") from None
        if self.kind is float and not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {text!r}")
        try:
            return self.check(value)
        except ConfigError as error:
            raise ValueError(str(error)) from None


def _count(option: str) -> Limit:
    return Limit(option, int, 1, MAX_INT)


LIMITS: dict[str, Limit] = {
    "rate": Limit("--rate", float, 0.0, 1.0, high_open=True),
    "lr": Limit("--lr", float, 0.0, low_open=True),
    "epochs": _count("--epochs"),
    "batch_size": _count("--batch-size"),
    "hidden": _count("--hidden"),
    "eval_every": _count("--eval-every"),
    "mc_samples": _count("--mc-samples"),
    "repeats": _count("--repeats"),
    "probe_index": Limit("--probe-index", int, 0, MAX_INT),
    "fine_tune": Limit("--fine-tune", int, 0, MAX_INT),
    "seed": Limit("--seed", int, 0, MAX_INT, noun="seed"),
    "devices": _count("--devices"),
    "jobs": _count("--jobs"),
    "ensemble": Limit("--ensemble", int, 2, MAX_ENSEMBLE),
    "worker_index": Limit("--worker-index", int, 0, MAX_INT),
    "worker_timeout": Limit("--worker-timeout", float, 0.0, low_open=True),
}


def stepped_rate(rate: float, direction: int) -> float | None:
    """The rate one key step up (+1) or down (-1), or None where no step in that direction is possible.

    A step never moves the other way: at 0.97, + has nowhere to go below 1 and
    changes nothing (it must not clamp down to some lower maximum); - from
    0.03 lands on 0.
    """
    limit = LIMITS["rate"]
    candidate = round(rate + direction * RATE_STEP, 10)
    if limit.contains(candidate):
        return candidate
    if direction < 0 and rate > limit.low:
        return limit.low
    return None


def scaled_samples(samples: int, factor: float) -> int | None:
    """T halved or doubled within its limit, or None where it cannot move that way."""
    limit = LIMITS["mc_samples"]
    candidate = int(min(limit.high, max(limit.low, round(samples * factor))))
    return None if candidate == samples else candidate


def check_input_scale(value: float) -> float:
    """--input-scale: any finite non-zero factor (negative flips the inputs, which some data wants)."""
    if not math.isfinite(value):
        raise ConfigError(f"--input-scale must be a finite number, got {value}")
    if value == 0:
        raise ConfigError("--input-scale must be a non-zero number: a scale of 0 makes every input 0")
    return value
