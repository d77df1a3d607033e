"""The Uncertainty screen (`c`): how good the model's uncertainty is, from the last evaluation round.

Everything comes from the engine's uncertainty block (mode_evaluation.uncertainty, docs/headless.md): the
reliability diagrams of the dropout-off and the MC prediction, the risk-coverage curves of the four scores with
their AURC, a table of error detection and selective prediction per score (and of OOD detection when the run has
OOD inputs), and a caption that says in words what the numbers show. The screen draws only when a new round
arrives, under the same rules as the modes table (tui/redraw.py: heavy panes wait for the gap between epochs).
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from dropout_tui.engine.evaluation.uncertainty import SCORES
from dropout_tui.tui.fmt import SPARK_CHARS, finite, num
from dropout_tui.tui.keys import UNCERTAINTY, bindings
from dropout_tui.tui.panes.chart import Chart, Curve
from dropout_tui.tui.panes.footer import Footer
from dropout_tui.tui.panes.lines import Lines
from dropout_tui.tui.panes.styles import SCORE_STYLES
from dropout_tui.tui.redraw import MODES
from dropout_tui.tui.run_state import RunState

# The engine's scores (engine/evaluation/uncertainty.py SCORES, whose order the screen keeps), as the screen
# names them; their markers and colours are SCORE_STYLES (tui/panes/styles.py).
LABELS = {"max_prob": "max-prob", "mc_max_prob": "MC max-prob", "entropy": "entropy", "mutual_information": "MI"}
MARKED_COVERAGES = (0.5, 0.8, 0.9)  # the table's columns: markers there tell the curves apart under NO_COLOR
BAR, GAP, EXCESS, DIAGONAL = "dodger_blue1", "red3", "green3", "grey62"
REGRESSION_NOTE = "regression runs have no uncertainty block: calibration and OOD are for classifiers"


# ---------------------------------------------------------------- words and numbers (unit-tested)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _pair(a: float, b: float) -> tuple[str, str]:
    """Two AUROCs to two decimals, or three where two would make them look equal."""
    spec = ".2f" if f"{a:.2f}" != f"{b:.2f}" else ".3f"
    return format(a, spec), format(b, spec)


def _accuracy_at(entry: dict, coverage: str) -> float | None:
    return finite((entry.get("accuracy_at_coverage") or {}).get(coverage))


def base_accuracy(score: str, entry: dict, modes: dict) -> float | None:
    """The accuracy of the prediction a score accompanies (max-prob: dropout off; the others: the MC mean),
    from the modes of the same round, else from the score's own curve at coverage 1."""
    mode = "inference" if score == "max_prob" else "mc"
    accuracy = finite((modes.get(mode) or {}).get("accuracy"))
    if accuracy is not None:
        return accuracy
    curve = entry.get("curve") or []
    if curve and finite(curve[-1][0]) == 1.0 and finite(curve[-1][1]) is not None:
        return 1.0 - curve[-1][1]
    return None


def _best(values: dict[str, float], higher: bool = True) -> str | None:
    """The best score (ties: the first in SCORES order, the engine's)."""
    if not values:
        return None
    target = max(values.values()) if higher else min(values.values())
    return next(key for key in SCORES if values.get(key) == target)


def selective_sentence(scores: dict, modes: dict) -> str | None:
    """Rejecting the 10% least sure: which score keeps the most accurate 90%, and what it gains."""
    at90 = {name: a for name, entry in scores.items() if (a := _accuracy_at(entry, "0.9")) is not None}
    if not at90:
        return None
    top = max(at90.values())
    tied = {name: finite(scores[name].get("aurc")) for name, value in at90.items() if value == top}
    # Equal accuracy on the surest 90%: the lower AURC (the better ranking overall) names the score.
    ranked = {name: aurc for name, aurc in tied.items() if aurc is not None}
    best = _best(ranked, higher=False) if ranked else _best(dict.fromkeys(tied, 0.0))
    label, after = LABELS.get(best, best), at90[best]
    which = "dropout-off" if best == "max_prob" else "MC"
    before = base_accuracy(best, scores[best], modes)
    if before is None:
        return f"keeping the 90% with the lowest {label} gives {which} accuracy {_pct(after)}"
    if round(after, 3) > round(before, 3):
        verb = "lifts"
    elif round(after, 3) < round(before, 3):
        verb = "lowers"
    else:
        return f"rejecting the 10% with the highest {label} leaves {which} accuracy at {_pct(before)}"
    return f"rejecting the 10% with the highest {label} {verb} {which} accuracy from {_pct(before)} to {_pct(after)}"


