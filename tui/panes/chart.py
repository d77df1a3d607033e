"""The app's charts: textual-plot's PlotWidget, safe under NO_COLOR, never focused, legend rebuilt on change."""

from __future__ import annotations

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

    def _update_legend(self) -> None:
        pass

    def refresh_legend(self, force: bool = False) -> None:
        key = (tuple(self._labels), tuple(self._v_lines_labels))
        if force or key != self._legend_key:
            self._legend_key = key
            super()._update_legend()
