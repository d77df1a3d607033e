"""The sweep app's panes: the status bar, the table (one row per rate) and the chart (a metric against the rate)."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll

from dropout_tui.engine import backends
from dropout_tui.tui.drawing import DrawsFrom
from dropout_tui.tui.fmt import duration, fit_line, on_backend
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.lines import FixedLines, Lines
from dropout_tui.tui.sweep.comparison import compare_columns, facts, summary_line, warnings
from dropout_tui.tui.sweep.metrics import Column, Metric, Series, columns_for, metrics_for, rate_text
from dropout_tui.tui.sweep.state import CHART, STATUS, TABLE, RateRun, SweepState

MIN_COLUMN_GAP = 1


# --- status ------------------------------------------------------------------------------------------------


def config_line(state: SweepState, width: int = 10_000) -> str:
    """What every run shares; at ``width`` the batch size, the learning rate, the hidden units and R go first."""
    if state.is_compare:
        return summary_line([facts(run) for run in state.runs])
    config = state.config
    rates = "/".join(rate_text(run.rate) for run in state.runs)
    parts = [
        (f"sweep {config.data_path or config.dataset}{on_backend(config.backend)}", 0),
        (f"rates {rates}", 0),
        (f"hidden {config.hidden}", 2),
        (f"epochs {config.epochs}", 0),
        (f"T={config.mc_samples}", 0),
        (f"R={config.repeats}", 1),
        (f"batch {config.batch_size}", 3),
        (f"lr {config.lr:g}", 3),
        (f"seed {config.seed}", 0),
        (f"{state.jobs} at once" if state.jobs > 1 else "one at a time", 2),
    ]
    return fit_line(parts, width, " · ")


def status_line(state: SweepState, now: float) -> str:
    runs, done = state.runs, state.done
    failed = [run for run in runs if run.state == "failed"]
    if state.is_compare:
        problems = warnings([facts(run) for run in runs])
        if problems:
            return f"⚠ {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
        x = "x: each run's rate" if all(run.x == run.rate for run in runs) else "x: the table's order (rates repeat)"
        return f"{len(state.compare)} file(s) │ {x} │ m: next metric │ e: export"
    if state.failed is not None:
        return f"FAILED: {state.failed}"
    finished = [run for run in runs if run.summary is not None]
    if state.over:
        word = "finished" if state.summary is None or state.summary.complete else "ended"
        parts = [f"{word}: {len(finished)} of {len(runs)} rates"]
        if failed:
            parts.append(f"failed: {', '.join(rate_text(run.rate) for run in failed)}")
        parts.append(f"{duration(state.elapsed(now))} elapsed")
        return " │ ".join(parts)
    active = state.active
    if state.stopping:
        word = "stopping: evaluating the run in progress"
    elif state.paused:
        word = "paused (space resumes)"
    elif not active:
        word = f"loading {backends.label(state.config.backend)}" if not done else "starting the next rate"
    else:
        word = _active_word(active)
    parts = [f"{word} ({len(done)} of {len(runs)} done)"]
    if len(active) == 1:
        run = active[0]
        step = f" step {run.step}/{run.steps}" if run.steps else ""
        parts.append(f"epoch {run.epoch}/{run.total_epochs}{step}")
    eta = None if state.paused else state.eta_seconds(now)
    if eta is not None:
        parts.append(f"ETA {duration(eta)}")
    parts.append(f"{duration(state.elapsed(now))} elapsed")
    if failed:
        parts.append(f"failed: {', '.join(rate_text(run.rate) for run in failed)}")
    return " │ ".join(parts)


def _active_word(active: list[RateRun]) -> str:
    rates = ", ".join(rate_text(run.rate) for run in active)
    states = {run.state for run in active}
    verb = "evaluating" if states == {"evaluating"} else "loading" if states == {"loading"} else "training"
    return f"{verb} rate{'s' if len(active) > 1 else ''} {rates}"


def chosen_metric(state: SweepState) -> tuple[Metric, str]:
    """The metric that m/M chose, and where it is in the task's list ("m/M: metric 2 of 9")."""
    metrics = metrics_for(state.task)
    index = state.metric % len(metrics)
    return metrics[index], f"m/M: metric {index + 1} of {len(metrics)}"


