"""How good the model's uncertainty is: calibration, error detection, selective prediction, OOD.

Pure NumPy so the numbers can be checked against brute-force versions and reused headless.
Every returned number is a plain Python ``float`` (or ``int`` for counts); a value the data
cannot define (no samples, or one class missing) is ``None`` rather than NaN, so the report
is strict-JSON-safe.

Scores are oriented "higher = less sure", the convention of torch-uncertainty and of
Hendrycks & Gimpel (2017), so one AUROC/AURC code path serves every score.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import SupportsFloat

import numpy as np

from dropout_tui.engine.evaluation import scores
from dropout_tui.engine.evaluation.modes import INFERENCE, MC
from dropout_tui.engine.evaluation.scores import ENTROPY, MUTUAL_INFORMATION

RELIABILITY_BINS = 15  # Guo et al. (2017) and torch-uncertainty use 15 equal-width bins
COVERAGES = (0.5, 0.8, 0.9)
CURVE_POINTS = 20  # the risk-coverage curve the app draws: coverage 0.05, 0.10, ..., 1.0
OOD_RECALL = 0.95  # FPR at 95% TPR, Hendrycks & Gimpel (2017)


def _float(value: SupportsFloat | None) -> float | None:
    """Plain float for JSON; NaN/inf become None because strict JSON has no spelling for them."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats; 0 log 0 = 0 (its limit) so one-hot rows give exactly 0, not NaN."""
    p = np.asarray(p, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(np.where(p > 0, p * np.log(safe), 0.0), axis=axis)


# ---------------------------------------------------------------- calibration


def _bin_index(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Bin k is (k/B, (k+1)/B], bin 0 also holds 0.

    Membership is decided by comparing against the edges k/B rounded to the confidence's own
    float type, not by ceil(c*B): a float32 softmax output equal to float32(1/15) is "exactly
    1/15" for its producer and must land in bin 0, yet float64(float32(1/15)) * 15 > 1.
    Values above the last edge (rounding) go to the last bin.
    """
    dtype = confidence.dtype if np.issubdtype(confidence.dtype, np.floating) else np.float64
    edges = (np.arange(bins + 1, dtype=np.float64) / bins).astype(dtype)
    index = np.searchsorted(edges, confidence.astype(dtype), side="left") - 1
    return np.clip(index, 0, bins - 1)


def _gap_weighted(groups: list[tuple[np.ndarray, np.ndarray]], n: int) -> float:
    return sum(len(c) / n * abs(float(np.mean(r)) - float(np.mean(c))) for c, r in groups if len(c))


def _adaptive_ece(confidence: np.ndarray, correct: np.ndarray, bins: int) -> float | None:
    """ACE of Nixon et al. (2019): equal-count bins, so sparse high-confidence regions are not drowned out."""
    if len(confidence) == 0:
        return None
    order = np.argsort(confidence, kind="stable")
    groups = zip(np.array_split(confidence[order], bins), np.array_split(correct[order], bins), strict=True)
    return _float(_gap_weighted(list(groups), len(confidence)))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = RELIABILITY_BINS) -> dict:
    """Reliability diagram plus ECE/MCE (Guo et al. 2017) and ACE (Nixon et al. 2019).

    ECE weights each bin's |accuracy - confidence| by its share of samples; MCE is the worst
    non-empty bin. An empty bin has no accuracy or confidence, hence None.
    """
    confidence = np.asarray(confidence)
    correct = np.asarray(correct, dtype=bool)
    n = len(confidence)
    index = _bin_index(confidence, bins)
    rows, gaps = [], []
    for k in range(bins):
        members = index == k
        count = int(np.count_nonzero(members))
        acc: float | None = None
        conf: float | None = None
        if count:  # an empty bin has neither accuracy nor confidence, and no gap
            acc = float(np.mean(correct[members]))
            conf = float(np.mean(confidence[members].astype(np.float64)))
            gaps.append((count, abs(acc - conf)))
        rows.append({"lo": k / bins, "hi": (k + 1) / bins, "count": count, "accuracy": acc, "confidence": conf})
    ece = _float(sum(c / n * g for c, g in gaps)) if n else None
    mce = _float(max(g for _, g in gaps)) if gaps else None
    ace = _adaptive_ece(confidence.astype(np.float64), correct, bins)
    return {"bins": rows, "ece": ece, "mce": mce, "ace": ace}


# ---------------------------------------------------------------- ranking metrics


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their mean rank, as the Mann-Whitney U statistic requires."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # ranks taken by all smaller values
    return (first + (counts + 1) / 2.0)[inverse.reshape(-1)]


def auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """P(score of a positive > score of a negative), ties counting 1/2 (Mann-Whitney U / (P*N)).

    Threshold-free, so the same number is comparable across scores with different scales.
    None when a class is empty: there is no pair to compare.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(positive, dtype=bool).reshape(-1)
    n_pos = int(np.count_nonzero(positive))
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum = float(np.sum(_average_ranks(scores)[positive]))
    return _float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """AP = sum_n (R_n - R_{n-1}) P_n over thresholds at distinct scores (sklearn's definition).

    No interpolation, so it is not the optimistic trapezoid area. None when either side is
    empty: with no negatives AP is trivially 1 and says nothing about separation.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(positive, dtype=bool).reshape(-1)
    n_pos = int(np.count_nonzero(positive))
    if n_pos == 0 or n_pos == len(positive):
        return None
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # end of each block of tied scores
    tp = np.cumsum(y)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / n_pos
    return _float(np.sum(recall_gain * precision))


def fpr_at_recall(scores: np.ndarray, positive: np.ndarray, recall: float = OOD_RECALL) -> float | None:
    """Negatives' false-positive rate at the highest threshold that still flags `recall` of the positives.

    Threshold t = the largest score with mean(pos >= t) >= recall (that maximum is always a
    positive's score); Hendrycks & Gimpel (2017) report this at 95% recall.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(positive, dtype=bool).reshape(-1)
    pos, neg = np.sort(scores[positive]), scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return None
    candidates = np.unique(pos)
    flagged = (len(pos) - np.searchsorted(pos, candidates, side="left")) / len(pos)
    reached = candidates[flagged >= recall]
    if len(reached) == 0:  # only when recall > 1
        return None
    threshold = reached.max()
    return _float(np.mean(neg >= threshold))


# ---------------------------------------------------------------- selective prediction


def _coverage_count(coverage: float, n: int) -> int:
    """ceil(c*n), rounded first so float products like 0.9*n never step over an integer."""
    return math.ceil(round(coverage * n, 9))


def selective(scores: np.ndarray, correct: np.ndarray) -> dict:
    """Risk-coverage summary of Geifman & El-Yaniv (2017): answer the surest first.

    AURC = mean over k of the error rate among the k lowest scores; the stable sort keeps tied
    samples in input order so the number is deterministic. ``curve`` samples risk(k) at
    coverages 0.05, 0.10, ..., 1.0 (k = ceil(c*n)) for the app's risk-coverage chart.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    correct = np.asarray(correct, dtype=bool).reshape(-1)
    n = len(scores)
    if n == 0:
        return {"aurc": None, "accuracy_at_coverage": {str(c): None for c in COVERAGES}, "curve": []}
    right = correct[np.argsort(scores, kind="stable")]
    risk = np.cumsum(~right) / np.arange(1, n + 1)
    at = {str(c): _float(np.mean(right[: _coverage_count(c, n)])) for c in COVERAGES}
    coverages = [round(step / CURVE_POINTS, 10) for step in range(1, CURVE_POINTS + 1)]
    curve = [[c, _float(risk[_coverage_count(c, n) - 1])] for c in coverages]
    return {"aurc": _float(np.mean(risk)), "accuracy_at_coverage": at, "curve": curve}


# ---------------------------------------------------------------- scores and report


class Predictions:
    """A round's two predictions and the MC passes' mean entropy, from which every score is computed."""

    inference: np.ndarray
    mc_mean: np.ndarray
    expected_entropy: np.ndarray

    def __init__(self, inference_probs: np.ndarray, mc_mean: np.ndarray, expected_entropy: np.ndarray) -> None:
        self.inference = np.asarray(inference_probs, dtype=np.float64)
        self.mc_mean = np.asarray(mc_mean, dtype=np.float64)
        self.expected_entropy = expected_entropy

    @staticmethod
    def doubt(probs: np.ndarray) -> np.ndarray:
        """1 - the top probability."""
        return 1.0 - np.max(probs, axis=-1)

    @cached_property
    def predictive(self) -> np.ndarray:
        """Entropy of the MC mean: the total uncertainty."""
        return entropy(self.mc_mean)

    @cached_property
    def mutual_information(self) -> np.ndarray:
        """Its epistemic part (see epistemic)."""
        return epistemic(self.mc_mean, self.expected_entropy, self.predictive)


def uncertainty_scores(
    inference_probs: np.ndarray, mc_mean: np.ndarray, expected_entropy: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-sample scores of every registered score (engine.evaluation.scores), higher = less sure.

    Predictive entropy splits into expected entropy (aleatoric) plus mutual information
    (epistemic, the disagreement between MC passes; Gal & Ghahramani 2016).
    """
    predictions = Predictions(inference_probs, mc_mean, expected_entropy)
    return {score.name: score.computes(predictions) for score in scores.SCORES}


def epistemic(mc_mean: np.ndarray, expected_entropy: np.ndarray, predictive: np.ndarray | None = None) -> np.ndarray:
    """Per-sample mutual information: predictive entropy minus expected entropy, clipped at 0.

    MI >= 0 in exact arithmetic; float rounding can push it to -1e-8.
    """
    predictive = entropy(mc_mean) if predictive is None else predictive
    return np.maximum(predictive - np.asarray(expected_entropy, dtype=np.float64).reshape(predictive.shape), 0.0)


def _correct(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.argmax(probs, axis=-1) == np.asarray(labels).reshape(-1)


def score_table(
    inference_probs: np.ndarray, mc_mean: np.ndarray, expected_entropy: np.ndarray, labels: np.ndarray
) -> dict[str, dict]:
    """Each score judged against the prediction it accompanies (its row's ``judged``: dropout off or the MC mean)."""
    values = uncertainty_scores(inference_probs, mc_mean, expected_entropy)
    right = {INFERENCE.name: _correct(inference_probs, labels), MC.name: _correct(mc_mean, labels)}
    table = {}
    for score in scores.SCORES:
        correct = right[score.judged.name]
        table[score.name] = {
            "auroc_error": auroc(values[score.name], ~correct),
            **selective(values[score.name], correct),
        }
    return table


def decomposition(mc_mean: np.ndarray, expected_entropy: np.ndarray) -> dict:
    """Test-set means of total = aleatoric + epistemic uncertainty (MI clipped as in uncertainty_scores)."""
    predictive = entropy(mc_mean)
    if len(predictive) == 0:
        return {ENTROPY.name: None, "expected_entropy": None, MUTUAL_INFORMATION.name: None}
    return {
        ENTROPY.name: _float(np.mean(predictive)),
        "expected_entropy": _float(np.mean(expected_entropy)),
        MUTUAL_INFORMATION.name: _float(np.mean(epistemic(mc_mean, expected_entropy, predictive))),
    }


def versus_max_prob(values: dict, positives: dict, seed: int) -> dict:
    """Each score's AUROC at finding its ``positives`` rows minus max-prob's (the plain softmax's), with the
    paired bootstrap's interval (engine/evaluation/bootstrap.py): the rows are shared, so the resampling is paired.

    A caption names a winner only where the gap is distinguishable; comparing every score with max-prob covers
    the caption's pairs: the best score against max-prob, or max-prob, when it is best, against the runner-up.
    """
    from dropout_tui.engine.evaluation.bootstrap import paired_against, weighted_auroc

    base_name = scores.MAX_PROB.name
    if base_name not in values:
        return {}
    base = (values[base_name], positives[base_name])
    candidates = {
        score.name: (values[score.name], positives[score.name])
        for score in scores.SCORES
        if score.name != base_name and score.name in values
    }
    return {name: gap.to_json() for name, gap in paired_against(weighted_auroc, candidates, base, seed=seed).items()}


def error_gaps(
    inference_probs: np.ndarray, mc_mean: np.ndarray, expected_entropy: np.ndarray, labels: np.ndarray, seed: int
) -> dict:
    """``versus_max_prob`` for error detection, each score judged against its own prediction as in score_table."""
    values = uncertainty_scores(inference_probs, mc_mean, expected_entropy)
    wrong = {INFERENCE.name: ~_correct(inference_probs, labels), MC.name: ~_correct(mc_mean, labels)}
    return versus_max_prob(values, {score.name: wrong[score.judged.name] for score in scores.SCORES}, seed)


def ood_gaps(in_scores: dict, ood_scores: dict, seed: int) -> dict:
    """``versus_max_prob`` for OOD detection: the rows are the test set and the OOD inputs together."""
    names = [name for name in in_scores if name in ood_scores]
    joined = {name: np.r_[np.ravel(in_scores[name]), np.ravel(ood_scores[name])] for name in names}
    n_in = len(np.ravel(in_scores[names[0]])) if names else 0
    positive = np.arange(len(joined[names[0]]) if names else 0) >= n_in
    return versus_max_prob(joined, dict.fromkeys(names, positive), seed)


def ood_table(in_scores: dict, ood_scores: dict) -> dict:
    """Hendrycks & Gimpel (2017) detection metrics per score, OOD as the positive class."""
    table = {}
    for name, inside in in_scores.items():
        if name not in ood_scores:
            continue
        inside = np.asarray(inside, dtype=np.float64).reshape(-1)
        outside = np.asarray(ood_scores[name], dtype=np.float64).reshape(-1)
        scores = np.r_[inside, outside]
        positive = np.r_[np.zeros(len(inside), bool), np.ones(len(outside), bool)]
        table[name] = {
            "auroc": auroc(scores, positive),
            "aupr": average_precision(scores, positive),
            "fpr95": fpr_at_recall(scores, positive),
        }
    return table


def uncertainty_report(
    inference_probs: np.ndarray,
    mc_mean: np.ndarray,
    expected_entropy: np.ndarray,
    labels: np.ndarray,
    ood: dict | None = None,
    *,
    seed: int = 0,
) -> dict:
    """The headless contract: reliability of both predictions, the score table, the decomposition, OOD as given,
    and whether each score's error-detection AUROC differs from max-prob's beyond noise (``gaps``, bootstrap
    resamples drawn from ``seed``)."""
    inference_probs = np.asarray(inference_probs)
    mc_mean = np.asarray(mc_mean)
    return {
        "reliability": {
            INFERENCE.name: reliability(np.max(inference_probs, axis=-1), _correct(inference_probs, labels)),
            MC.name: reliability(np.max(mc_mean, axis=-1), _correct(mc_mean, labels)),
        },
        "scores": score_table(inference_probs, mc_mean, expected_entropy, labels),
        "decomposition": decomposition(mc_mean, expected_entropy),
        "ood": ood,
        "gaps": {"auroc_error": error_gaps(inference_probs, mc_mean, expected_entropy, labels, seed)},
    }
