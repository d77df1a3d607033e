"""The sweep app's `e`: every rate's summary and epochs as JSON, plus an SVG screenshot, written atomically.

The JSON is a sweep_summary (as the headless stream's last line) whose entries also hold each run's
evaluation rounds (``summary.history``) and epochs, so `dropout-tui compare` reads it back. It is
written from the SweepState, so it works mid-sweep: rates still running are listed under ``unfinished``.
"""

from __future__ import annotations

from pathlib import Path

from dropout_tui.engine.events import json_safe
from dropout_tui.tui.export import ExportResult, write_pair
from dropout_tui.tui.sweep.state import SweepState


def sweep_dict(state: SweepState) -> dict:
    finished = [(run, summary) for run in state.runs if (summary := run.summary) is not None]
    unfinished = [run for run in state.runs if run.summary is None]
    complete = not state.is_compare and not unfinished and (state.summary is None or bool(state.summary.complete))
    entry_extras = (lambda run: {"file": run.label}) if state.is_compare else (lambda run: {})
    return json_safe(
        {
            "event": "sweep_summary",
            "rates": [
                {
                    "rate": run.rate,
                    "summary": {**summary.to_export_dict(), "history": run.history()},
                    "epochs": [epoch.to_dict() for epoch in run.epochs],
                    **entry_extras(run),
                }
                for run, summary in finished
            ],
            "complete": complete,
            "kind": "compare" if state.is_compare else "sweep",
            "planned": [run.rate for run in state.runs],
            "unfinished": [
                {
                    "rate": run.rate,
                    "state": run.state,
                    "epochs": [epoch.to_dict() for epoch in run.epochs],
                    "modes": run.modes,
                }
                for run in unfinished
            ],
            "config": None if state.is_compare else {**state.config.to_dict(), "rate": None},
            "jobs": state.jobs,
            "files": list(state.compare),
        }
    )


def export(state: SweepState, svg: str, directory: Path, now: float | None = None) -> ExportResult:
    """Write both files into ``directory`` (created if needed); raises OSError on failure, leaving nothing."""
    prefix = f"dropout-tui-{'compare' if state.is_compare else 'sweep'}"
    return write_pair(directory, prefix, sweep_dict(state), svg, now)