class SweepStatus(DrawsFrom[SweepState], FixedLines):
    """The sweep's two top lines: what every run shares, and which rate and epoch are running, with an ETA."""

    LINES = (("sweep-config", ""), ("sweep-status", ""))
    draws: ClassVar[frozenset[str]] = frozenset({STATUS})

    def on_resize(self) -> None:
        self.redraw()  # the lines fit the width: a new width, new lines

    def update_from(self, state: SweepState) -> None:
        width = self.content_size.width or 78
        self.show_lines(config_line(state, width), status_line(state, time.monotonic()))


# --- the table ---------------------------------------------------------------------------------------------


def table_cells(state: SweepState, columns: tuple[Column, ...]) -> list[list[str]]:
    return [[column.text(run) for column in columns] for run in state.runs]


def fit_columns(columns: tuple[Column, ...], cells: list[list[str]], width: int) -> tuple[list[int], list[int], int]:
    """The columns shown at this width (indices), their widths, and how many were left out (highest ``drop`` first)."""
    widths = [
        max([cell_len(line) for line in column.header] + [cell_len(row[index]) for row in cells])
        for index, column in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    while len(shown) > 1 and sum(widths[i] for i in shown) + MIN_COLUMN_GAP * (len(shown) - 1) > width:
        droppable = [i for i in shown if columns[i].drop]
        if not droppable:
            break
        worst = max(columns[i].drop for i in droppable)
        shown.remove(max(i for i in droppable if columns[i].drop == worst))  # the rightmost of the first to go
    return shown, [widths[i] for i in shown], len(columns) - len(shown)


def table_text(state: SweepState, metric: Metric, width: int) -> tuple[Text, Text, int]:
    """The header (two lines) and the body (a line per run), cut to ``width``; and how many columns were left out."""
    columns = columns_for(state.task, state.is_compare)
    if state.is_compare:
        columns = compare_columns(state.runs, columns)
    cells = table_cells(state, columns)
    shown, widths, hidden = fit_columns(columns, cells, width)
    header = Text(no_wrap=True, overflow="crop")
    for line in range(2):
        for position, (index, size) in enumerate(zip(shown, widths)):
            column = columns[index]
            style = "bold reverse" if metric.key in column.metrics else "bold"
            if position:
                header.append(" " * MIN_COLUMN_GAP)
            _cell(header, column.header[line], size, column.key in ("rate", "file"), style)
        if line == 0:
            header.append("\n")
    body = Text(no_wrap=True, overflow="crop")
    for row, (run, values) in enumerate(zip(state.runs, cells)):
        style = "bold" if run in state.active else "red" if run.state == "failed" else "dim" if not run.epochs else ""
        for position, (index, size) in enumerate(zip(shown, widths)):
            if position:
                body.append(" " * MIN_COLUMN_GAP)
            _cell(body, values[index], size, columns[index].key in ("rate", "file"), style)
        if row < len(state.runs) - 1:
            body.append("\n")
    return header, body, hidden


def _cell(text: Text, value: str, width: int, left: bool, style: str) -> None:
    """A cell padded to its width; the padding is a span of its own (an SVG screenshot drops a span's edge spaces)."""
    padding = " " * max(0, width - cell_len(value))
    if not left:
        text.append(padding)
    text.append(value, style=style)
    if left:
        text.append(padding)


class TablePane(DrawsFrom[SweepState], Vertical):
    """One row per rate; the columns of the chart's metric highlighted; the least needed columns go when narrow."""

    draws: ClassVar[frozenset[str]] = frozenset({TABLE})

    _active: tuple = ()

    def compose(self) -> ComposeResult:
        yield Lines("", id="sweep-header")
        with VerticalScroll(id="sweep-rows"):
            yield Lines("", id="sweep-body")

    def on_mount(self) -> None:
        self.border_title = "Runs"

    def update_from(self, state: SweepState) -> None:
        metric, _ = chosen_metric(state)
        width = self.query_one("#sweep-rows").scrollable_content_region.width or self.content_size.width or 78
        header, body, hidden = table_text(state, metric, width)
        self.query_one("#sweep-header", Lines).show(header)
        self.query_one("#sweep-body", Lines).show(body)
        self.border_title = "Runs" if state.is_compare else "Rates"
        self.border_subtitle = f"{hidden} more column(s) when wider; e exports all" if hidden else ""
        active = tuple(index for index, run in enumerate(state.runs) if run in state.active)
        if active and active != self._active:  # a new run began: keep its row in view
            self.query_one("#sweep-rows", VerticalScroll).scroll_to(y=max(0, active[0] - 1), animate=False)
        self._active = active

    def scroll_rows(self, rows: int) -> None:
        scroll = self.query_one("#sweep-rows", VerticalScroll)
        scroll.scroll_to(y=scroll.scroll_y + rows, animate=False)


# --- the chart ---------------------------------------------------------------------------------------------


def chart_points(state: SweepState, metric: Metric) -> list[tuple[Series, list[float], list[float]]]:
    """(series, xs, ys) per curve, in x order; runs still training included with their latest numbers."""
    placed = sorted(((run.x, run) for run in state.runs if run.x is not None), key=lambda pair: pair[0])
    curves = []
    for series in metric.series:
        pairs = [(x, series.get(run)) for x, run in placed]
        kept = [(x, y) for x, y in pairs if y is not None]
        curves.append((series, [x for x, _ in kept], [y for _, y in kept]))
    return curves


def legend(metric: Metric, x: str, width: int = 10_000) -> Text:
    """Each curve's marker and name, after what x is; where that does not fit ``width``, the names alone (the
    axis's ticks show the rates, and compare's status line says when x is the table's order)."""
    for prefix in (f"x: {x} │ ", ""):
        text = Text(prefix, no_wrap=True, overflow="ellipsis")
        for index, series in enumerate(metric.series):
            text.append(" " if index else "")
            text.append(series.marker, style=series.colour)
            text.append(series.label)
        if text.cell_len <= width:
            break
    return text


class ChartPane(DrawsFrom[SweepState], Vertical):
    """The chosen metric against the rate (compare: the rate, or the files' order), a curve per mode or series."""

    draws: ClassVar[frozenset[str]] = frozenset({CHART})

    def compose(self) -> ComposeResult:
        yield Chart(id="sweep-plot", allow_pan_and_zoom=False)
        yield Lines("", id="sweep-legend")

    def on_mount(self) -> None:
        plot = self.query_one(Chart)
        plot.margin_top, plot.margin_bottom, plot.margin_left = 0, 1, 7  # the x axis is named in the legend line

    def update_from(self, state: SweepState) -> None:
        metric, position = chosen_metric(state)
        plot = self.query_one(Chart)
        plot.clear()
        by_rate = all(run.x == run.rate for run in state.runs)
        curves = chart_points(state, metric)
        # Runs placed by the table's order share no x axis: a line between them would say they did.
        plot.draw_curves(Curve(xs, ys, series.marker, series.colour, line=by_rate) for series, xs, ys in curves)
        for run in state.active:
            if run.x is not None:
                plot.add_v_line(run.x, line_style="grey42")
        xs = [run.x for run in state.runs if run.x is not None] or [0.0, 1.0]
        low, high = min(xs), max(xs)
        pad = max(high - low, 0.1) * 0.06
        plot.set_xlimits(low - pad, high + pad)
        ys = [y for _, _, values in curves for y in values]
        if ys:
            plot.set_y_range(min(ys), max(ys))
        self.border_title = f"{metric.title} · {position}"
        live = [run for run in state.active if run.epochs]
        note = metric.note
        if live:
            rates = ", ".join(rate_text(run.rate) for run in live)
            note = f"│ rate {rates}: drawn as it trains"
        elif not ys:
            note = f"{note} · nothing to draw yet" if not state.over else f"{note} · no values for this metric"
        self.border_subtitle = note
        line = self.query_one("#sweep-legend", Lines)
        line.show(legend(metric, "dropout rate" if by_rate else "the table's order", line.content_size.width or 76))
