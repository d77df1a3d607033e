"""`dropout-tui compare FILE...`: saved runs back as RateRuns, whatever wrote them.

Accepted: the results JSON of the train app's `e` (an object with ``"event": "summary"``), the
sweep app's `e` (``"event": "sweep_summary"``), and headless JSON lines of `train` (the last
``summary`` line, with the run's ``epoch_end`` lines) or of `sweep` (its ``sweep_summary``, with
the ``epoch_end`` lines of each rate). Anything else is refused in one line (ConfigError: exit 2),
before the app opens.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.events import EpochEnd, Summary
from dropout_tui.tui.fmt import finite
from dropout_tui.tui.sweep.state import RateRun

SUMMARY_FIELDS = {f.name for f in dataclasses.fields(Summary)}
EPOCH_FIELDS = {f.name for f in dataclasses.fields(EpochEnd)}
NEEDED = ("modes", "stochastic_layers")  # a summary without these is not one of ours


class NotAnExport(ConfigError):
    """A file compare cannot read as a dropout-tui export or headless stream."""


def load_runs(paths: list[str]) -> list[RateRun]:
    """Every run of every file, in the order given; x is the rate when every run has its own, else the order."""
    runs: list[RateRun] = []
    for path, label in zip(paths, labels(paths)):
        for run in load_file(Path(path)):
            run.label = label
            runs.append(run)
    rates = [run.rate for run in runs]
    by_rate = None not in rates and len(set(rates)) == len(rates)
    for index, run in enumerate(runs, 1):
        run.x = run.rate if by_rate else float(index)
    return runs


def labels(paths: list[str]) -> list[str]:
    """Each file's name, or its path as given where two files share a name."""
    names = [Path(path).name for path in paths]
    return [name if names.count(name) == 1 else str(path) for name, path in zip(names, paths)]


def load_file(path: Path) -> list[RateRun]:
    if path.is_dir():
        raise NotAnExport(f"compare: {path} is a directory, not a dropout-tui export")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotAnExport(f"compare: {path}: no such file") from None
    except UnicodeDecodeError:
        raise NotAnExport(f"compare: {path} is not a dropout-tui export (not text)") from None
    except OSError as error:
        raise NotAnExport(f"compare: {path}: cannot read: {error.strerror or error}") from None
    try:
        whole = json.loads(text)
    except ValueError:
        return _from_lines(path, text)
    if not isinstance(whole, dict):
        raise NotAnExport(f"compare: {path} is not a dropout-tui export (JSON, but not a results object)")
    return _from_object(path, whole, {})


def _config(data: dict, fallback: dict | None) -> dict:
    """The options a file recorded (an export's ``config``, else the stream's run_started/sweep_started)."""
    config = data.get("config")
    return config if isinstance(config, dict) else (fallback or {})


def _from_object(path: Path, data: dict, epochs: dict, config: dict | None = None) -> list[RateRun]:
    """A summary (train's export or line) or a sweep_summary (sweep's export or line)."""
    event = data.get("event")
    if event == "summary":
        own_epochs = data.get("epochs")
        run_epochs = own_epochs if isinstance(own_epochs, list) else epochs.get(None, [])
        return [_run(path, data, run_epochs, _config(data, config))]
    if event == "sweep_summary":
        entries = data.get("rates")
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise NotAnExport(f"compare: {path}: its sweep_summary has no list of rates")
        if not entries:
            raise NotAnExport(f"compare: {path}: its sweep holds no finished rate")
        runs = []
        for entry in entries:
            rate, summary = finite(entry.get("rate")), entry.get("summary")
            if not isinstance(summary, dict):
                raise NotAnExport(f"compare: {path}: the sweep's entry for rate {entry.get('rate')} has no summary")
            own_epochs = entry.get("epochs")
            run_epochs = own_epochs if isinstance(own_epochs, list) else epochs.get(rate, [])
            runs.append(_run(path, summary, run_epochs, _config(data, config), rate=rate, shared=True))
        return runs
    raise NotAnExport(f"compare: {path} is not a dropout-tui export (no summary or sweep_summary object)")


