"""What `compare` says about its runs besides their numbers: where each came from (data set, task, model, epochs,
seed) and the setting its figures were measured at (rates, T, R), what differs between the runs, which pairs
cannot be compared, and which run was loaded twice. The app's line above the table, its extra columns and
`compare --headless` (docs/headless.md, "compare") all read these, so they say the same thing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dropout_tui.engine.evaluation.modes import MC
from dropout_tui.engine.events import json_safe
from dropout_tui.tui.fmt import finite
from dropout_tui.tui.sweep.metrics import FILE_COLUMN, Column, short_label
from dropout_tui.tui.sweep.state import RateRun

# Runs that differ in one of these measured different things: a warning, not just a column.
UNRELATED = ("dataset", "task", "model", "epochs")


@dataclass(frozen=True)
class RunFacts:
    """One compared run: where it came from and the setting its figures were measured at."""

    label: str
    dataset: str
    task: str
    model: str
    epochs: int
    seed: int | None
    rates: dict[str, float]  # stochastic layer -> rate, as measured (the last round's)
    samples: int | None  # T of the last round
    repeats: int | None  # R of the last round
    modes: dict
    backend: str = "tensorflow"  # the Keras backend (files from before --backend: TensorFlow, all there was)

    def headless(self) -> dict:
        """The run as `compare --headless` prints it."""
        return {
            "label": self.label,
            "dataset": self.dataset,
            "task": self.task,
            "model": self.model,
            "epochs": self.epochs,
            "seed": self.seed,
            "rates": self.rates,
            "samples": self.samples,
            "repeats": self.repeats,
            "modes": self.modes,
            "backend": self.backend,
        }


def facts(run: RateRun) -> RunFacts:
    summary, config = run.summary, run.recorded
    history = run.history()
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    rates = last.get("rates") if isinstance(last.get("rates"), dict) else None
    if not rates:  # a file recorded before rounds carried their setting: the layers' rates
        layers = summary.stochastic_layers if summary is not None else []
        rates = {
            str(layer.get("name")): finite(layer.get("rate"))
            for layer in layers
            if isinstance(layer, dict) and finite(layer.get("rate")) is not None
        }
    entry = run.modes.get(MC.name)
    mc = entry if isinstance(entry, dict) else {}
    samples = _integer(last.get("samples"), mc.get("samples"), config.get("mc_samples"))
    repeats = _integer(last.get("repeats"), config.get("repeats"))
    model_path = config.get("model_path")
    return RunFacts(
        label=run.label,
        dataset=(summary.dataset if summary is not None else "") or str(config.get("dataset") or "?"),
        task=run.task,
        model=Path(model_path).name if model_path else f"default MLP ({config.get('hidden', '?')} hidden)",
        epochs=summary.epochs_run if summary is not None else len(run.epochs),
        seed=_integer(config.get("seed")),
        rates={name: float(rate) for name, rate in rates.items() if finite(rate) is not None},
        samples=samples,
        repeats=repeats,
        modes=dict(run.modes),
        backend=summary.backend if summary is not None else str(config.get("backend") or "tensorflow"),
    )


def _integer(*candidates: object) -> int | None:
    """The first candidate that is an integer (booleans are not)."""
    return next((c for c in candidates if isinstance(c, int) and not isinstance(c, bool)), None)


def _shown(field: str, value: object) -> str:
    if field == "rates":
        rates = sorted(set(value.values())) if isinstance(value, dict) else []
        return "/".join(f"{rate:g}" for rate in rates) or "none"
    return "?" if value is None else str(value)


def differences(runs: list[RunFacts]) -> dict[str, list[str]]:
    """Field -> the distinct values (as shown, in run order) of every field on which the runs differ."""
    out = {}
    for field in ("dataset", "task", "model", "epochs", "seed", "rates", "samples", "repeats", "backend"):
        values = list(dict.fromkeys(_shown(field, getattr(run, field)) for run in runs))
        if len(values) > 1:
            out[field] = values
    return out


def warnings(runs: list[RunFacts]) -> list[str]:
    """One sentence per problem: runs that measured different things, and runs loaded twice."""
    found = []
    differ = differences(runs)
    unrelated = [f"{field} ({', '.join(differ[field])})" for field in UNRELATED if field in differ]
    if unrelated:
        found.append(f"runs differ in {' and '.join(unrelated)}: their numbers are not comparable")
    seen: dict[str, RunFacts] = {}
    for run in runs:
        key = json.dumps(
            [run.dataset, run.task, run.epochs, run.seed, run.rates, run.modes, run.backend], sort_keys=True
        )
        first = seen.setdefault(key, run)
        if first is not run:
            found.append(f"{run.label} repeats a run of {first.label} (same numbers): it is loaded twice")
    return found


# The shared fields the line above the table names, and how.
SHARED_WORDS = {
    "dataset": "{}",
    "epochs": "{} epochs",
    "seed": "seed {}",
    "samples": "T={}",
    "repeats": "R={}",
    "backend": "{}",
}
FIELD_NAMES = {"samples": "T", "repeats": "R", "rates": "rate"}


def summary_line(runs: list[RunFacts]) -> str:
    """The line above the compare table: what differs between the runs, then what they share."""
    if not runs:
        return "compare: no runs"
    differ = differences(runs)
    first = runs[0]
    shared = [words.format(_shown(f, getattr(first, f))) for f, words in SHARED_WORDS.items() if f not in differ]
    parts = [f"{len(runs)} runs", f"differ: {', '.join(FIELD_NAMES.get(f, f) for f in differ)}" if differ else ""]
    parts.append(f"same: {', '.join(shared)}" if shared else "")
    return " · ".join(part for part in parts if part)


def headless_document(runs: list[RateRun]) -> dict:
    """`compare --headless`: every run and every warning, one JSON object."""
    all_facts = [facts(run) for run in runs]
    return json_safe({"runs": [run.headless() for run in all_facts], "warnings": warnings(all_facts)})


def short_names(labels: list[str]) -> dict[str, str]:
    """Label -> how the table shows it: without the start every label shares (up to a "-", "_" or "/":
    exports differ in their time stamps), then cut in the middle to the column's width."""
    distinct = list(dict.fromkeys(labels))
    common = os.path.commonprefix(distinct) if len(distinct) > 1 else ""
    cut = max((common.rfind(sep) + 1 for sep in "-_/"), default=0)
    return {label: short_label(label[cut:] or label) for label in distinct}


# Fact columns the compare table adds where runs differ (shared values are on the line above the table).
FACT_HEADERS = {
    "dataset": ("", "data"),
    "epochs": ("", "ep"),
    "seed": ("", "seed"),
    "samples": ("", "T"),
    "backend": ("", "backend"),
}


def compare_columns(runs: list[RateRun], columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """compare's table: the file column with short names, then a column per fact the runs differ in."""
    by_run = {id(run): facts(run) for run in runs}
    names = short_names([run.label for run in runs])
    differ = differences(list(by_run.values()))

    def cell(field: str) -> Callable[[RateRun], str]:
        return lambda run: _shown(field, getattr(by_run[id(run)], field))

    extra = [Column(field, header, cell(field)) for field, header in FACT_HEADERS.items() if field in differ]
    file_column = Column(FILE_COLUMN.key, FILE_COLUMN.header, lambda run: names.get(run.label, run.label))
    rest = [column for column in columns if column.key != FILE_COLUMN.key]
    return (file_column, *rest[:1], *extra, *rest[1:])
