"""A reliability diagram drawn in text: per confidence bin a bar of its accuracy, the over-confidence gap shaded,
the diagonal dotted, the confidence histogram below (the Uncertainty screen's two left panes)."""

from __future__ import annotations

import math

from rich.text import Text
from textual.widget import Widget

from dropout_tui.engine.evaluation.block import Reliability, ReliabilityBin
from dropout_tui.tui.fmt import SPARK_CHARS

BAR, GAP, EXCESS, DIAGONAL = "dodger_blue1", "red3", "green3", "grey62"

RELIABILITY_KEYS = (
    ("█", BAR, "acc≤conf "),
    ("█", EXCESS, "under-confident "),
    ("░", GAP, "over-confident "),
    ("·", DIAGONAL, "ideal"),
)
SHORT_KEYS = (("█", BAR, "acc≤conf "), ("█", EXCESS, ">conf "), ("░", GAP, "over "), ("·", DIAGONAL, "ideal"))


def reliability_text(reliability: Reliability | None, width: int, height: int) -> Text:
    """A reliability diagram in text: per confidence bin a bar of its accuracy, in one colour up to the bin's
    confidence and in another above it (under-confident), the gap up to a higher confidence shaded
    (over-confident), the diagonal (accuracy = confidence) as dots where no bar covers it; below, the confidence
    histogram (samples per bin) and, with room, what the colours mean."""
    bins = reliability.bins if reliability is not None else ()
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
    counts = [b.count for b in bins]
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


def _cell(b: ReliabilityBin, level: int, rows: int) -> tuple[str, str]:
    """One cell of a bin's column: ``level`` counts rows from the bottom; each row is 1/rows of accuracy."""
    accuracy, confidence = b.accuracy, b.confidence
    low, high = level / rows, (level + 1) / rows
    ideal = confidence if confidence is not None else b.middle
    if accuracy is not None and round(accuracy - low, 9) > 0:
        fill = min(1.0, round((accuracy - low) * rows, 6))  # rounded: 1.0 - 0.9 must fill a tenth exactly
        return _block(fill), EXCESS if low >= ideal else BAR
    if accuracy is not None and confidence is not None and low < confidence:
        return "░", GAP  # confident beyond the accuracy: the over-confidence gap
    if low <= b.middle < high:
        return "·", DIAGONAL
    return " ", ""


def _block(fill: float) -> str:
    """A cell filled from the bottom to ``fill`` of its height, in eighths rounded up: blank at 0, full from 1."""
    if fill <= 0:
        return " "
    return SPARK_CHARS[max(0, min(len(SPARK_CHARS) - 1, math.ceil(fill * len(SPARK_CHARS)) - 1))]


class ReliabilityDiagram(Widget):
    """Draws reliability_text at whatever size it is given."""

    reliability: Reliability | None = None

    def show(self, reliability: Reliability | None) -> None:
        self.reliability = reliability
        self.refresh()

    def render(self) -> Text:
        return reliability_text(self.reliability, self.size.width, self.size.height)
