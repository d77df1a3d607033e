"""Modes pane: every evaluation mode of the engine's registry side by side, with its accuracy trend."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from dropout_tui.engine.evaluation.modes import MODE_NAMES, MODES, Mode
from dropout_tui.tui.fmt import finite, num, sparkline
from dropout_tui.tui.redraw import MODES as MODES_PANE
from dropout_tui.tui.run_state import RunState

COLUMNS = ("mode", "acc %", "loss", "ECE", "Δacc", "trend", "note")
TREND_WIDTH = 6  # the last evaluations shown
REFERENCE = "inference"  # Δacc is measured against this mode
# Every row's trend shares one scale, at least this tall (accuracy): a 0.3-point wobble stays a ripple.
TREND_MIN_SPAN = 0.02
assert REFERENCE in MODE_NAMES


class ModesPane(Vertical):
    """The modes table: one row per registered mode, all trends on one stated scale."""

    draws: ClassVar[frozenset[str]] = frozenset({MODES_PANE})

    def compose(self) -> ComposeResult:
        yield DataTable(id="modes-table", cursor_type="none", zebra_stripes=False, show_cursor=False)

    def on_mount(self) -> None:
        self.border_title = "Modes (test set)"
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.update_from(None)

    def update_from(self, state: RunState | None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        modes = state.latest_modes if state else {}
        reference = finite(modes.get(REFERENCE, {}).get("accuracy"))
        trends = {mode.name: state.mode_trend(mode.name)[-TREND_WIDTH:] if state else [] for mode in MODES}
        scale = trend_scale(list(trends.values()))
        for mode in MODES:
            trend = sparkline(trends[mode.name], *scale) if scale else ""
            table.add_row(*mode_row(mode, modes.get(mode.name), reference, trend, state), key=mode.name)
        self.border_subtitle = _note(state, scale)


def trend_scale(trends: list[list[float | None]]) -> tuple[float, float] | None:
    """One (low, high) for every row's sparkline, at least TREND_MIN_SPAN tall; None with nothing to draw."""
    values = [value for trend in trends for value in trend if value is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    if high - low < TREND_MIN_SPAN:
        middle = (low + high) / 2
        low, high = middle - TREND_MIN_SPAN / 2, middle + TREND_MIN_SPAN / 2
    return low, high


def mode_row(
    mode: Mode, metrics: dict | None, reference: float | None, trend: str, state: RunState | None
) -> tuple[str, ...]:
    samples = metrics.get("samples") if metrics else None
    label = f"{mode.name} (T={samples})" if samples is not None else mode.name
    if not metrics:
        return (label, "-", "-", "-", "-", trend, "")
    accuracy = finite(metrics.get("accuracy"))
    spread = finite(metrics.get("accuracy_std"))
    acc_text = num(None if accuracy is None else 100 * accuracy, ".1f")
    if spread is not None:
        acc_text += f"±{100 * spread:.1f}"
    delta = None if accuracy is None or reference is None else 100 * (accuracy - reference)
    delta_text = "" if mode.name == REFERENCE else num(delta, "+.1f")
    loss, ece = num(metrics.get("loss")), num(metrics.get("ece"))
    return (label, acc_text, loss, ece, delta_text, trend, row_note(mode, metrics))


def row_note(mode: Mode, metrics: dict) -> str:
    """The registry's note, with what this evaluation measured: R for repeated modes, a flag that did change p."""
    diff = finite(metrics.get("max_abs_diff_vs_inference"))
    if diff:  # the registry's note says the flag changes nothing: say so when it did
        return f"max |Δp| {num(diff, '.2g')}"
    repeats = metrics.get("repeats") if mode.repeated else None
    return f"{mode.note}, R={repeats}" if repeats else mode.note


def _note(state: RunState | None, scale: tuple[float, float] | None) -> str:
    if state is None or state.started is None:
        return "waiting for the first evaluation"
    if not state.started.stochastic_layers:
        return "this model has no stochastic layers: every mode equals inference"
    if not state.evaluations:
        return "waiting for the first evaluation"
    trends = f"; trends {100 * scale[0]:.1f}-{100 * scale[1]:.1f}%" if scale else ""
    return f"after epoch {state.evaluations[-1].epoch}; Δacc: points vs {REFERENCE}{trends}"
