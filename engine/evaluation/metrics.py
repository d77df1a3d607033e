"""Scores for predictive probabilities: pure NumPy, one function per metric.

``probs`` is (n, classes) with rows summing to 1; ``labels`` is (n,) int.
"""

from __future__ import annotations

import numpy as np

from dropout_tui.engine.evaluation.uncertainty import entropy, reliability

EPS = 1e-12  # keeps log(0) finite: a confidently wrong prediction costs -log(1e-12) ~ 27.6


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=-1) == labels))


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class."""
    return float(np.mean(nll_rows(probs, labels)))


def nll_rows(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's negative log-likelihood of its true class (in the probabilities' own dtype)."""
    p_true = probs[np.arange(len(labels)), labels]
    return -np.log(np.clip(p_true, EPS, 1.0))


def ece(probs: np.ndarray, labels: np.ndarray) -> float:
    """Expected calibration error: the reliability diagram's, over its 15 equal-width confidence bins."""
    confidence = np.max(probs, axis=-1)
    return reliability(confidence, np.argmax(probs, axis=-1) == labels)["ece"]


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    """Multi-class Brier score: sum over classes of squared error, mean over samples."""
    target = np.zeros_like(probs, dtype=np.float64)
    target[np.arange(len(labels)), labels] = 1.0
    return float(np.mean(np.sum((probs - target) ** 2, axis=-1)))


def mutual_information(pass_probs: np.ndarray) -> np.ndarray | float:
    """BALD: H[mean_t p_t] - mean_t H[p_t]; pass_probs is (T, ..., classes).

    Clipped at 0: the two entropies can differ by rounding noise when all passes agree.
    """
    pass_probs = np.asarray(pass_probs, dtype=np.float64)
    value = entropy(pass_probs.mean(axis=0)) - entropy(pass_probs).mean(axis=0)
    return np.maximum(value, 0.0) if np.ndim(value) else max(float(value), 0.0)


def moving_stats_shift(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """How far statistics moved: per variable max|after - before| / scale, the largest of them, in [0, 2].

    The scale is the larger of the two magnitudes, so a freshly initialised
    moving_mean (all zeros) reads as a 100% change rather than an unbounded one.
    """
    worst = 0.0
    for old, new in zip(before, after):
        old, new = np.asarray(old, np.float64), np.asarray(new, np.float64)
        if old.size == 0:
            continue
        scale = max(float(np.max(np.abs(old))), float(np.max(np.abs(new))))
        if scale > 0.0:
            worst = max(worst, float(np.max(np.abs(new - old))) / scale)
    return worst
