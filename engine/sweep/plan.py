"""The list of rates a sweep runs and how many at once: one check for the CLI and the engine."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.limits import LIMITS, MAX_SWEEP_RATES

DEFAULT_RATES = (0.0, 0.1, 0.2, 0.3, 0.5)


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
            raise ConfigError(f"--rates holds {_text(rate)}: every rate must be {limit.describe()}")
        if float(rate) in seen:
            raise ConfigError(f"--rates lists {_text(rate)} twice")
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
            raise ConfigError(f"--rates has an empty entry in {text!r}")
        try:
            values.append(float(part))
        except ValueError:
            raise ConfigError(f"--rates expects numbers separated by commas, got {part!r}") from None
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
