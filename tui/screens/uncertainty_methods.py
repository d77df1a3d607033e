"""The Uncertainty screen's answer to "is MC dropout worth T passes?": the methods table and its sentence.

Both read the engine's uncertainty block: ``methods`` (one row per method) and ``comparisons`` (the
paired-bootstrap verdicts, engine/evaluation/methods.py), so "better" on screen is the engine's verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from dropout_tui.engine.evaluation.block import Comparison, MethodResult, UncertaintyBlock
from dropout_tui.engine.evaluation.methods import BY_NAME, METHOD_NAMES
from dropout_tui.engine.evaluation.modes import INFERENCE
from dropout_tui.tui.fmt import num

# (title, figure, higher is better): the header's second line says which way is good.
COLUMNS: tuple[tuple[str, Callable[[MethodResult], float | None], bool], ...] = (
    ("acc", lambda method: method.accuracy, True),
    ("NLL", lambda method: method.nll, False),
    ("ECE", lambda method: method.ece, False),
    ("AUROC", lambda method: method.auroc_error, True),
    ("AURC", lambda method: method.aurc, False),
    ("passes", lambda method: method.passes, False),
)
WORDS = {"ece": ("calibrates", "ECE"), "nll": ("fits the labels", "NLL")}


def method_label(name: str, passes: object = None) -> str:
    """The engine's label for a method, with its cost: "MC dropout (30 passes)", "temperature (1 pass)"."""
    if not isinstance(passes, int):  # absent, or not a count (regression rows are read as JSON)
        return BY_NAME[name].label
    return f"{BY_NAME[name].label} ({passes} pass{'' if passes == 1 else 'es'})"


def methods_table(block: UncertaintyBlock) -> Table:
    """One row per method in the engine's order; the best of each figure in bold (passes: the cheapest)."""
    methods = block.methods
    names = [name for name in METHOD_NAMES if name in methods]
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("method\nbetter:", no_wrap=True)
    for title, _, higher in COLUMNS:
        table.add_column(f"{title}\n{direction(higher)}", justify="right", no_wrap=True)
    shown_columns = []
    for _, figure, higher in COLUMNS:
        shown = {name: _cell(figure(methods[name])) for name in names}
        known = {name: value for name in names if (value := figure(methods[name])) is not None}
        best = None
        if len(set(known.values())) > 1:
            pick = max if higher else min
            best = shown[pick(known, key=lambda name: known[name])]
        shown_columns.append((shown, best))
    for name in names:
        cells = [Text(BY_NAME[name].label)]
        cells += [Text(shown[name], style="bold" if shown[name] == best else "") for shown, best in shown_columns]
        table.add_row(*cells)
    return table


def direction(higher: bool) -> str:
    return "higher" if higher else "lower"


def _cell(value: float | None) -> str:
    return str(value) if isinstance(value, int) else num(value)


def comparison_sentence(entry: Comparison, methods: dict[str, MethodResult]) -> str | None:
    """One verdict in words: "MC dropout (30 passes) calibrates better than temperature (1 pass): ECE ..."."""
    a, b, metric, verdict = entry.a, entry.b, entry.metric, entry.verdict
    first, second = entry.a_value, entry.b_value
    if verdict is None or first is None or second is None or metric not in WORDS:
        return None
    if a not in BY_NAME or b not in BY_NAME:  # a method this version does not know (a newer recording)
        return None
    verb, figure = WORDS[metric]
    costly, cheap = methods.get(a), methods.get(b)
    a_label = method_label(a, costly.passes if costly else None)
    b_label = method_label(b, cheap.passes if cheap else None)
    values = f"{figure} {first:.3f} vs {second:.3f}"
    if verdict == "indistinguishable":
        cost = _cost(costly, cheap)
        return f"{a_label} is indistinguishable from {b_label} in {figure} ({first:.3f} vs {second:.3f}){cost}"
    if verdict == "better":
        return f"{a_label} {verb} better than {b_label}: {values}, a gap beyond noise"
    return f"{b_label} {verb} better than {a_label}: {figure} {second:.3f} vs {first:.3f}, a gap beyond noise"


def _cost(costly: MethodResult | None, cheap: MethodResult | None) -> str:
    more, fewer = costly.passes if costly else None, cheap.passes if cheap else None
    if more is not None and fewer is not None and more > fewer:
        return f", at {fewer}/{more} of the cost" if fewer > 1 else f", at 1/{more} of the cost"
    return ""


def methods_sentence(block: UncertaintyBlock | None) -> str:
    """The calibration verdicts (ECE) of each compared pair, in the engine's order, as sentences."""
    if block is None:
        return ""
    entries = [entry for entry in block.comparisons if entry.metric == "ece"]
    if entries and entries[0].b == "temperature_scaled":
        entries = [entry for entry in entries if entry.b != INFERENCE.name]  # against temperature is the question
    sentences = [sentence for entry in entries if (sentence := comparison_sentence(entry, block.methods))]
    text = "; ".join(sentences)
    return (text[:1].upper() + text[1:] + ".") if text else ""
