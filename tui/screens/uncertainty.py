"""The Uncertainty screen (`c`): how good the model's uncertainty is, from the last evaluation round.

Everything comes from the engine's uncertainty block (mode_evaluation.uncertainty, docs/headless.md): the
reliability diagrams of the dropout-off and the MC prediction, the risk-coverage curves of the four scores with
their AURC, a table of error detection and selective prediction per score (and of OOD detection when the run has
OOD inputs), and a caption that says in words what the numbers show. The screen draws only when a new round
arrives, under the same rules as the modes table (tui/redraw.py: heavy panes wait for the gap between epochs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from dropout_tui.engine.evaluation import scores as score_registry
from dropout_tui.engine.evaluation.block import OodResult, ScoreResult, UncertaintyBlock
from dropout_tui.engine.evaluation.methods import BY_NAME as BY_METHOD
from dropout_tui.engine.evaluation.modes import INFERENCE, MC
from dropout_tui.tui.fmt import num, ranked_spec
from dropout_tui.tui.keys import UNCERTAINTY, bindings
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.panes.reliability import ReliabilityDiagram
from dropout_tui.tui.redraw import MODES_TABLE
from dropout_tui.tui.run_state import RunState, inference_label
from dropout_tui.tui.screens.uncertainty_caption import (
    calibration_note,
    decomposition_line,
    label,
    pct,
    uncertainty_caption,
)
from dropout_tui.tui.screens.uncertainty_methods import method_label, methods_sentence, methods_table

RANKED = "ranked"  # a column whose numbers get as many decimals as it takes to rank them (tui/fmt.ranked_spec)
MARKED_COVERAGES = (0.5, 0.8, 0.9)  # the table's columns: markers there tell the curves apart under NO_COLOR
BOTH_TABLES_HEIGHT = 34  # rows from which the methods and the score table show together


Cell = Callable[[ScoreResult, OodResult], float | None]


def score_table(uncertainty: UncertaintyBlock) -> Table:
    """Per score: error detection (AUROC), selective prediction (AURC, accuracy on the surest 50/80/90%) and,
    with OOD inputs, OOD detection (AUROC, AUPR, FPR at 95% recall). The best of each column in bold."""
    scores = uncertainty.scores
    ood = uncertainty.ood.scores if uncertainty.ood is not None else {}
    columns: list[tuple[str, Cell, bool, str]] = [
        ("err AUROC", lambda s, o: s.auroc_error, True, ".3f"),
        ("AURC", lambda s, o: s.aurc, False, RANKED),
        ("acc@50%", lambda s, o: s.accuracy_at("0.5"), True, "%"),
        ("acc@80%", lambda s, o: s.accuracy_at("0.8"), True, "%"),
        ("acc@90%", lambda s, o: s.accuracy_at("0.9"), True, "%"),
    ]
    if ood:
        columns += [
            ("OOD AUROC", lambda s, o: o.auroc, True, ".3f"),
            ("AUPR", lambda s, o: o.aupr, True, ".3f"),
            ("FPR95", lambda s, o: o.fpr95, False, ".3f"),
        ]
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("score", no_wrap=True)
    for title, *_ in columns:
        table.add_column(title, justify="right", no_wrap=True)
    names = [key for key in score_registry.SCORE_NAMES if key in scores]
    columns_shown = []
    for _, get, higher, spec in columns:
        values = {name: get(scores[name], ood.get(name) or OodResult()) for name in names}
        spec = ranked_spec(values.values()) if spec == RANKED else spec
        shown = {name: pct(v).removesuffix("%") if spec == "%" else num(v, spec) for name, v in values.items()}
        known = {name: v for name, v in values.items() if v is not None}
        best = None
        if len(known) > 1:  # bold: every score that shows the best value (ties as they read, not as stored)
            best = shown[max(known, key=known.__getitem__) if higher else min(known, key=known.__getitem__)]
        columns_shown.append((shown, best))
    for name in names:
        cells = [Text.assemble(score_registry.BY_NAME[name].style, " ", label(name))]
        cells += [Text(shown[name], style="bold" if shown[name] == best else "") for shown, best in columns_shown]
        table.add_row(*cells)
    return table


def round_block(state: RunState) -> UncertaintyBlock | None:
    """The last round's uncertainty block, typed (ModeEvaluation.block: parsed once per round)."""
    return state.evaluations[-1].block if state.evaluations else None


