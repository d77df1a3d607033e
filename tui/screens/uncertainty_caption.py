"""The Uncertainty screen's words: what the round's numbers show, said in sentences computed from them.

Everything reads the engine's uncertainty block (mode_evaluation.uncertainty, docs/headless.md); the screen
(tui/screens/uncertainty.py) places these sentences under its charts and table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from dropout_tui.engine.evaluation import scores as score_registry
from dropout_tui.engine.evaluation.block import (
    Decomposition,
    Ood,
    OodResult,
    Reliability,
    ScoreResult,
    UncertaintyBlock,
)
from dropout_tui.engine.evaluation.modes import INFERENCE, MC
from dropout_tui.engine.evaluation.scores import MAX_PROB
from dropout_tui.tui.fmt import finite, num

E = TypeVar("E")


def label(name: str) -> str:
    """The screen's name for a score (its registry row's label; an unknown name as it is)."""
    row = score_registry.BY_NAME.get(name)
    return row.label if row else name


def known(entries: Mapping[str, E]) -> dict[str, E]:
    """The entries of the registered scores (the engine's score registry, engine/evaluation/scores.py)."""
    return {name: entry for name, entry in entries.items() if name in score_registry.BY_NAME}


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _pair(a: float, b: float) -> tuple[str, str]:
    """Two AUROCs to two decimals, or three where two would make them look equal."""
    spec = ".2f" if f"{a:.2f}" != f"{b:.2f}" else ".3f"
    return format(a, spec), format(b, spec)


def base_accuracy(score: str, entry: ScoreResult, modes: dict) -> float | None:
    """The accuracy of the prediction a score accompanies (max-prob: dropout off; the others: the MC mean),
    from the modes of the same round, else from the score's own curve at coverage 1."""
    mode = score_registry.BY_NAME[score].judged.name
    accuracy = finite((modes.get(mode) or {}).get("accuracy"))
    if accuracy is not None:
        return accuracy
    curve = entry.curve
    if curve and curve[-1][0] == 1.0:
        return 1.0 - curve[-1][1]
    return None


def _best(values: dict[str, float], higher: bool = True) -> str:
    """The best of some scores' values, never none (ties: the first in the score registry's order)."""
    target = max(values.values()) if higher else min(values.values())
    return next(key for key in score_registry.SCORE_NAMES if values.get(key) == target)


def selective_sentence(scores: dict[str, ScoreResult], modes: dict) -> str | None:
    """Rejecting the 10% least sure: which score keeps the most accurate 90%, and what it gains."""
    at90 = {name: a for name, entry in scores.items() if (a := entry.accuracy_at("0.9")) is not None}
    if not at90:
        return None
    top = max(at90.values())
    tied = {name: scores[name].aurc for name, value in at90.items() if value == top}
    # Equal accuracy on the surest 90%: the lower AURC (the better ranking overall) names the score.
    ranked = {name: aurc for name, aurc in tied.items() if aurc is not None}
    best = _best(ranked, higher=False) if ranked else _best(dict.fromkeys(tied, 0.0))
    named, after = label(best), at90[best]
    which = "dropout-off" if score_registry.BY_NAME[best].judged is INFERENCE else "MC"
    before = base_accuracy(best, scores[best], modes)
    if before is None:
        return f"keeping the 90% with the lowest {named} gives {which} accuracy {pct(after)}"
    if round(after, 3) > round(before, 3):
        verb = "lifts"
    elif round(after, 3) < round(before, 3):
        verb = "lowers"
    else:
        return f"rejecting the 10% with the highest {named} leaves {which} accuracy at {pct(before)}"
    return f"rejecting the 10% with the highest {named} {verb} {which} accuracy from {pct(before)} to {pct(after)}"


def _versus(best: str, rival: str, gaps: dict | None) -> dict | None:
    """The engine's bootstrap of the pair (every score is measured against max-prob); None when not measured."""
    other = rival if best == MAX_PROB.name else best if rival == MAX_PROB.name else None
    gap = (gaps or {}).get(other) if other else None
    return gap if isinstance(gap, dict) else None


def _separation(values: dict[str, float], what: str, gaps: dict | None) -> str:
    """Which score separates best, against max-prob (the plain softmax) or, when max-prob is best, the runner-up:
    named better only when the engine's paired bootstrap (``gaps``) finds the gap beyond the test set's noise."""
    best = _best(values)
    named = label(best)
    rival = MAX_PROB.name if best != MAX_PROB.name and MAX_PROB.name in values else None
    if rival is None:
        others = {name: value for name, value in values.items() if name != best}
        if not others:
            return f"{named} separates {what} with AUROC {values[best]:.2f}"
        rival = _best(others)
    high, low = _pair(values[best], values[rival])
    gap = _versus(best, rival, gaps)
    if high == low:  # equal to three decimals: no winner to name
        return f"{named} and {label(rival)} separate {what} equally well: AUROC {high}"
    if gap is None:
        return f"{named} separates {what} with AUROC {high}, {label(rival)} {low} (noise not measured)"
    if not gap.get("distinguishable"):
        return f"{named} and {label(rival)} separate {what} alike within noise: AUROC {high} vs {low}"
    if rival == MAX_PROB.name:
        return f"{named} separates {what} better than max-prob, beyond noise: AUROC {high} vs {low}"
    return f"{named} separates {what} best, beyond noise: AUROC {high} vs {label(rival)} {low}"


def _gaps(block: UncertaintyBlock | Ood | None, key: str) -> dict | None:
    return block.gaps.get(key) if block is not None else None


def _values(entries: Mapping[str, ScoreResult] | Mapping[str, OodResult], key: str) -> dict[str, float]:
    """Score -> one number of its entry (the known scores, where it is known)."""
    values = {name: getattr(entry, key) for name, entry in known(entries).items()}
    return {name: value for name, value in values.items() if value is not None}


def detection_sentence(scores: dict[str, ScoreResult], modes: dict, gaps: dict | None = None) -> str | None:
    aurocs = _values(scores, "auroc_error")
    if aurocs:
        return _separation(aurocs, "errors", gaps)
    if not scores:
        return None
    # No AUROC: the round had only one kind of outcome (every prediction right, or every one wrong).
    accuracies = [base_accuracy(name, entry, modes) for name, entry in scores.items()]
    if accuracies and all(a == 1.0 for a in accuracies):
        return "every test prediction is right: there are no errors to find (AUROC undefined)"
    if accuracies and all(a == 0.0 for a in accuracies):
        return "every test prediction is wrong: no score can rank errors below right answers (AUROC undefined)"
    return "AUROC undefined: errors or right answers are missing"


def ood_sentence(ood: Ood | None) -> str | None:
    if ood is None:
        return None
    aurocs = _values(ood.scores, "auroc")
    if not aurocs:
        return None
    return _separation(aurocs, f"OOD inputs ({ood.source})", _gaps(ood, "auroc"))


def confidence_gap(reliability: Reliability | None) -> float | None:
    """Mean confidence minus accuracy over the test set (count-weighted bins): > 0 over-confident."""
    bins = reliability.bins if reliability is not None else ()
    pairs = [(b.count, b.confidence, b.accuracy) for b in bins if b.count]
    known_pairs = [(n, c, a) for n, c, a in pairs if c is not None and a is not None]
    total = sum(n for n, _, _ in known_pairs)
    return sum(n * (c - a) for n, c, a in known_pairs) / total if total else None


def _direction(gap: float | None) -> str | None:
    if gap is None:
        return None
    return "calibrated" if abs(gap) < 0.005 else ("over-confident" if gap > 0 else "under-confident")


def calibration_sentence(reliability: Mapping[str, Reliability]) -> str | None:
    """How MC dropout changes calibration (ECE), and which way each prediction errs."""
    off, mc = reliability.get(INFERENCE.name), reliability.get(MC.name)
    ece_off, ece_mc = (off.ece if off else None), (mc.ece if mc else None)
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


def uncertainty_caption(uncertainty: UncertaintyBlock | None, modes: dict | None = None) -> str:
    """What the numbers show, in words, computed from the round's own numbers (tests/tui/test_uncertainty.py)."""
    if uncertainty is None:
        return "no uncertainty numbers in this round"
    scores = known(uncertainty.scores)
    modes = modes or {}
    parts = [
        selective_sentence(scores, modes),
        detection_sentence(scores, modes, _gaps(uncertainty, "auroc_error")),
        ood_sentence(uncertainty.ood),
        calibration_sentence(uncertainty.reliability),
    ]
    text = "; ".join(part for part in parts if part)
    return (text[:1].upper() + text[1:] + ".") if text else "no score has numbers in this round"


def decomposition_line(uncertainty: UncertaintyBlock | None) -> str:
    parts = uncertainty.decomposition if uncertainty is not None else Decomposition()
    total, aleatoric, epistemic = parts.entropy, parts.expected_entropy, parts.mutual_information
    return f"mean entropy {num(total)} nats = aleatoric {num(aleatoric)} + epistemic (MI) {num(epistemic)}"


def calibration_note(reliability: Reliability | None, wide: bool) -> str:
    """ECE; with room, MCE, ACE and whether the prediction is over- or under-confident overall."""
    if reliability is None:
        return ""
    if not wide:
        return f"ECE {num(reliability.ece)}"
    errors = {"ECE": reliability.ece, "MCE": reliability.mce, "ACE": reliability.ace}
    parts = [f"{name} {num(value)}" for name, value in errors.items()]
    side = _direction(confidence_gap(reliability))
    return " · ".join(parts + ([side] if side else []))
