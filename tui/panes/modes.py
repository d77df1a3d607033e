"""Modes pane: every evaluation mode of the engine's registry side by side, with its trend.

The columns follow the run's task (run_started.task): accuracy, loss and ECE for classifiers; RMSE and MAE for
regressors, whose MC row adds the predictive std, the Gaussian NLL and the coverage of the central 90% interval.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from dropout_tui.engine.evaluation import modes as registry
from dropout_tui.engine.evaluation.modes import DROPOUT_ONLY, INFERENCE, TRAINABLE_FLAG, TRAINING, Mode
from dropout_tui.engine.evaluation.noise import repeats_gap, standard_error
from dropout_tui.engine.limits import REGRESSION
from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.fmt import accuracy_with_error, finite, num, sparkline
from dropout_tui.tui.redraw import MODES_TABLE
from dropout_tui.tui.run_state import RunState, inference_random

COLUMNS = ("mode", "acc %", "loss", "ECE", "Δacc", "trend", "note")
# Regression: the MC row's predictive numbers take the note's place (80 columns hold no more).
REGRESSION_COLUMNS = ("mode", "RMSE", "MAE", "ΔRMSE", "trend", "MC std", "NLL", "cov90")
TREND_WIDTH = 6  # the last evaluations shown
REFERENCE = INFERENCE.name  # Δacc and ΔRMSE are measured against this mode
# Identical in distribution without BatchNorm or augmentation: the note says whether their means differ beyond the
# noise of R passes (≈ within it, ≠ beyond), since a 1.5-point gap at R=5 can be noise alone.
NOISE_PAIR = (DROPOUT_ONLY.name, TRAINING.name)
# A layer random even with training=False: the inference row is random, and the flag's |Δp| is that layer's
# own randomness between two predictions, not the flag's doing.
ALWAYS_ON_NOTES = {INFERENCE.name: "always-on: random", TRAINABLE_FLAG.name: "Δ: always-on noise"}
# Every row's trend shares one scale, at least this tall (accuracy): a 0.3-point wobble stays a ripple.
TREND_MIN_SPAN = 0.02
# Regression: RMSE has the targets' units, so the least span is relative: 2% of the largest RMSE shown.
TREND_MIN_SPAN_RELATIVE = 0.02


class ModesPane(DrawsFrom[RunState], Vertical):
    """The modes table: one row per registered mode, all trends on one stated scale."""

    draws: ClassVar[frozenset[str]] = frozenset({MODES_TABLE})
    _columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield DataTable(id="modes-table", cursor_type="none", zebra_stripes=False, show_cursor=False)

    def on_mount(self) -> None:
        self.border_title = "Modes (test set)"
        rows = len(registry.MODES)
        self.query_one(DataTable).styles.max_height = rows + 1  # the header and a row per registered mode
        if self.parent is not None:  # the bottom row is as tall as this table; the log beside it follows
            self.parent.styles.height = rows + 3  # + the header and the border
        self.update_from(None)

    def update_from(self, state: RunState | None) -> None:
        table = self.query_one(DataTable)
        regression = state is not None and state.regression
        columns = REGRESSION_COLUMNS if regression else COLUMNS
        if columns != self._columns:  # run_started told the task: the columns switch once
            table.clear(columns=True)
            table.add_columns(*columns)
            self._columns = columns
        else:
            table.clear()
        modes = state.latest_modes if state else {}
        key = "rmse" if regression else "accuracy"
        reference = finite(modes.get(REFERENCE, {}).get(key))
        trends = {
            mode.name: state.mode_trend(mode.name, key)[-TREND_WIDTH:] if state else [] for mode in registry.MODES
        }
        scale = trend_scale(list(trends.values()), relative=regression)
        row = regression_row if regression else mode_row
        for mode in registry.MODES:
            trend = sparkline(trends[mode.name], *scale) if scale else ""
            table.add_row(*row(mode, modes.get(mode.name), reference, trend, state), key=mode.name)
        self.border_subtitle = _note(state, scale)


def trend_scale(trends: list[list[float | None]], relative: bool = False) -> tuple[float, float] | None:
    """One (low, high) for every row's sparkline, at least TREND_MIN_SPAN tall (``relative``: that share of the
    largest value, for RMSEs in the targets' units); None with nothing to draw."""
    values = [value for trend in trends for value in trend if value is not None]
    if not values:
        return None
    low, high = min(values), max(values)
    least = TREND_MIN_SPAN_RELATIVE * max(abs(low), abs(high)) if relative else TREND_MIN_SPAN
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    return low, high


