"""The Uncertainty screen's words: what the round's numbers show, said in sentences computed from them.

Everything reads the engine's uncertainty block (mode_evaluation.uncertainty, docs/headless.md); the screen
(tui/screens/uncertainty.py) places these sentences under its charts and table.
"""

from __future__ import annotations

from dropout_tui.engine.evaluation import scores as score_registry
from dropout_tui.engine.evaluation.modes import INFERENCE, MC
from dropout_tui.engine.evaluation.scores import ENTROPY, MAX_PROB, MUTUAL_INFORMATION
from dropout_tui.tui.fmt import finite, num


def label(name: str) -> str:
    """The screen's name for a score (its registry row's label; an unknown name as it is)."""
    row = score_registry.BY_NAME.get(name)
    return row.label if row else name


def known(entries: dict) -> dict:
    """The entries of the registered scores (the engine's score registry, engine/evaluation/scores.py)."""
    return {name: entry for name, entry in entries.items() if name in score_registry.BY_NAME}


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _pair(a: float, b: float) -> tuple[str, str]:
    """Two AUROCs to two decimals, or three where two would make them look equal."""
    spec = ".2f" if f"{a:.2f}" != f"{b:.2f}" else ".3f"
    return format(a, spec), format(b, spec)


def accuracy_at(entry: dict, coverage: str) -> float | None:
    return finite((entry.get("accuracy_at_coverage") or {}).get(coverage))


def base_accuracy(score: str, entry: dict, modes: dict) -> float | None:
    """The accuracy of the prediction a score accompanies (max-prob: dropout off; the others: the MC mean),
    from the modes of the same round, else from the score's own curve at coverage 1."""
    mode = score_registry.BY_NAME[score].judged.name
    accuracy = finite((modes.get(mode) or {}).get("accuracy"))
    if accuracy is not None:
        return accuracy
    curve = entry.get("curve") or []
    if curve and finite(curve[-1][0]) == 1.0 and finite(curve[-1][1]) is not None:
        return 1.0 - curve[-1][1]
    return None


def _best(values: dict[str, float], higher: bool = True) -> str:
    """The best of some scores' values, never none (ties: the first in the score registry's order)."""
    target = max(values.values()) if higher else min(values.values())
    return next(key for key in score_registry.SCORE_NAMES if values.get(key) == target)


def selective_sentence(scores: dict, modes: dict) -> str | None:
    """Rejecting the 10% least sure: which score keeps the most accurate 90%, and what it gains."""
    at90 = {name: a for name, entry in scores.items() if (a := accuracy_at(entry, "0.9")) is not None}
    if not at90:
        return None
    top = max(at90.values())
    tied = {name: finite(scores[name].get("aurc")) for name, value in at90.items() if value == top}
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


def _gaps(block: dict | None, key: str) -> dict | None:
    return ((block or {}).get("gaps") or {}).get(key)


def _values(entries: dict, key: str) -> dict[str, float]:
    """Score -> one finite number of its entry (the known scores only)."""
    values = {name: finite((entry or {}).get(key)) for name, entry in known(entries).items()}
    return {name: value for name, value in values.items() if value is not None}


def detection_sentence(scores: dict, modes: dict, gaps: dict | None = None) -> str | None:
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


def ood_sentence(ood: dict | None) -> str | None:
    if not ood:
        return None
    aurocs = _values(ood.get("scores") or {}, "auroc")
    if not aurocs:
        return None
    return _separation(aurocs, f"OOD inputs ({ood.get('source', '?')})", _gaps(ood, "auroc"))


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
    off, mc = reliability.get(INFERENCE.name), reliability.get(MC.name)
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
    scores = known(uncertainty.get("scores") or {})
    modes = modes or {}
    parts = [
        selective_sentence(scores, modes),
        detection_sentence(scores, modes, _gaps(uncertainty, "auroc_error")),
        ood_sentence(uncertainty.get("ood")),
        calibration_sentence(uncertainty.get("reliability")),
    ]
    text = "; ".join(part for part in parts if part)
    return (text[:1].upper() + text[1:] + ".") if text else "no score has numbers in this round"


def decomposition_line(uncertainty: dict | None) -> str:
    parts = (uncertainty or {}).get("decomposition") or {}
    total, aleatoric, epistemic = (
        finite(parts.get(k)) for k in (ENTROPY.name, "expected_entropy", MUTUAL_INFORMATION.name)
    )
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