def head_text(state: RunState) -> str:
    uncertainty = round_block(state)
    if uncertainty is None:
        if state.evaluations:
            return "this run's evaluations carry no uncertainty block (recorded before it existed?)"
        return "waiting for the first evaluation (after epoch 1)"
    n = state.started.n_test if state.started else None
    parts = [f"after epoch {state.evaluations[-1].epoch}", f"{n} test samples" if n else ""]
    parts.append(f"MC T={round_samples(state)}")
    ood = uncertainty.ood
    parts.append(f"OOD: {ood.source}, {ood.n}" if ood else "no OOD inputs (--ood adds them)")
    return "Uncertainty " + " · ".join(part for part in parts if part)


def round_samples(state: RunState) -> int:
    """T of the round shown (the modes' MC entry), not a T that t/T asked for since."""
    samples = (state.latest_modes.get(MC.name) or {}).get("samples")
    return samples if isinstance(samples, int) else state.samples


def risk_series(uncertainty: UncertaintyBlock | None) -> list[tuple[str, list[float], list[float], float | None]]:
    """Per score: (name, coverages, risks, AURC) from the engine's curve (non-finite points left out on parsing)."""
    out = []
    for key in score_registry.SCORE_NAMES:
        entry = uncertainty.scores.get(key) if uncertainty is not None else None
        if entry is None or (not entry.curve and entry.aurc is None):
            continue
        out.append((key, [c for c, _ in entry.curve], [r for _, r in entry.curve], entry.aurc))
    return out


class RiskPlot(Chart):
    """Risk (the error rate among the answered) against coverage, one curve per score."""