def _label(metrics: dict | None, mode: Mode) -> str:
    samples = metrics.get("samples") if metrics else None
    return f"{mode.name} (T={samples})" if samples is not None else mode.name


def mode_row(
    mode: Mode, metrics: dict | None, reference: float | None, trend: str, state: RunState | None
) -> tuple[str, ...]:
    label = _label(metrics, mode)
    if not metrics:
        return (label, "-", "-", "-", "-", trend, "")
    accuracy = finite(metrics.get("accuracy"))
    acc_text = accuracy_with_error(metrics)
    delta = None if accuracy is None or reference is None else 100 * (accuracy - reference)
    delta_text = "" if mode.name == REFERENCE else num(delta, "+.1f")
    loss, ece = num(metrics.get("loss")), num(metrics.get("ece"))
    return (label, acc_text, loss, ece, delta_text, trend, row_note(mode, metrics, state))


def regression_row(
    mode: Mode, metrics: dict | None, reference: float | None, trend: str, state: RunState | None
) -> tuple[str, ...]:
    """RMSE (± its spread over R repeats), MAE, the RMSE's change in % of the inference RMSE (any units); the MC
    row adds its predictive std, the Gaussian NLL and the share of targets inside the central 90% interval."""
    label = _label(metrics, mode)
    if not metrics:
        return (label, "-", "-", "-", trend, "", "", "")
    rmse = finite(metrics.get("rmse"))
    error = standard_error(finite(metrics.get("rmse_std")), metrics.get("repeats"))
    rmse_text = num(rmse, ".4g") + (f"±{error:.1g}" if error is not None else "")
    delta = None if rmse is None or not reference else 100 * (rmse - reference) / reference
    delta_text = "" if mode.name == REFERENCE else num(delta, "+.1f") + ("%" if delta is not None else "")
    predictive = ("", "", "")
    if "coverage_90" in metrics:
        coverage = finite(metrics.get("coverage_90"))
        covered = "-" if coverage is None else f"{100 * coverage:.0f}%"
        predictive = (num(metrics.get("std"), ".3g"), num(metrics.get("nll"), ".3g"), covered)
    return (label, rmse_text, num(metrics.get("mae"), ".4g"), delta_text, trend, *predictive)


def row_note(mode: Mode, metrics: dict, state: RunState | None = None) -> str:
    """The registry's note, with what this evaluation measured: R for repeated modes, a flag that did change p,
    and whether dropout_only differs from training beyond the noise of their R passes."""
    if inference_random(state) and mode.name in ALWAYS_ON_NOTES:
        return ALWAYS_ON_NOTES[mode.name]  # "dropout off", or a flag that changed p, would be untrue
    diff = finite(metrics.get("max_abs_diff_vs_inference"))
    if diff:  # the registry's note says the flag changes nothing: say so when it did
        return f"max |Δp| {num(diff, '.2g')}"
    repeats = metrics.get("repeats") if mode.repeated else None
    note = f"{mode.note}, R={repeats}" if repeats else mode.note
    if mode.name != NOISE_PAIR[0] or state is None:
        return note
    other = state.latest_modes.get(NOISE_PAIR[1]) or {}
    gap = repeats_gap(metrics, other, "rmse" if state.regression else "accuracy")
    if gap.low is None:
        return note
    # Instead of R (the training row and the header say it): at 80 columns the note has ~21 cells.
    return f"{mode.note} {'≠' if gap.distinguishable else '≈'}{NOISE_PAIR[1]}"


def _note(state: RunState | None, scale: tuple[float, float] | None) -> str:
    if state is None or state.started is None:
        return "waiting for the first evaluation"
    if not state.started.stochastic_layers:
        return "this model has no stochastic layers: every mode equals inference"
    if not state.evaluations:
        return "waiting for the first evaluation"
    epoch = state.evaluations[-1].epoch
    if state.task == REGRESSION:
        trends = f"; trends RMSE {scale[0]:.3g}-{scale[1]:.3g}" if scale else ""
        return f"after epoch {epoch}; ±: s.e.; ΔRMSE: % of {REFERENCE}'s{trends}"
    trends = f"; trends {100 * scale[0]:.1f}-{100 * scale[1]:.1f}%" if scale else ""
    return f"after epoch {epoch}; ±: s.e.; Δacc: points vs {REFERENCE}{trends}"