def _separation(values: dict[str, float], what: str) -> str:
    """Which score separates best, against max-prob (the plain softmax) or, when max-prob is best, the runner-up."""
    best = _best(values)
    label = LABELS[best]
    rival = "max_prob" if best != "max_prob" and "max_prob" in values else None
    if rival is None:
        others = {name: value for name, value in values.items() if name != best}
        if not others:
            return f"{label} separates {what} with AUROC {values[best]:.2f}"
        rival = _best(others)
    high, low = _pair(values[best], values[rival])
    if high == low:  # equal to three decimals: no winner to name
        return f"{label} and {LABELS[rival]} separate {what} equally well: AUROC {high}"
    if rival == "max_prob":
        return f"{label} separates {what} better than max-prob: AUROC {high} vs {low}"
    return f"{label} separates {what} best: AUROC {high} vs {LABELS[rival]} {low}"


def _values(entries: dict, key: str) -> dict[str, float]:
    """Score -> one finite number of its entry (the known scores only)."""
    values = {name: finite((entry or {}).get(key)) for name, entry in entries.items() if name in LABELS}
    return {name: value for name, value in values.items() if value is not None}


def detection_sentence(scores: dict, modes: dict) -> str | None:
    aurocs = _values(scores, "auroc_error")
    if aurocs:
        return _separation(aurocs, "errors")
    if not scores:
        return None
    # No AUROC: the round had only one kind of outcome (every prediction right, or every one wrong).
    accuracies = [base_accuracy(name, entry, modes) for name, entry in scores.items()]
    if accuracies and all(a == 1.0 for a in accuracies):
        return "every test prediction is right: there are no errors to find (AUROC undefined)"
    if accuracies and all(a == 0.0 for a in accuracies):
        return "every test prediction is wrong: no score can rank errors below right answers (AUROC undefined)"
    return "AUROC undefined: errors or right answers are missing"


def ood_sentence(ood: dict | None) -> str | None:
    if not ood:
        return None
    aurocs = _values(ood.get("scores") or {}, "auroc")
    if not aurocs:
        return None
    return _separation(aurocs, f"OOD inputs ({ood.get('source', '?')})")


def confidence_gap(reliability: dict | None) -> float | None:
    """Mean confidence minus accuracy over the test set (count-weighted bins): > 0 over-confident."""
    bins = [b for b in (reliability or {}).get("bins") or [] if b.get("count")]
    pairs = [(b["count"], finite(b.get("confidence")), finite(b.get("accuracy"))) for b in bins]
    pairs = [(n, c, a) for n, c, a in pairs if c is not None and a is not None]
    total = sum(n for n, _, _ in pairs)
    return sum(n * (c - a) for n, c, a in pairs) / total if total else None


def _direction(gap: float | None) -> str | None:
    if gap is None:
        return None
    return "calibrated" if abs(gap) < 0.005 else ("over-confident" if gap > 0 else "under-confident")


def calibration_sentence(reliability: dict | None) -> str | None:
    """How MC dropout changes calibration (ECE), and which way each prediction errs."""
    reliability = reliability or {}
    off, mc = reliability.get("inference"), reliability.get("mc")
    ece_off, ece_mc = finite((off or {}).get("ece")), finite((mc or {}).get("ece"))
    side_off, side_mc = _direction(confidence_gap(off)), _direction(confidence_gap(mc))
    sides = ""
    if side_off and side_mc:
        sides = f" (both {side_off})" if side_off == side_mc else f" (dropout off {side_off}, MC {side_mc})"
    if ece_off is None or ece_mc is None:
        return f"calibration{sides}" if sides else None
    if round(ece_mc, 3) == round(ece_off, 3):
        return f"MC leaves ECE at {ece_off:.3f}{sides}"
    verb = "lowers" if ece_mc < ece_off else "raises"
    return f"MC {verb} ECE from {ece_off:.3f} to {ece_mc:.3f}{sides}"


def uncertainty_caption(uncertainty: dict | None, modes: dict | None = None) -> str:
    """What the numbers show, in words, computed from the round's own numbers (tests/tui/test_uncertainty.py)."""
    if uncertainty is None:
        return "no uncertainty numbers in this round"
    scores = {name: entry for name, entry in (uncertainty.get("scores") or {}).items() if name in LABELS}
    modes = modes or {}
    parts = [
        selective_sentence(scores, modes),
        detection_sentence(scores, modes),
        ood_sentence(uncertainty.get("ood")),
        calibration_sentence(uncertainty.get("reliability")),
    ]
    text = "; ".join(part for part in parts if part)
    return (text[:1].upper() + text[1:] + ".") if text else "no score has numbers in this round"


