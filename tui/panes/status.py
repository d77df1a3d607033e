"""Status bar: the run's settings as they are now, and the run's state."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.fmt import duration, fit_line, num, on_backend, rates_text
from dropout_tui.tui.panes.lines import FixedLines
from dropout_tui.tui.redraw import STATUS
from dropout_tui.tui.run_state import RunState

STATE_WORDS = {
    "loading": "loading TensorFlow",
    "running": "training",
    "paused": "paused",
    "stopped": "stopped",
    "evaluating": "evaluating",
    "finished": "finished",
    "failed": "FAILED",
}


def config_line(state: RunState, width: int = 10_000) -> str:
    """The settings in use now: the rates and T the keys changed, not only the ones the run started with; at
    ``width`` the batch size, the hidden units and R go first (the seed stays: it makes a run repeatable)."""
    config = state.config
    if config.command == "inspect":
        head = [f"inspect {Path(config.model_path or '').name}{on_backend(config.backend)}"]
        tail = [(f"data {config.data_path or config.dataset}", 0), (f"fine-tune {config.fine_tune}", 3)]
    else:
        head = [f"train {config.data_path or config.dataset}{on_backend(config.backend)}"]  # first: 80 columns show it
        tail = [(f"hidden {config.hidden}", 2), (f"epochs {config.epochs}", 0)]
    if state.started is None:  # train knows its rate before the model exists; inspect reads it from the model
        rates = [rates_text({"": config.rate})] if config.command != "inspect" else []
    else:
        rates = [rates_text(state.rates)]  # "no dropout rate" when there is none
    parts = [(text, 0) for text in head + rates] + [(f"T={state.samples}", 0), (f"R={config.repeats}", 1)] + tail
    parts += [(f"batch {config.batch_size}", 3), (f"seed {config.seed}", 0)]
    return fit_line(parts, width, " · ")


def status_line(state: RunState, elapsed: float | None, width: int = 10_000) -> str:
    """The run's state, progress and speed; at ``width`` the device, then the speed go first (never the ETA)."""
    word = STATE_WORDS.get(state.state, state.state)
    if state.paused and state.state not in ("finished", "stopped", "failed"):
        word = "paused (space resumes, s steps)"
    elif state.stopping and state.state in ("running", "evaluating", "paused"):
        word = "stopping"
    if state.message and state.state in ("loading", "evaluating", "failed"):
        word = state.message if state.state != "failed" else f"FAILED: {state.message}"
    steps = state.started.steps_per_epoch if state.started else 0
    parts = [(word, 0)]
    if state.total_epochs:
        step = f"step {state.step}/{steps}" if steps else f"step {state.step}"
        parts.append((f"epoch {state.epoch}/{state.total_epochs} {step}", 0))
    scheduled = state.scheduled
    if scheduled is not None:
        parts.append((f"{rates_text(scheduled.rates or {'': scheduled.rate})} at epoch {scheduled.epoch}", 0))
    if state.samples_per_second is not None:
        parts.append((f"{num(state.samples_per_second, ',.0f')} samples/s", 2))
    parts.append((f"{duration(elapsed)} elapsed", 1))
    eta = state.eta_seconds()
    if eta is not None:
        parts.append((f"ETA {duration(eta)}", 0))
    if state.warnings:  # before the device: on 80 columns the end of the line is cut
        parts.append((f"{state.warnings} warning{'s' if state.warnings != 1 else ''} (l: log)", 0))
    if state.started and state.started.devices:
        parts.append((", ".join(state.started.devices), 3))
    return fit_line(parts, width, " │ ")


class StatusBar(DrawsFrom[RunState], FixedLines):
    """Two lines: the settings in use (config line) and the run's state, progress and speed (status line)."""

    draws: ClassVar[frozenset[str]] = frozenset({STATUS})
    LINES = (("config-line", ""), ("status-line", STATE_WORDS["loading"]))

    def on_resize(self) -> None:
        self.redraw()  # the lines fit the width: a new width, new lines

    def update_from(self, state: RunState) -> None:
        width = self.content_size.width or 78
        self.show_lines(config_line(state, width), status_line(state, state.elapsed(time.monotonic()), width))