def _from_lines(path: Path, text: str) -> list[RateRun]:
    """A headless stream: train's last summary, or a sweep's sweep_summary; with the epoch_end lines (by rate)."""
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            raise NotAnExport(
                f"compare: {path} is not a dropout-tui export (line {number} is not JSON: {one_line(error, 80)})"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise NotAnExport(f"compare: {path} is not a dropout-tui export (line {number} is no event)")
        events.append(data)
    # A sweep's lines carry their run's rate; train's only where an event has a rate of its own (epoch_end).
    sweep = any(e["event"].startswith("sweep_") or (e["event"] != "epoch_end" and "rate" in e) for e in events)
    epochs: dict = {}
    for data in events:
        if data["event"] == "epoch_end":
            epochs.setdefault(finite(data.get("rate")) if sweep else None, []).append(data)
    if sweep:
        summaries = [e for e in events if e["event"] == "sweep_summary"]
        # Without a sweep_summary (a sweep killed outright) the runs' own summary lines still say everything.
        last = summaries[-1] if summaries else _sweep_of(events)
    else:
        summaries = [e for e in events if e["event"] == "summary"]
        last = summaries[-1] if summaries else None
    if last is None:
        raise NotAnExport(
            f"compare: {path} holds no summary line: an unfinished or failed run, or not a dropout-tui stream"
        )
    started = [e for e in events if e["event"] in ("run_started", "sweep_started")]
    return _from_object(path, last, epochs, _config(started[0], None) if started else None)


def _sweep_of(events: list[dict]) -> dict | None:
    runs = [
        {"rate": e["rate"], "summary": {k: v for k, v in e.items() if k != "rate"}}
        for e in events
        if e["event"] == "summary" and "rate" in e
    ]
    return {"event": "sweep_summary", "rates": runs} if runs else None


def _run(
    path: Path, summary: dict, epochs: list, config: dict, rate: float | None = None, shared: bool = False
) -> RateRun:
    """One run; ``shared``: ``config`` is a sweep's, whose rate is each run's own (``rate``)."""
    missing = [key for key in NEEDED if key not in summary]
    if missing or not isinstance(summary.get("modes"), dict) or not isinstance(summary.get("stochastic_layers"), list):
        what = ", ".join(missing) if missing else "modes/stochastic_layers of the wrong type"
        raise NotAnExport(f"compare: {path} is not a dropout-tui export (its summary lacks {what})")
    if rate is None:
        rate = _rate_of(summary, None if shared else config)
    fields = {key: summary.get(key) for key in SUMMARY_FIELDS if key in summary and key != "history"}
    # Read from JSON: any field may hold any JSON value; Summary is a plain record of them.
    defaults: dict[str, Any] = {"dataset": "", "n_train": 0, "n_test": 0, "epochs_run": len(epochs), "seconds": 0.0}
    result = Summary(**{**defaults, **fields, "history": list(summary.get("history") or [])})
    run = RateRun(rate, state="finished", summary=result, total_epochs=result.epochs_run or 0, recorded=config)
    try:
        run.epochs = [EpochEnd(**{k: v for k, v in e.items() if k in EPOCH_FIELDS}) for e in epochs]
    except TypeError:
        raise NotAnExport(f"compare: {path}: an epoch_end entry lacks fields") from None
    run.epoch = len(run.epochs)
    run.seconds = finite(result.seconds) or 0.0
    return run


def _rate_of(summary: dict, config: dict | None) -> float | None:
    """The rate the run's figures were measured at: its last round's first rate (rounds carry their setting),
    else the first stochastic layer's (older files), else the configured one."""
    history = summary.get("history")
    last = history[-1] if isinstance(history, list) and history and isinstance(history[-1], dict) else {}
    rates = last.get("rates")
    if isinstance(rates, dict) and rates and finite(next(iter(rates.values()))) is not None:
        return finite(next(iter(rates.values())))
    for layer in summary.get("stochastic_layers") or []:
        if isinstance(layer, dict) and finite(layer.get("rate")) is not None:
            return finite(layer["rate"])
    if isinstance(config, dict):
        return finite(config.get("rate"))
    return None
