"""Loss pane: per-batch and per-epoch losses, and why they differ."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Resize
from textual.widgets import Static
from textual_plot import HiResMode, LegendLocation
from textual_plot.axis_formatter import AxisFormatter, NumericAxisFormatter
from textual_plot.plot_widget import Legend

from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.export import with_rates
from dropout_tui.tui.fmt import finite, num, rates_text
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.panes.styles import LOSS_STYLES
from dropout_tui.tui.redraw import LOSS
from dropout_tui.tui.run_state import RunState

LOSS_FLOOR = 1e-4  # log scale: losses at or below this sit on the floor
MAX_BATCH_POINTS = 600  # more points than a terminal has columns only costs redraw time
SHORT_HEIGHT = 16  # below this the chart's boxed legend would hide the curves: use one text line

# (attribute of EpochEnd, legend label, the short legend's word, marker, colour), top to bottom as the caption
# reads them: fit = train with dropout + drift, train with dropout = clean train + dropout. Markers keep the
# series apart under NO_COLOR; they and the colours are styles.LOSS_STYLES, which the sweep's chart shares.
EPOCH_SERIES = tuple(
    (attribute, label, word, *LOSS_STYLES[attribute])
    for attribute, label, word in (
        ("train_loss_keras", "fit (dropout on)", "fit"),
        ("train_loss_dropout", "train (dropout on)", "on"),
        ("train_loss_inference", "train (dropout off)", "train"),
        ("test_loss_inference", "test (dropout off)", "test"),
    )
)


def to_log(values: list[float]) -> list[float]:
    return [math.log10(max(value, LOSS_FLOOR)) for value in values]


class LogLossFormatter(AxisFormatter):
    """Ticks at 1-2-5 loss values for an axis that holds log10(loss).

    Losses fall by orders of magnitude while fit, train and test end a few
    hundredths apart; on a linear axis those three curves share one row of
    cells by the end of a run. A log axis keeps the late gap visible.
    """

    def __init__(self, rows: Callable[[], int] = lambda: 0) -> None:
        # textual-plot always asks for up to 8 ticks; on a short chart two would share a row and their
        # right-aligned labels overprint ("0.05" under "0.1" reads "00.1"). ``rows`` is the chart's
        # height when the ticks are drawn; a label every other row at most.
        self._rows = rows

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        rows = self._rows()
        if rows > 0:
            max_ticks = min(max_ticks, max(2, rows // 2))
        if max_ - min_ < math.log10(5):  # under half a decade: evenly spaced loss values read better
            linear = NumericAxisFormatter().get_ticks(10.0**min_, 10.0**max_, max_ticks)
            return [math.log10(tick) for tick in linear if tick > 0]
        for steps in ((1, 2, 5), (1, 3), (1,)):
            ticks = [
                math.log10(step * 10.0**decade)
                for decade in range(math.floor(min_) - 1, math.ceil(max_) + 1)
                for step in steps
                if min_ <= math.log10(step * 10.0**decade) <= max_
            ]
            if len(ticks) <= max_ticks:
                return ticks
        return ticks[:: math.ceil(len(ticks) / max_ticks)]

    def get_labels_for_ticks(self, ticks) -> list[str]:
        return [f"{10.0**tick:.3g}" for tick in ticks]


class LossPlot(Chart):
    """The loss chart (tui/panes/chart.py: never focused, legend rebuilt only on change)."""


class LossPane(DrawsFrom[RunState], Vertical):
    """The losses by epoch on a log axis, marks where the rate changed, and a caption that explains the gap.

    In inspect without training there is nothing to plot: the pane lists what was found in the model instead.
    """

    draws: ClassVar[frozenset[str]] = frozenset({LOSS})
    _short = False
    _has_data = False

    def compose(self) -> ComposeResult:
        yield LossPlot(id="loss-plot", allow_pan_and_zoom=False)
        yield Static(_compact_legend(), id="loss-legend")
        yield Lines("", id="loss-caption")

    def on_mount(self) -> None:
        self.border_title = "Loss by epoch (log scale)"
        plot = self.query_one(LossPlot)
        plot.margin_top, plot.margin_bottom, plot.margin_left = 0, 2, 6
        plot.set_y_formatter(LogLossFormatter(rows=lambda: plot.query_one("#plot").size.height))
        plot.set_xlabel("epoch")

    def on_resize(self, event: Resize) -> None:
        self._short = event.size.height < SHORT_HEIGHT
        self.set_class(self._short, "-short")
        plot = self.query_one(LossPlot)
        self._show_legend(plot)
        # Short panes keep the tick labels but drop the axis label row.
        plot.margin_bottom = 1 if self._short else 2

    def _show_legend(self, plot: LossPlot) -> None:
        # An empty boxed legend (before the first batch) is only noise.
        visible = not self._short and self._has_data
        if visible != plot.query_one(Legend).display:
            plot.show_legend(LegendLocation.TOPRIGHT, is_visible=visible)
            plot.refresh_legend(force=True)

    def update_from(self, state: RunState) -> None:
        plot = self.query_one(LossPlot)
        caption = self.query_one("#loss-caption", Lines)
        if state.inspect and state.total_epochs == 0:
            self.border_title = "Model (inspect)"
            plot.display = False
            self.query_one("#loss-legend").display = False
            caption.show(model_report(state))
            return
        plot.clear()
        x, y = batch_series(state.batch_x, state.batch_loss, MAX_BATCH_POINTS)
        if x:
            plot.plot(x, y, line_style="grey50", hires_mode=HiResMode.BRAILLE, label="batch (dropout on)")
        epochs = [e.epoch for e in state.epochs]
        series = [
            Curve(*_log_pairs(epochs, [getattr(e, attribute, None) for e in state.epochs]), marker, colour, label)
            for attribute, label, _, marker, colour in EPOCH_SERIES
        ]
        plot.draw_curves(series)  # the legend shows the marker (it also tells series apart under NO_COLOR)
        for index, change in enumerate(state.rate_changes):
            label = "rate changed" if index == 0 else None
            plot.add_v_line(change.epoch - 1, line_style="green", label=label)
        # A little room on the right so the last epoch's markers are not clipped by the frame.
        plot.set_xlimits(0, max(state.total_epochs, 1) * 1.03)
        plotted = y + [value for curve in series for value in curve.ys]
        if plotted:
            # A tenth of a decade of room so markers at the extremes are not cut by the frame.
            plot.set_ylimits(min(plotted) - 0.1, max(plotted) + 0.1)
        plot.refresh_legend()
        self._has_data = bool(x or state.epochs)
        self._show_legend(plot)
        caption.show(loss_caption(state))


def _compact_legend() -> Text:
    text = Text.assemble(("⠒", "grey50"), "batch")
    for _, _, word, marker, colour in EPOCH_SERIES:
        text.append(" ")
        text.append(marker, style=colour)
        text.append(word)
    text.append(" │", style="green")
    text.append("rate")
    return text


def model_report(state: RunState) -> str:
    """Inspect mode has no losses to plot: the pane says what was found in the model instead."""
    started = state.started
    if started is None:
        return "inspect: the run failed (the log has why)" if state.failed else "inspect: loading the model"
    layers = started.stochastic_layers
    if not layers:
        lines = ["stochastic layers: none"]
    elif len(layers) <= 3:
        lines = [f"stochastic: {', '.join(layer_text(layer, state.rates) for layer in layers)}"]
    else:
        counts = Counter(layer["class"] for layer in layers)
        kinds = ", ".join(f"{n} {cls}" for cls, n in counts.items())
        lines = [f"stochastic: {len(layers)} layers ({kinds}), {rates_text(state.rates)}"]
        # The layers a count hides the most: two rates each, or a layer of the user's own.
        special = [layer for layer in layers if layer.get("kind") in ("recurrent", "custom")]
        lines.extend(f"- {layer_text(layer, state.rates)}" for layer in special)
    always = [layer["name"] for layer in layers if layer.get("always_on")]
    if always:
        lines.append(f"always on, random in predict too: {', '.join(always)}")
    augmentation = started.augmentation_layers
    if augmentation:
        found = ", ".join(f"{layer['name']} ({layer['class']})" for layer in augmentation)
        lines.append(f"augmentation (on in the training mode only): {found}")
    lines.append(f"BatchNormalization layers: {len(started.normalization_layers)}")
    lines.extend(f"- {note}" for note in started.notes if not note.startswith("model details:"))
    lines.append("no training in inspect (--fine-tune N trains first); l: full log")
    return "\n".join(lines)


def layer_text(layer: dict, rates: dict[str, float]) -> str:
    """A layer with its rates now (the keys move them): both of a recurrent layer, a noise layer's stddev."""
    layer = with_rates(layer, rates)
    name, kind = layer["name"], layer.get("kind")
    shape = "" if layer.get("noise_shape") is None else f" noise_shape {tuple(layer['noise_shape'])}"
    if kind == "recurrent":
        dropout, recurrent = _amount(layer.get("dropout")), _amount(layer.get("recurrent_dropout"))
        return f"{name} ({layer['class']} dropout {dropout}, recurrent {recurrent})"
    rate = layer.get("rate")
    if rate is not None:
        amount = f"{rate:g}"
    elif layer.get("stddev") is not None:
        amount = f"stddev {layer['stddev']:g}"
    else:
        amount = "no rate"
    custom = "custom, " if kind == "custom" else ""
    always = ", always on" if layer.get("always_on") else ""
    return f"{name} ({layer['class']} {custom}{amount}{shape}{always})"


