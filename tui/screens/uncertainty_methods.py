"""The Uncertainty screen's answer to "is MC dropout worth T passes?": the methods table and its sentence.

Both read the engine's uncertainty block: ``methods`` (one row per method) and ``comparisons`` (the
paired-bootstrap verdicts, engine/evaluation/methods.py), so "better" on screen is the engine's verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from dropout_tui.engine.evaluation.methods import BY_NAME, METHOD_NAMES
from dropout_tui.engine.evaluation.modes import INFERENCE
from dropout_tui.tui.fmt import finite, num

# (title, key, higher is better): the header's second line says which way is good.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("acc", "accuracy", True),
    ("NLL", "nll", False),
    ("ECE", "ece", False),
    ("AUROC", "auroc_error", True),
    ("AURC", "aurc", False),
    ("passes", "passes", False),
)
WORDS = {"ece": ("calibrates", "ECE"), "nll": ("fits the labels", "NLL")}


def method_label(name: str, entry: dict | None = None) -> str:
    """The engine's label for a method, with its cost: "MC dropout (30 passes)", "temperature (1 pass)"."""
    passes = (entry or {}).get("passes")
    if not isinstance(passes, int):
        return BY_NAME[name].label
    return f"{BY_NAME[name].label} ({passes} pass{'' if passes == 1 else 'es'})"


def methods_table(uncertainty: dict | None) -> Table:
    """One row per method in the engine's order; the best of each figure in bold (passes: the cheapest)."""
    methods = (uncertainty or {}).get("methods") or {}
    names = [name for name in METHOD_NAMES if name in methods]
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold underline")
    table.add_column("method\nbetter:", no_wrap=True)
    for title, _, higher in COLUMNS:
        table.add_column(f"{title}\n{direction(higher)}", justify="right", no_wrap=True)
    shown_columns = []
    for _, key, higher in COLUMNS:
        shown = {name: _cell(methods[name].get(key)) for name in names}
        known = {name: v for name in names if (v := finite(methods[name].get(key))) is not None}
        best = None
        if len(set(known.values())) > 1:
            pick: Callable = max if higher else min
            best = shown[pick(known, key=known.get)]
        shown_columns.append((shown, best))
    for name in names:
        cells = [Text(BY_NAME[name].label)]
        cells += [Text(shown[name], style="bold" if shown[name] == best else "") for shown, best in shown_columns]
        table.add_row(*cells)
    return table


def direction(higher: bool) -> str:
    return "higher" if higher else "lower"


def _cell(value: object) -> str:
    return str(value) if isinstance(value, int) else num(finite(value))


def comparison_sentence(entry: dict, methods: dict) -> str | None:
    """One verdict in words: "MC dropout (30 passes) calibrates better than temperature (1 pass): ECE ..."."""
    a, b, metric, verdict = entry.get("a"), entry.get("b"), entry.get("metric"), entry.get("verdict")
    first, second = finite(entry.get("a_value")), finite(entry.get("b_value"))
    if (
        verdict is None
        or first is None
        or second is None
        or metric not in WORDS
        or a not in BY_NAME
        or b not in BY_NAME
    ):
        return None
    verb, figure = WORDS[metric]
    a_label, b_label = method_label(a, methods.get(a)), method_label(b, methods.get(b))
    values = f"{figure} {first:.3f} vs {second:.3f}"
    if verdict == "indistinguishable":
        cost = _cost(methods.get(a), methods.get(b))
        return f"{a_label} is indistinguishable from {b_label} in {figure} ({first:.3f} vs {second:.3f}){cost}"
    if verdict == "better":
        return f"{a_label} {verb} better than {b_label}: {values}, a gap beyond noise"
    return f"{b_label} {verb} better than {a_label}: {figure} {second:.3f} vs {first:.3f}, a gap beyond noise"


def _cost(costly: dict | None, cheap: dict | None) -> str:
    more, fewer = (costly or {}).get("passes"), (cheap or {}).get("passes")
    if isinstance(more, int) and isinstance(fewer, int) and more > fewer:
        return f", at {fewer}/{more} of the cost" if fewer > 1 else f", at 1/{more} of the cost"
    return ""


def methods_sentence(uncertainty: dict | None) -> str:
    """The calibration verdicts (ECE) of each compared pair, in the engine's order, as sentences."""
    methods = (uncertainty or {}).get("methods") or {}
    entries = [e for e in (uncertainty or {}).get("comparisons") or [] if e.get("metric") == "ece"]
    if entries and entries[0].get("b") == "temperature_scaled":
        entries = [e for e in entries if e.get("b") != INFERENCE.name]  # against temperature is the question
    sentences = [s for e in entries if (s := comparison_sentence(e, methods))]
    text = "; ".join(sentences)
    return (text[:1].upper() + text[1:] + ".") if text else ""
