"""Modes pane: every evaluation mode side by side, with its accuracy trend."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from dropout_tui.tui.fmt import finite, num, sparkline
from dropout_tui.tui.run_state import MODE_ORDER, RunState

COLUMNS = ("mode", "acc %", "loss", "ECE", "Δacc", "trend", "note")
TREND_WIDTH = 6


class ModesPane(Vertical):
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
        reference = finite(modes.get("inference", {}).get("accuracy"))
        for mode in MODE_ORDER:
            metrics = modes.get(mode)
            trend = sparkline(state.mode_trend(mode)[-TREND_WIDTH:]) if state else ""
            table.add_row(*mode_row(mode, metrics, reference, trend, state), key=mode)
        self.border_subtitle = _note(state)


def mode_row(
    mode: str, metrics: dict | None, reference: float | None, trend: str, state: RunState | None
) -> tuple[str, ...]:
    samples = state.samples if state else 0
    label = f"mc (T={metrics.get('samples', samples)})" if mode == "mc" and metrics else mode
    if not metrics:
        return (label, "-", "-", "-", "-", trend, "")
    accuracy = finite(metrics.get("accuracy"))
    spread = finite(metrics.get("accuracy_std"))
    acc_text = num(None if accuracy is None else 100 * accuracy, ".1f")
    if spread is not None:
        acc_text += f"±{100 * spread:.1f}"
    delta = None if accuracy is None or reference is None else 100 * (accuracy - reference)
    delta_text = "" if mode == "inference" else num(delta, "+.1f")
    return (
        label,
        acc_text,
        num(metrics.get("loss")),
        num(metrics.get("ece")),
        delta_text,
        trend,
        _row_note(mode, metrics),
    )


def _row_note(mode: str, metrics: dict) -> str:
    if mode == "inference":
        return "dropout off"
    if mode == "trainable_flag":
        diff = finite(metrics.get("max_abs_diff_vs_inference"))
        if diff == 0.0:
            return "flag changed nothing"
        return f"max |Δp| {num(diff, '.2g')}"
    if mode in ("training", "dropout_only"):
        repeats = metrics.get("repeats")
        what = "all layers train" if mode == "training" else "norm. frozen"
        return f"{what}, R={repeats}" if repeats else what
    if mode == "mc":
        return "mean of T passes"
    return ""


def _note(state: RunState | None) -> str:
    if state is None or state.started is None:
        return "waiting for the first evaluation"
    if not state.started.stochastic_layers:
        return "this model has no stochastic layers: every mode equals inference"
    if not state.evaluations:
        return "waiting for the first evaluation"
    return f"after epoch {state.evaluations[-1].epoch}; Δacc: points vs inference"
