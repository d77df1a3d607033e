"""The Uncertainty screen of a regression run (`c`): are the predictive intervals honest?

From the engine's regression block (``uncertainty.methods``, docs/headless.md): observed against nominal
coverage per method with the diagonal, the interval table (coverage at 50/80/90/95%, NLL, RMSE,
miscalibration area, sharpness) and a caption that says what good looks like and how far this run is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual_plot import LegendLocation

from dropout_tui.engine.evaluation.block import Calibration, RegressionMethodResult, regression_methods
from dropout_tui.engine.evaluation.methods import BY_NAME, METHOD_NAMES
from dropout_tui.engine.evaluation.regression_metrics import INTERVAL_LEVELS
from dropout_tui.tui.fmt import num
from dropout_tui.tui.keys import KEYS, UNCERTAINTY
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.redraw import MODES_TABLE
from dropout_tui.tui.run_state import RunState
from dropout_tui.tui.screens.uncertainty_methods import direction, method_label

NOMINAL = "0.9"  # the caption's interval
# (title, figure, higher is better); coverage columns come first, from the engine's levels.
COLUMNS: tuple[tuple[str, Callable[[RegressionMethodResult], float | None], bool], ...] = (
    ("RMSE", lambda method: method.rmse, False),
    ("NLL", lambda method: method.nll, False),
    ("miscal", lambda method: method.calibration.miscalibration_area if method.calibration else None, False),
    ("sharp", lambda method: method.sharpness, False),
)


def methods_with_spread(methods: dict[str, RegressionMethodResult]) -> dict[str, Calibration]:
    """The methods that are distributions (their calibration curves), in the engine's order."""
    curves = {name: methods[name].calibration for name in METHOD_NAMES if name in methods}
    return {name: curve for name, curve in curves.items() if curve is not None}


def interval_table(methods: dict[str, RegressionMethodResult]) -> Table:
    """Per method: coverage at each nominal level (closer to nominal is better), then RMSE, NLL, area, sharpness."""
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("method\nbetter:", no_wrap=True)
    for level in INTERVAL_LEVELS:
        table.add_column(f"cov{round(100 * level)}\n≈{round(100 * level)}%", justify="right", no_wrap=True)
    for title, _, higher in COLUMNS:
        table.add_column(f"{title}\n{direction(higher)}", justify="right", no_wrap=True)
    for name in METHOD_NAMES:
        entry = methods.get(name)
        if entry is None:
            continue
        cells = [Text(method_label(name, entry.passes))]
        cells += [Text(_pct(entry.coverage.get(str(level)))) for level in INTERVAL_LEVELS]
        cells += [Text(num(figure(entry))) for _, figure, _ in COLUMNS]
        table.add_row(*cells)
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def coverage_caption(methods: dict[str, RegressionMethodResult]) -> str:
    """What good looks like, and this run: "90% intervals should hold ~90% of targets; here MC dropout's hold 81%:
    too narrow"."""
    spread = methods_with_spread(methods)
    if not spread:
        return "no method with a spread in this round: dropout off gives a point prediction, no interval"
    parts = []
    for name in spread:
        observed = methods[name].coverage.get(NOMINAL)
        if observed is None:
            continue
        verdict = "about right" if abs(observed - 0.9) <= 0.05 else "too narrow" if observed < 0.9 else "too wide"
        parts.append(f"{method_label(name, methods[name].passes)}'s hold {100 * observed:.0f}%: {verdict}")
    return "90% intervals should hold ~90% of the targets; here " + "; ".join(parts) + "."


class CoveragePlot(Chart):
    """Observed against nominal coverage, one curve per method, the diagonal for honest intervals."""


class RegressionUncertaintyScreen(Screen[None]):
    """Coverage vs nominal with the diagonal, the interval table and the caption, from the last round."""

    OWN_KEYS = tuple(key for key in KEYS if key.where == UNCERTAINTY and key.action in ("export", "close"))
    BINDINGS = [key.binding() for key in OWN_KEYS]
    draws: ClassVar[frozenset[str]] = frozenset({MODES_TABLE})
    _drawn: object = None

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield Lines("", id="unc-head")
        yield CoveragePlot(id="unc-coverage", allow_pan_and_zoom=False)
        yield Static("", id="unc-methods")
        yield Lines("", id="unc-caption")
        yield Footer()

    def on_mount(self) -> None:
        plot = self.query_one(CoveragePlot)
        plot.border_title = "Coverage: observed vs nominal (diagonal: honest intervals)"
        plot.set_xlabel("nominal coverage")
        plot.set_ylabel("observed")
        plot.show_legend(LegendLocation.TOPLEFT, is_visible=True)  # honest or too narrow, the curves leave it free
        self.update_from(self.state)

    def redraw(self) -> None:
        self.update_from(self.state)

    def update_from(self, state: RunState) -> None:
        key = id(state.evaluations[-1]) if state.evaluations else None
        if key == self._drawn:
            return
        self._drawn = key
        methods = regression_methods(state.uncertainty)  # parsed once per round: the key above
        epoch = f"after epoch {state.evaluations[-1].epoch}" if state.evaluations else "waiting for the first round"
        self.query_one("#unc-head", Lines).show(f"Uncertainty (regression) {epoch}")
        plot = self.query_one(CoveragePlot)
        plot.clear()
        curves = [Curve([0.0, 1.0], [0.0, 1.0], "·", "grey50", "ideal")]
        for name, calibration in methods_with_spread(methods).items():
            label = BY_NAME[name].label
            curves.append(Curve(list(calibration.expected), list(calibration.observed), *BY_NAME[name].style, label))
        plot.draw_curves(curves)
        plot.set_xlimits(0, 1)
        plot.set_ylimits(0, 1)
        plot.refresh_legend(force=True)
        self.query_one("#unc-methods", Static).update(interval_table(methods) if methods else "")
        self.query_one("#unc-caption", Lines).show(coverage_caption(methods) if methods else "")

    def help_content(self) -> tuple[str, RenderableType, tuple[str, ...]]:
        """What `?` shows over this screen: its keys and a glossary of every figure it shows."""
        from dropout_tui.tui.glossary import REGRESSION_TERMS
        from dropout_tui.tui.screens.help import keys_line

        return "Uncertainty (regression): keys and terms", Text(keys_line(UNCERTAINTY, self.OWN_KEYS)), REGRESSION_TERMS

    def action_export(self) -> None:
        from dropout_tui.tui.app import DropoutApp

        if isinstance(self.app, DropoutApp):  # the app that opens this screen: it exports the run's results
            self.app.export_results(prefix="dropout-tui-uncertainty")

    def action_close(self) -> None:
        self.dismiss()
