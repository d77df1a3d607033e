"""Status bar (configuration + run state) and the log pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Print
from textual.widgets import RichLog, Static

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.fmt import duration, num
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


def config_line(config: RunConfig) -> str:
    if config.command == "inspect":
        parts = [
            f"inspect {config.model_path}",
            f"data {config.data_path or config.dataset}",
            f"fine-tune {config.fine_tune}",
        ]
    else:
        parts = [
            f"train {config.data_path or config.dataset}",
            f"rate {config.rate:.2f}",
            f"hidden {config.hidden}",
            f"epochs {config.epochs}",
        ]
    parts += [f"batch {config.batch_size}", f"T={config.mc_samples}", f"R={config.repeats}", f"seed {config.seed}"]
    return " · ".join(parts)


def status_line(state: RunState, elapsed: float | None, paused: bool, stopping: bool) -> str:
    word = STATE_WORDS.get(state.state, state.state)
    if paused and state.state not in ("finished", "stopped", "failed"):
        word = "paused (space resumes, s steps)"
    elif stopping and state.state in ("running", "evaluating", "paused"):
        word = "stopping"
    if state.message and state.state in ("loading", "evaluating", "failed"):
        word = state.message if state.state != "failed" else f"FAILED: {state.message}"
    steps = state.started.steps_per_epoch if state.started else 0
    parts = [word]
    if state.total_epochs:
        step = f"step {state.step}/{steps}" if steps else f"step {state.step}"
        parts.append(f"epoch {state.epoch}/{state.total_epochs} {step}")
    if state.rate_changes:  # the starting rate is on the config line
        parts.append(f"rate {state.rate:.2f}")
    if state.samples != state.config.mc_samples:  # t/T changed it: the config line shows the start value
        parts.append(f"T={state.samples}")
    if state.samples_per_second is not None:
        parts.append(f"{num(state.samples_per_second, ',.0f')} samples/s")
    parts.append(f"{duration(elapsed)} elapsed")
    eta = state.eta_seconds()
    if eta is not None:
        parts.append(f"ETA {duration(eta)}")
    if state.warnings:  # before the device: on 80 columns the end of the line is cut
        parts.append(f"{state.warnings} warning{'s' if state.warnings != 1 else ''} (l: log)")
    if state.started and state.started.devices:
        parts.append(", ".join(state.started.devices))
    return " │ ".join(parts)


class StatusBar(Vertical):
    def __init__(self, config: RunConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self._config = config

    def compose(self) -> ComposeResult:
        yield Static(config_line(self._config), id="config-line")
        yield Static(STATE_WORDS["loading"], id="status-line")

    def show(self, text: str) -> None:
        # One fixed-height line: skip the layout pass a Static update would trigger (10 times a second).
        self.query_one("#status-line", Static).update(text, layout=False)


class LogPane(RichLog):
    """TensorFlow's native output, Python warnings and worker tracebacks."""

    def __init__(self, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=2000, min_width=20, **kwargs)

    def on_mount(self) -> None:
        self.border_title = "Log"

    def on_print(self, event: Print) -> None:
        # Stray print()s from any thread land here instead of on the screen.
        if event.text.strip():
            self.add("", event.text.rstrip("\n"))

    def add(self, level: str, text: str) -> None:
        prefix = "" if level.upper() in ("INFO", "") else f"{level.upper()}: "
        self.write(prefix + text)