def _amount(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:g}"


def loss_caption(state: RunState) -> str:
    if not state.epochs:
        if state.batch_loss:
            return f"batch loss {num(state.batch_loss[-1])} (dropout on); epoch losses after epoch 1"
        return "waiting for the first batch"
    last = state.epochs[-1]
    return decomposition_text(
        last.train_loss_keras, last.train_loss_inference, last.train_loss_dropout, last.test_loss_inference
    )


def decomposition_text(fit: object, clean: object, dropout_on: object, test: object) -> str:
    """fit = clean train + dropout + drift; test - clean train = the generalisation gap (README, "The app").

    dropout = the training set's loss with dropout on minus with it off (both at the epoch's end weights);
    drift = fit minus the dropout-on loss: fit averages over an epoch while the weights improve.
    A stream without the dropout-on loss (recorded before it existed) gets one term for both.
    """
    shown = f"fit {num(fit)} = clean train {num(clean)}"  # NaN and inf shown as such, never computed with
    fit, clean, dropout_on, test_value = finite(fit), finite(clean), finite(dropout_on), finite(test)
    if dropout_on is None:
        terms = [_term("dropout and drift", fit, clean)]
    else:
        terms = [_term("dropout", dropout_on, clean), _term("drift", fit, dropout_on)]
    gap = None if test_value is None or clean is None else test_value - clean
    return f"{shown} {' '.join(terms)}; test {num(test)}: generalisation gap {num(gap)}"


