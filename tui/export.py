"""The `e` key: results JSON and an SVG screenshot, written atomically.

Built from the RunState, so it works mid-run as well as after the summary.
Names carry a timestamp (and a counter when needed) so a second export never
silently replaces the first.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dropout_tui.engine.events import ModeEvaluation, json_safe
from dropout_tui.tui.run_state import RunState


@dataclass(frozen=True)
class ExportResult:
    results: Path
    screenshot: Path
    series: Path | None = None  # every plotted series as CSV (the train app's exports)


def results_dict(state: RunState) -> dict:
    """The headless summary's fields, the rates and T in use, and the per-round history of every mode and of the
    uncertainty block (docs/headless.md, "summary")."""
    started = state.started
    if state.summary is not None:
        summary = state.summary.to_dict()
    else:
        summary = {
            "event": "summary",
            "dataset": started.dataset if started else state.config.dataset,
            "n_train": started.n_train if started else None,
            "n_test": started.n_test if started else None,
            "epochs_run": len(state.epochs),
            "seconds": state.finished.seconds if state.finished else sum(e.seconds for e in state.epochs),
            "stochastic_layers": started.stochastic_layers if started else [],
            "modes": state.latest_modes,
            "task": state.task,
            "uncertainty": state.uncertainty,
            "augmentation_layers": started.augmentation_layers if started else [],
            "backend": started.backend if started else state.config.backend,
            "backend_version": started.backend_version if started else "",
        }
    # The figures are the last round's (the panes show it too), and the setting is the one it was measured at:
    # after `+` the summary line still holds the end-of-training round, and the rates in use may not be measured yet.
    setting = measured_setting(state)
    if state.evaluations:
        summary["modes"], summary["uncertainty"] = state.latest_modes, state.uncertainty
    layers = summary.get("stochastic_layers") or []
    summary["stochastic_layers"] = [with_rates(layer, setting["rates"]) for layer in layers]
    return json_safe(
        {
            **summary,
            "complete": state.summary is not None,
            "state": state.state,
            **setting,
            "config": state.config.to_dict(),
            "history": history_of(state.evaluations),
            "epochs": [e.to_dict() for e in state.epochs],
            "rate_changes": [r.to_dict() for r in state.rate_changes],
            "probe": state.probe.to_dict() if state.probe else None,
        }
    )


def measured_setting(state: RunState) -> dict:
    """The rates, T and R of the last round (what its figures were measured at); before any round, those in use."""
    last = state.evaluations[-1] if state.evaluations else None
    rates = last.rates if last is not None and last.rates else state.rates
    samples = last.samples if last is not None and last.samples is not None else state.samples
    repeats = last.repeats if last is not None and last.repeats is not None else state.config.repeats
    return {"rates": rates, "samples": samples, "repeats": repeats}


def history_of(evaluations: Iterable[ModeEvaluation]) -> list[dict]:
    """Evaluation rounds as every export writes them (a summary's ``history``): epoch, setting, modes, uncertainty."""
    return [evaluation.history_entry() for evaluation in evaluations]


def with_rates(layer: dict, rates: dict[str, float]) -> dict:
    """A stochastic layer's entry with the rates in use (rate handles as in run_started.rates)."""
    name = layer.get("name")
    if layer.get("kind") == "recurrent":
        handles = {part: f"{name}.{part}" for part in ("dropout", "recurrent_dropout")}
        return {**layer, **{part: rates[handle] for part, handle in handles.items() if handle in rates}}
    return {**layer, "rate": rates[name]} if name in rates else layer


def export(
    state: RunState, svg: str, directory: Path, now: float | None = None, prefix: str = "dropout-tui"
) -> ExportResult:
    """Write both files into ``directory`` (created if needed); raises OSError on failure.

    ``prefix`` names what the screenshot shows: ``dropout-tui`` (the main screen), ``dropout-tui-uncertainty``.
    """
    from dropout_tui.tui.export_series import series_csv

    results = results_dict(state)
    return write_pair(directory, prefix, results, svg, now, series=series_csv(results))


def write_pair(
    directory: Path, prefix: str, results: dict, svg: str, now: float | None = None, *, series: str | None = None
) -> ExportResult:
    """Every export's files: ``results`` as JSON and ``svg`` (and ``series`` as CSV), named ``prefix``-timestamp
    (and a counter when needed) in ``directory`` (created if needed); raises OSError on failure, leaving none."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    stem = free_stem(directory, f"{prefix}-{stamp}")
    text = json.dumps(results, indent=2, allow_nan=False) + "\n"
    written = atomic_write(directory / f"{stem}.json", text)
    done = [written]
    try:
        done.append(atomic_write(directory / f"{stem}.svg", svg))
        if series is not None:
            done.append(atomic_write(directory / f"{stem}.csv", series))
    except BaseException:
        # An export is the set: a lone JSON next to an "export failed" message would only mislead.
        for path in done:
            path.unlink(missing_ok=True)
        raise
    return ExportResult(written, done[1], done[2] if series is not None else None)


def _file_mode() -> int:
    """What open() would give a new file (0644 under the usual umask); mkstemp's 0600 is for secrets."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# Read once at import, on the main thread before any worker starts: os.umask() can only be
# read by setting it, which must not race a thread creating files.
FILE_MODE = _file_mode()


def free_stem(directory: Path, stem: str) -> str:
    candidate, counter = stem, 1
    while any((directory / f"{candidate}.{suffix}").exists() for suffix in ("json", "svg", "csv")):
        candidate, counter = f"{stem}-{counter}", counter + 1
    return candidate


def atomic_write(path: Path, text: str) -> Path:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), FILE_MODE)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