def decomposition_line(uncertainty: dict | None) -> str:
    parts = (uncertainty or {}).get("decomposition") or {}
    total, aleatoric, epistemic = (finite(parts.get(k)) for k in ("entropy", "expected_entropy", "mutual_information"))
    return f"mean entropy {num(total)} nats = aleatoric {num(aleatoric)} + epistemic (MI) {num(epistemic)}"


def calibration_note(reliability: dict | None, wide: bool) -> str:
    """ECE; with room, MCE, ACE and whether the prediction is over- or under-confident overall."""
    if not reliability:
        return ""
    if not wide:
        return f"ECE {num(reliability.get('ece'))}"
    parts = [f"{name} {num(reliability.get(name.lower()))}" for name in ("ECE", "MCE", "ACE")]
    side = _direction(confidence_gap(reliability))
    return " · ".join(parts + ([side] if side else []))


RELIABILITY_KEYS = (
    ("█", BAR, "acc≤conf "),
    ("█", EXCESS, "under-confident "),
    ("░", GAP, "over-confident "),
    ("·", DIAGONAL, "ideal"),
)
SHORT_KEYS = (("█", BAR, "acc≤conf "), ("█", EXCESS, ">conf "), ("░", GAP, "over "), ("·", DIAGONAL, "ideal"))


