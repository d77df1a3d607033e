"""The Uncertainty screen of a regression run (`c`): are the predictive intervals honest?

From the engine's regression block (``uncertainty.methods``, docs/headless.md): observed against nominal
coverage per method with the diagonal, the interval table (coverage at 50/80/90/95%, NLL, RMSE,
miscalibration area, sharpness) and a caption that says what good looks like and how far this run is.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual_plot import LegendLocation

from dropout_tui.engine.evaluation.methods import BY_NAME, METHOD_NAMES
from dropout_tui.engine.evaluation.regression_metrics import INTERVAL_LEVELS
from dropout_tui.tui.fmt import finite, num
from dropout_tui.tui.keys import KEYS, UNCERTAINTY
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.panes.styles import METHOD_STYLES
from dropout_tui.tui.redraw import MODES_TABLE
from dropout_tui.tui.run_state import RunState
from dropout_tui.tui.screens.uncertainty_methods import direction, method_label

NOMINAL = "0.9"  # the caption's interval
# (title, key, higher is better); coverage columns come first, from the engine's levels.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("RMSE", "rmse", False),
    ("NLL", "nll", False),
    ("miscal", "miscalibration_area", False),
    ("sharp", "sharpness", False),
)


def methods_with_spread(uncertainty: dict | None) -> dict:
    """The methods that are distributions (with a calibration curve), in the engine's order."""
    methods = (uncertainty or {}).get("methods") or {}
    return {name: methods[name] for name in METHOD_NAMES if (methods.get(name) or {}).get("calibration")}


def interval_table(uncertainty: dict | None) -> Table:
    """Per method: coverage at each nominal level (closer to nominal is better), then RMSE, NLL, area, sharpness."""
    methods = (uncertainty or {}).get("methods") or {}
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
        coverage = entry.get("coverage") or {}
        calibration = entry.get("calibration") or {}
        values = {**entry, "miscalibration_area": calibration.get("miscalibration_area")}
        cells = [Text(method_label(name, entry.get("passes")))]
        cells += [Text(_pct(finite(coverage.get(str(level))))) for level in INTERVAL_LEVELS]
        cells += [Text(num(finite(values.get(key)))) for _, key, _ in COLUMNS]
        table.add_row(*cells)
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def coverage_caption(uncertainty: dict | None) -> str:
    """What good looks like, and this run: "90% intervals should hold ~90% of targets; here MC dropout's hold 81%:
    too narrow"."""
    spread = methods_with_spread(uncertainty)
    if not spread:
        return "no method with a spread in this round: dropout off gives a point prediction, no interval"
    parts = []
    for name, entry in spread.items():
        observed = finite((entry.get("coverage") or {}).get(NOMINAL))
        if observed is None:
            continue
        verdict = "about right" if abs(observed - 0.9) <= 0.05 else "too narrow" if observed < 0.9 else "too wide"
        parts.append(f"{method_label(name, entry.get('passes'))}'s hold {100 * observed:.0f}%: {verdict}")
    return "90% intervals should hold ~90% of the targets; here " + "; ".join(parts) + "."


class CoveragePlot(Chart):
    """Observed against nominal coverage, one curve per method, the diagonal for honest intervals."""


class RegressionUncertaintyScreen(Screen[None]):
    """Coverage vs nominal with the diagonal, the interval table and the caption, from the last round."""

    BINDINGS = [key.binding() for key in KEYS if key.where == UNCERTAINTY and key.action in ("export", "close")]
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
        uncertainty = state.uncertainty
        epoch = f"after epoch {state.evaluations[-1].epoch}" if state.evaluations else "waiting for the first round"
        self.query_one("#unc-head", Lines).show(f"Uncertainty (regression) {epoch}")
        plot = self.query_one(CoveragePlot)
        plot.clear()
        curves = [Curve([0.0, 1.0], [0.0, 1.0], "·", "grey50", "ideal")]
        for name, entry in methods_with_spread(uncertainty).items():
            calibration = entry["calibration"]
            label = BY_NAME[name].label
            curves.append(Curve(calibration["expected"], calibration["observed"], *METHOD_STYLES[name], label))
        plot.draw_curves(curves)
        plot.set_xlimits(0, 1)
        plot.set_ylimits(0, 1)
        plot.refresh_legend(force=True)
        self.query_one("#unc-methods", Static).update(interval_table(uncertainty) if uncertainty else "")
        self.query_one("#unc-caption", Lines).show(coverage_caption(uncertainty) if uncertainty else "")

    def action_export(self) -> None:
        from dropout_tui.tui.app import DropoutApp

        if isinstance(self.app, DropoutApp):  # the app that opens this screen: it exports the run's results
            self.app.export_results(prefix="dropout-tui-uncertainty")

    def action_close(self) -> None:
        self.dismiss()