class UncertaintyScreen(Screen[None]):
    """Reliability diagrams, risk-coverage curves, the score table and the caption, from the last round."""

    KEYS_WHERE = UNCERTAINTY  # the palette offers the keys of tui/keys.py for this screen
    BINDINGS = bindings(UNCERTAINTY)
    draws: ClassVar[frozenset[str]] = frozenset({MODES_TABLE})  # a new round's news, as the modes table's
    _drawn: object = None
    _series: tuple = ()
    _table_shape: object = None
    method = MC.name  # the method in the second reliability diagram (m cycles it)
    scores_shown = False  # below BOTH_TABLES_HEIGHT: the score table instead of the methods table (s)

    def compose(self) -> ComposeResult:
        yield Lines("", id="unc-head")
        with Horizontal(id="unc-charts"):
            with Vertical(id="unc-rel-inference", classes="unc-pane"):
                yield ReliabilityDiagram(classes="unc-diagram")
            with Vertical(id="unc-rel-method", classes="unc-pane"):
                yield ReliabilityDiagram(classes="unc-diagram")
            with Vertical(id="unc-risk", classes="unc-pane"):
                yield RiskPlot(id="unc-risk-plot", allow_pan_and_zoom=False)
                yield Static("", id="unc-risk-legend")
        yield Static("", id="unc-methods")
        yield Static("", id="unc-table")
        yield Lines("", id="unc-decomposition")
        yield Lines("", id="unc-caption")
        yield Footer()

    def __init__(self, state: RunState) -> None:
        super().__init__()
        self.state = state

    def on_mount(self) -> None:
        plot = self.query_one(RiskPlot)
        # The tick labels only: the pane's title says what the axes are (README: "Uncertainty").
        plot.margin_top, plot.margin_bottom, plot.margin_left = 0, 1, 6
        self.update_from(self.state)

    def on_resize(self) -> None:
        self._titles()
        self._legend()
        self._tables()

    def _tables(self) -> None:
        """Both tables where the terminal is tall enough; else one, the methods first (s switches)."""
        block = None if self.state.regression else round_block(self.state)
        has_methods = block is not None and bool(block.methods)
        both = self.size.height >= BOTH_TABLES_HEIGHT or not has_methods
        self.query_one("#unc-methods").display = has_methods and (both or not self.scores_shown)
        self.query_one("#unc-table").display = both or self.scores_shown

    def action_tables(self) -> None:
        self.scores_shown = not self.scores_shown
        self._tables()

    def redraw(self) -> None:
        self.update_from(self.state)

    def on_screen_resume(self) -> None:
        # Back from the help screen: a round that arrived meanwhile is drawn now (nothing, if none did).
        self.update_from(self.state)

    def update_from(self, state: RunState) -> None:
        key = (id(state.evaluations[-1]) if state.evaluations else None, state.task)
        if key == self._drawn:  # nothing new since the last round: no redraw, no time taken from training
            return
        self._drawn = key
        block = None if state.regression else round_block(state)
        # Lines and a table of unchanged shape skip the screen's layout pass: a round's redraw stays cheap.
        self.query_one("#unc-head", Lines).show(head_text(state))
        self._diagrams(block)
        self._plot(block)
        shape = block is not None and (len(block.scores), block.ood is not None, len(block.methods))
        self.query_one("#unc-methods", Static).update(
            methods_table(block) if block and block.methods else "", layout=shape != self._table_shape
        )
        self.query_one("#unc-table", Static).update(
            score_table(block) if block else "", layout=shape != self._table_shape
        )
        self._table_shape = shape
        self._tables()
        self.query_one("#unc-decomposition", Lines).show(decomposition_line(block) if block else "")
        modes = state.latest_modes
        caption = " ".join(filter(None, (methods_sentence(block), uncertainty_caption(block, modes))))
        self.query_one("#unc-caption", Lines).show(caption if block else "")

    def _diagrams(self, block: UncertaintyBlock | None) -> None:
        reliability = block.reliability if block is not None else {}
        for which, diagram in zip((INFERENCE.name, self.method), self.query(ReliabilityDiagram)):
            diagram.show(reliability.get(which))
        self._titles()

    def action_method(self, step: int) -> None:
        """The second reliability diagram shows the next method of the round (dropout off stays on the left)."""
        block = None if self.state.regression else round_block(self.state)
        names = [name for name in (block.reliability if block else {}) if name != INFERENCE.name]
        if not names:
            return
        at = names.index(self.method) if self.method in names else -step
        self.method = names[(at + step) % len(names)]
        self._diagrams(block)

    def _titles(self) -> None:
        block = None if self.state.regression else round_block(self.state)
        reliability = block.reliability if block is not None else {}
        shown = block.methods.get(self.method) if block is not None else None
        second = method_label(self.method, shown.passes if shown else None)
        off = inference_label(self.state)  # training=False when an always-on layer keeps it random
        for pane_id, which, name in ((INFERENCE.name, INFERENCE.name, off), ("method", self.method, second)):
            pane = self.query_one(f"#unc-rel-{pane_id}")
            wide = pane.size.width >= 40
            titles = (f"Reliability: {name}", name, method_label(which), BY_METHOD[which].short)  # longest that fits
            pane.border_title = next((t for t in titles if len(t) + 6 <= pane.size.width), titles[-1])
            pane.border_subtitle = calibration_note(reliability.get(which), wide)
        risk = self.query_one("#unc-risk")
        long = "Risk (error rate) vs coverage, surest answered first"
        risk.border_title = long if risk.size.width >= len(long) + 6 else "Risk vs coverage"

    def _plot(self, uncertainty: UncertaintyBlock | None) -> None:
        plot = self.query_one(RiskPlot)
        plot.clear()
        series = risk_series(uncertainty)
        curves = []
        for key, coverage, risk, _ in series:
            marked = [(c, r) for c, r in zip(coverage, risk) if round(c, 6) in MARKED_COVERAGES]
            marks = ([c for c, _ in marked], [r for _, r in marked])
            curves.append(Curve(coverage, risk, *score_registry.BY_NAME[key].style, marks=marks))
        plot.draw_curves(curves)
        highest = max([0.0] + [r for _, _, risk, _ in series for r in risk])
        plot.set_xlimits(0, 1.02)
        plot.set_y_range(0, max(highest, 0.01))
        self._series = tuple(series)
        self._legend()

    def _legend(self) -> None:
        """AURC per curve under the chart: with the scores' names where they fit on one line."""
        legend = self.query_one("#unc-risk-legend", Static)
        width = legend.size.width or 30
        spec = ranked_spec(aurc for *_, aurc in self._series)  # four AURCs of 0.001 must still rank
        for named in (True, False):
            text = Text("AURC", style="bold")
            for key, _, _, aurc in self._series:
                text.append(" ")
                text.append(*score_registry.BY_NAME[key].style)
                shown = num(aurc, spec)
                text.append(f"{label(key)} {shown}" if named else shown.replace("0.", ".", 1))
            if text.cell_len <= width:
                break
        legend.update(text if self._series else "")

    def help_content(self) -> tuple[str, RenderableType, tuple[str, ...]]:
        """What `?` shows over this screen: its keys and a glossary of every figure it shows."""
        from dropout_tui.tui.glossary import UNCERTAINTY_TERMS
        from dropout_tui.tui.screens.help import keys_line

        return "Uncertainty: keys and terms", Text(keys_line(UNCERTAINTY)), UNCERTAINTY_TERMS

    def action_export(self) -> None:
        from dropout_tui.tui.app import DropoutApp

        if isinstance(self.app, DropoutApp):  # the app that opens this screen: it exports the run's results
            self.app.export_results(prefix="dropout-tui-uncertainty")

    def action_close(self) -> None:
        self.dismiss()