def reliability_text(reliability: dict | None, width: int, height: int) -> Text:
    """A reliability diagram in text: per confidence bin a bar of its accuracy, in one colour up to the bin's
    confidence and in another above it (under-confident), the gap up to a higher confidence shaded
    (over-confident), the diagonal (accuracy = confidence) as dots where no bar covers it; below, the confidence
    histogram (samples per bin) and, with room, what the colours mean."""
    bins = (reliability or {}).get("bins") or []
    if not bins or width < 6 or height < 4:
        return Text("waiting for the first evaluation" if not bins else "")
    step = max(1, (width - 3) // len(bins))
    bar = step - 1 if step >= 3 else step
    keys = next((k for k in (RELIABILITY_KEYS, SHORT_KEYS) if sum(len(g + t) for g, _, t in k) <= width - 3), None)
    keys = keys if height >= 14 else None
    histogram = 1 if height < 20 else 3
    rows = max(2, height - 1 - histogram - (keys is not None))
    text = Text()
    for row in range(rows):  # row 0 is the top: it covers accuracy ((rows-1)/rows, 1]
        level = rows - 1 - row
        label = "1" if row == 0 else (".5" if row == rows // 2 else ("0" if row == rows - 1 else ""))
        text.append(f"{label:>2}│", style="dim")
        for b in bins:
            glyph, style = _cell(b, level, rows)
            text.append(glyph * bar, style=style)
            text.append(" " * (step - bar))
        text.append("\n")
    counts = [b.get("count") or 0 for b in bins]
    most = max(counts) or 1
    for row in range(histogram):
        text.append(" n│" if row == histogram - 1 else "  │", style="dim")
        level = histogram - 1 - row
        for count in counts:
            fill = count / most * histogram - level
            text.append(_block(fill) * bar, style=DIAGONAL)
            text.append(" " * (step - bar))
        text.append("\n")
    span = step * len(bins)
    middle = "confidence" if span >= 16 else "conf"
    axis = "0" + middle.center(span - 2) + "1"
    text.append("   " + axis[:span], style="dim")
    if keys:
        text.append("\n   ")
        for glyph, style, words in keys:
            text.append(glyph, style=style)
            text.append(words, style="dim")
    return text


def _cell(b: dict, level: int, rows: int) -> tuple[str, str]:
    """One cell of a bin's column: ``level`` counts rows from the bottom; each row is 1/rows of accuracy."""
    accuracy, confidence = finite(b.get("accuracy")), finite(b.get("confidence"))
    low, high = level / rows, (level + 1) / rows
    ideal = confidence if confidence is not None else (b["lo"] + b["hi"]) / 2
    if accuracy is not None and round(accuracy - low, 9) > 0:
        fill = min(1.0, round((accuracy - low) * rows, 6))  # rounded: 1.0 - 0.9 must fill a tenth exactly
        return _block(fill), EXCESS if low >= ideal else BAR
    if accuracy is not None and confidence is not None and low < confidence:
        return "░", GAP  # confident beyond the accuracy: the over-confidence gap
    if low <= (b["lo"] + b["hi"]) / 2 < high:
        return "·", DIAGONAL
    return " ", ""


def _block(fill: float) -> str:
    """A cell filled from the bottom to ``fill`` of its height, in eighths rounded up: blank at 0, full from 1."""
    if fill <= 0:
        return " "
    return SPARK_CHARS[max(0, min(len(SPARK_CHARS) - 1, math.ceil(fill * len(SPARK_CHARS)) - 1))]


def score_table(uncertainty: dict | None) -> Table:
    """Per score: error detection (AUROC), selective prediction (AURC, accuracy on the surest 50/80/90%) and,
    with OOD inputs, OOD detection (AUROC, AUPR, FPR at 95% recall). The best of each column in bold."""
    uncertainty = uncertainty or {}
    scores = uncertainty.get("scores") or {}
    ood = (uncertainty.get("ood") or {}).get("scores") or {}
    columns = [
        ("err AUROC", lambda s, o: finite(s.get("auroc_error")), True, ".3f"),
        ("AURC", lambda s, o: finite(s.get("aurc")), False, ".3f"),
        ("acc@50%", lambda s, o: _accuracy_at(s, "0.5"), True, "%"),
        ("acc@80%", lambda s, o: _accuracy_at(s, "0.8"), True, "%"),
        ("acc@90%", lambda s, o: _accuracy_at(s, "0.9"), True, "%"),
    ]
    if ood:
        columns += [
            ("OOD AUROC", lambda s, o: finite(o.get("auroc")), True, ".3f"),
            ("AUPR", lambda s, o: finite(o.get("aupr")), True, ".3f"),
            ("FPR95", lambda s, o: finite(o.get("fpr95")), False, ".3f"),
        ]
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("score", no_wrap=True)
    for title, *_ in columns:
        table.add_column(title, justify="right", no_wrap=True)
    names = [key for key in SCORES if key in scores]
    columns_shown = []
    for _, get, higher, spec in columns:
        values = {name: get(scores[name], ood.get(name) or {}) for name in names}
        shown = {name: _pct(v).removesuffix("%") if spec == "%" else num(v, spec) for name, v in values.items()}
        known = {name: v for name, v in values.items() if v is not None}
        best = None
        if len(known) > 1:  # bold: every score that shows the best value (ties as they read, not as stored)
            best = shown[max(known, key=known.get) if higher else min(known, key=known.get)]
        columns_shown.append((shown, best))
    for name in names:
        cells = [Text.assemble(SCORE_STYLES[name], " ", LABELS[name])]
        cells += [Text(shown[name], style="bold" if shown[name] == best else "") for shown, best in columns_shown]
        table.add_row(*cells)
    return table


def head_text(state: RunState) -> str:
    uncertainty = state.uncertainty
    if state.regression:
        return REGRESSION_NOTE
    if uncertainty is None:
        if state.evaluations:
            return "this run's evaluations carry no uncertainty block (recorded before it existed?)"
        return "waiting for the first evaluation (after epoch 1)"
    n = state.started.n_test if state.started else None
    parts = [f"after epoch {state.evaluations[-1].epoch}", f"{n} test samples" if n else ""]
    parts.append(f"MC T={round_samples(state)}")
    ood = uncertainty.get("ood")
    parts.append(f"OOD: {ood.get('source')}, {ood.get('n')}" if ood else "no OOD inputs (--ood adds them)")
    return "Uncertainty " + " · ".join(part for part in parts if part)


def round_samples(state: RunState) -> int:
    """T of the round shown (the modes' MC entry), not a T that t/T asked for since."""
    samples = (state.latest_modes.get("mc") or {}).get("samples")
    return samples if isinstance(samples, int) else state.samples


def risk_series(uncertainty: dict | None) -> list[tuple[str, list[float], list[float], float | None]]:
    """Per score: (name, coverages, risks, AURC) from the engine's curve, non-finite points left out."""
    out = []
    for key in SCORES:
        entry = ((uncertainty or {}).get("scores") or {}).get(key)
        if not entry:
            continue
        points = [(finite(c), finite(r)) for c, r in entry.get("curve") or []]
        points = [(c, r) for c, r in points if c is not None and r is not None]
        out.append((key, [c for c, _ in points], [r for _, r in points], finite(entry.get("aurc"))))
    return out


# ---------------------------------------------------------------- widgets


class ReliabilityDiagram(Widget):
    """Draws reliability_text at whatever size it is given."""

    reliability: dict | None = None

    def show(self, reliability: dict | None) -> None:
        self.reliability = reliability
        self.refresh()

    def render(self) -> Text:
        return reliability_text(self.reliability, self.size.width, self.size.height)


class RiskPlot(Chart):
    """Risk (the error rate among the answered) against coverage, one curve per score."""


class UncertaintyScreen(Screen[None]):
    """Reliability diagrams, risk-coverage curves, the score table and the caption, from the last round."""

    BINDINGS = bindings(UNCERTAINTY)
    draws: ClassVar[frozenset[str]] = frozenset({MODES})  # a new round's news, as the modes table's
    _drawn: object = None
    _series: tuple = ()
    _table_shape: object = None

    def compose(self) -> ComposeResult:
        yield Lines("", id="unc-head")
        with Horizontal(id="unc-charts"):
            with Vertical(id="unc-rel-inference", classes="unc-pane"):
                yield ReliabilityDiagram(classes="unc-diagram")
            with Vertical(id="unc-rel-mc", classes="unc-pane"):
                yield ReliabilityDiagram(classes="unc-diagram")
            with Vertical(id="unc-risk", classes="unc-pane"):
                yield RiskPlot(id="unc-risk-plot", allow_pan_and_zoom=False)
                yield Static("", id="unc-risk-legend")
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

    def on_screen_resume(self) -> None:
        # Back from the help screen: a round that arrived meanwhile is drawn now (nothing, if none did).
        self.update_from(self.state)

    def update_from(self, state: RunState) -> None:
        key = (id(state.evaluations[-1]) if state.evaluations else None, state.task)
        if key == self._drawn:  # nothing new since the last round: no redraw, no time taken from training
            return
        self._drawn = key
        uncertainty = None if state.regression else state.uncertainty
        # Lines and a table of unchanged shape skip the screen's layout pass: a round's redraw stays cheap.
        self.query_one("#unc-head", Lines).show(head_text(state))
        reliability = (uncertainty or {}).get("reliability") or {}
        for which, diagram in zip(("inference", "mc"), self.query(ReliabilityDiagram)):
            diagram.show(reliability.get(which))
        self._titles()
        self._plot(uncertainty)
        shape = bool(uncertainty) and (len(uncertainty.get("scores") or {}), bool(uncertainty.get("ood")))
        self.query_one("#unc-table", Static).update(
            score_table(uncertainty) if uncertainty else "", layout=shape != self._table_shape
        )
        self._table_shape = shape
        self.query_one("#unc-decomposition", Lines).show(decomposition_line(uncertainty) if uncertainty else "")
        modes = state.latest_modes
        self.query_one("#unc-caption", Lines).show(uncertainty_caption(uncertainty, modes) if uncertainty else "")

    def _titles(self) -> None:
        uncertainty = None if self.state.regression else self.state.uncertainty
        reliability = (uncertainty or {}).get("reliability") or {}
        for which, name in (("inference", "dropout off"), ("mc", f"MC (T={round_samples(self.state)})")):
            pane = self.query_one(f"#unc-rel-{which}")
            wide = pane.size.width >= 40
            pane.border_title = f"Reliability: {name}" if pane.size.width >= 28 else name
            pane.border_subtitle = calibration_note(reliability.get(which), wide)
        risk = self.query_one("#unc-risk")
        long = "Risk (error rate) vs coverage, surest answered first"
        risk.border_title = long if risk.size.width >= len(long) + 6 else "Risk vs coverage"

    def _plot(self, uncertainty: dict | None) -> None:
        plot = self.query_one(RiskPlot)
        plot.clear()
        series = risk_series(uncertainty)
        curves = []
        for key, coverage, risk, _ in series:
            marked = [(c, r) for c, r in zip(coverage, risk) if round(c, 6) in MARKED_COVERAGES]
            marks = ([c for c, _ in marked], [r for _, r in marked])
            curves.append(Curve(coverage, risk, *SCORE_STYLES[key], marks=marks))
        plot.draw_curves(curves)
        highest = max([0.0] + [r for _, _, risk, _ in series for r in risk])
        plot.set_xlimits(0, 1.02)
        plot.set_ylimits(0, max(highest * 1.1, 0.01))
        self._series = tuple(series)
        self._legend()

    def _legend(self) -> None:
        """AURC per curve under the chart: with the scores' names where they fit on one line."""
        legend = self.query_one("#unc-risk-legend", Static)
        width = legend.size.width or 30
        for named in (True, False):
            text = Text("AURC", style="bold")
            for key, _, _, aurc in self._series:
                text.append(" ")
                text.append(*SCORE_STYLES[key])
                text.append(f"{LABELS[key]} {num(aurc)}" if named else num(aurc).replace("0.", ".", 1))
            if text.cell_len <= width:
                break
        legend.update(text if self._series else "")

    def action_export(self) -> None:
        self.app.export_results(prefix="dropout-tui-uncertainty")  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.dismiss()