def _term(name: str, high: float | None, low: float | None) -> str:
    value = None if high is None or low is None else high - low
    sign = "-" if value is not None and value < 0 else "+"
    return f"{sign} {name} {num(None if value is None else abs(value))}"


def _finite_pairs(xs: list, ys: list) -> tuple[list[float], list[float]]:
    pairs = [(finite(a), finite(b)) for a, b in zip(xs, ys)]
    kept = [(a, b) for a, b in pairs if a is not None and b is not None]
    return [a for a, _ in kept], [b for _, b in kept]


def _log_pairs(xs: list, ys: list) -> tuple[list[float], list[float]]:
    x, y = _finite_pairs(xs, ys)
    return x, to_log(y)


def batch_series(xs: list, ys: list, limit: int) -> tuple[list[float], list[float]]:
    """The batch losses as the chart draws them: finite pairs, log10, neighbours averaged down to ``limit`` points.

    NumPy, because it runs on the UI thread after every epoch over every batch so
    far (100 MNIST-size epochs are ~190,000 points: 118 ms in pure Python).
    """
    x, y = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], np.log10(np.maximum(y[keep], LOSS_FLOOR))
    if len(x) > limit:
        edges = np.arange(limit) * len(x) // limit  # bin i holds rows edges[i] .. edges[i+1]-1
        counts = np.diff(np.append(edges, len(x)))
        x, y = np.add.reduceat(x, edges) / counts, np.add.reduceat(y, edges) / counts
    return x.tolist(), y.tolist()
