"""The app's charts: textual-plot's PlotWidget, safe under NO_COLOR, never focused, legend rebuilt on change."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Grid
from textual.strip import Strip
from textual_hires_canvas import Canvas
from textual_plot import HiResMode, PlotWidget
from textual_plot.plot_widget import Legend


class _Canvas(Canvas):
    """A canvas whose empty lines carry a style: NO_COLOR's monochrome filter crashes on None."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if all(segment.style is not None for segment in strip):
            return strip
        null = Style.null()
        return Strip([Segment(seg.text, seg.style or null, seg.control) for seg in strip], strip.cell_length)


NICE_STEPS = (1.0, 2.0, 5.0)
MIN_TICK_ROWS = 2  # a y label every other row at most: right-aligned labels on adjacent rows read as one
MAX_TICKS = 6
MIN_FILL = 0.3  # the data's share of the chart's height below which fewer labels are the better deal


def even_ticks(low: float, high: float, rows: int) -> tuple[float, float, list[float]]:
    """The y limits and ticks of a linear axis ``rows`` cells high (textual-plot maps the limits to the frame's
    rows): ticks at 1-2-5 steps, a whole number of rows apart (at least MIN_TICK_ROWS) from the bottom limit, so
    every label sits on the row of its value and the labels are evenly spaced. [low, high] stays inside; of the
    layouts that fit, the one that leaves the data the most of the height."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high - low < 1e-9:
        pad = max(abs(low) * 0.05, 1e-3)
        low, high = low - pad, high + pad
    if rows < MIN_TICK_ROWS:
        return low, high, [low, high]
    layouts = []  # (fill, ticks, step, rows per step, first multiple)
    top = math.floor(math.log10(high - low)) + 1
    for decade in range(top - 3, top + 2):
        for nice in NICE_STEPS:
            step = nice * 10.0**decade
            first = math.floor(low / step + 1e-9)
            for spacing in range(MIN_TICK_ROWS, rows + 1):
                shown = step * rows / spacing  # the value range the axis spans
                # The top limit is the frame's row: the data stays a row below it.
                slack = math.floor((first * step + shown * (rows - 1) / rows - high) / step + 1e-9)
                if slack < 0:
                    continue
                start = first - slack // 2
                if start < 0 <= low:  # data that is never negative gets no negative axis
                    start = 0
                layouts.append(((high - low) / shown, rows // spacing + 1, step, spacing, start))
    # One step of ten times the range always fits. Three labels at least where the height allows and the data
    # keeps MIN_FILL of it; of those, the one that leaves the data the most height, then the one with more labels.
    wanted = min(3, rows // MIN_TICK_ROWS + 1)
    readable = [layout for layout in layouts if layout[1] >= wanted and layout[0] >= MIN_FILL] or layouts
    _, _, step, spacing, start = max(readable, key=lambda it: (round(it[0], 6), min(it[1], MAX_TICKS)))
    ticks = [round((start + k) * step, 12) for k in range(rows // spacing + 1)]
    # textual-plot draws a tick equal to the lower limit on the frame, a row below its value: the limit sits a
    # hair below the first tick instead, so it is drawn on the bottom row with the data of its value.
    bottom = ticks[0] - step * 1e-6
    return bottom, bottom + step * rows / spacing, ticks


@dataclass(frozen=True)
class Curve:
    """One series of a chart: a line with markers, in one colour (markers tell series apart under NO_COLOR)."""

    xs: list[float]
    ys: list[float]
    marker: str
    colour: str
    label: str | None = None  # the legend's entry, shown with the marker
    marks: tuple[list[float], list[float]] | None = None  # where the markers go (None: on every point)
    line: bool = True  # False: markers only (points that share no axis)


class Chart(PlotWidget, can_focus=False):
    """The chart never takes focus: its own +/-/r/arrow bindings would shadow the app's keys.

    textual-plot (pinned 0.10.1) rebuilds its legend, a layout pass of the whole
    screen, on every plot() call; a redraw makes several such calls. The legend is
    rebuilt once per redraw instead, and only when its labels changed.
    """

    _legend_key: tuple | None = None

    def compose(self) -> ComposeResult:
        # PlotWidget's own layout, with the NO_COLOR-safe canvas.
        with Grid():
            yield _Canvas(1, 1, id="margin-top")
            yield _Canvas(1, 1, id="margin-left")
            yield _Canvas(1, 1, id="plot")
            yield _Canvas(1, 1, id="margin-bottom")
        yield Legend(id="legend")

    def draw_curves(self, curves: Iterable[Curve]) -> None:
        """Every line first, then every marker: textual-plot has no line-with-markers style, and a line drawn
        after another curve's markers would cover them."""
        curves = list(curves)
        for curve in curves:
            if curve.line and len(curve.xs) > 1:  # one point makes no line
                self.plot(curve.xs, curve.ys, line_style=curve.colour, hires_mode=HiResMode.BRAILLE)
        for curve in curves:
            xs, ys = curve.marks if curve.marks is not None else (curve.xs, curve.ys)
            if xs:
                self.scatter(xs, ys, marker=curve.marker, marker_style=curve.colour, label=curve.label)

    _y_range: tuple[float, float] | None = None

    def set_y_range(self, low: float, high: float) -> None:
        """Show at least [low, high] on evenly spaced ticks that sit where their values are (even_ticks), laid out
        for the chart's height when it is drawn."""
        self._y_range = (low, high)
        self.refresh()

    def _render_plot(self) -> None:
        if self._y_range is not None and self._scale_rectangle.height > 0:
            low, high, ticks = even_ticks(*self._y_range, self._scale_rectangle.height)
            self.set_ylimits(low, high)
            self.set_yticks(ticks)
        super()._render_plot()

    def _update_legend(self) -> None:
        pass

    def refresh_legend(self, force: bool = False) -> None:
        key = (tuple(self._labels), tuple(self._v_lines_labels))
        if force or key != self._legend_key:
            self._legend_key = key
            super()._update_legend()
