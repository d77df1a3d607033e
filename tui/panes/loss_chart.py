"""The loss pane's chart: losses on a log axis with 1-2-5 ticks, the batch losses averaged down to what a
terminal can show. Imported after the first frame (tui/panes/loss.py): textual-plot and NumPy are its cost."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from textual_plot import HiResMode, LegendLocation
from textual_plot.axis_formatter import AxisFormatter, NumericAxisFormatter
from textual_plot.plot_widget import Legend

from dropout_tui.tui.fmt import finite
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.run_state import RunState

LOSS_FLOOR = 1e-4  # log scale: losses at or below this sit on the floor
MAX_BATCH_POINTS = 600  # more points than a terminal has columns only costs redraw time


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

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{10.0**tick:.3g}" for tick in ticks]


class LossPlot(Chart):
    """The loss chart (tui/panes/chart.py: never focused, legend rebuilt only on change)."""

    def set_up(self, short: bool) -> None:
        self.margin_top, self.margin_left = 0, 6
        self.set_y_formatter(LogLossFormatter(rows=lambda: self.query_one("#plot").size.height))
        self.set_xlabel("epoch")
        self.fit(short, legend=False)

    def fit(self, short: bool, legend: bool) -> None:
        """Short panes keep the tick labels but drop the axis label row and the boxed legend (the pane's one-line
        legend stands in); an empty boxed legend (before the first batch) is only noise."""
        self.margin_bottom = 1 if short else 2
        visible = not short and legend
        if visible != self.query_one(Legend).display:
            self.show_legend(LegendLocation.TOPRIGHT, is_visible=visible)
            self.refresh_legend(force=True)

    def draw_run(self, state: RunState, epoch_series: tuple, short: bool) -> bool:
        """The batch losses, the epoch losses and the rate changes; True when there was anything to draw."""
        self.clear()
        x, y = batch_series(state.batch_x, state.batch_loss, MAX_BATCH_POINTS)
        if x:
            self.plot(x, y, line_style="grey50", hires_mode=HiResMode.BRAILLE, label="batch (dropout on)")
        epochs = [e.epoch for e in state.epochs]
        series = [
            Curve(*_log_pairs(epochs, [getattr(e, attribute, None) for e in state.epochs]), marker, colour, label)
            for attribute, label, _, marker, colour in epoch_series
        ]
        self.draw_curves(series)  # the legend shows the marker (it also tells series apart under NO_COLOR)
        for index, change in enumerate(state.rate_changes):
            label = "rate changed" if index == 0 else None
            self.add_v_line(change.epoch - 1, line_style="green", label=label)
        # A little room on the right so the last epoch's markers are not clipped by the frame.
        self.set_xlimits(0, max(state.total_epochs, 1) * 1.03)
        plotted = y + [value for curve in series for value in curve.ys]
        if plotted:
            # A tenth of a decade of room so markers at the extremes are not cut by the frame.
            self.set_ylimits(min(plotted) - 0.1, max(plotted) + 0.1)
        self.refresh_legend()
        drawn = bool(x or state.epochs)
        self.fit(short, legend=drawn)
        return drawn


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
