"""Scores for predictive probabilities: pure NumPy, one function per metric.

``probs`` is (n, classes) with rows summing to 1; ``labels`` is (n,) int.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12  # keeps log(0) finite: a confidently wrong prediction costs -log(1e-12) ~ 27.6


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(probs, axis=-1) == labels))


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true class."""
    p_true = probs[np.arange(len(labels)), labels]
    return float(np.mean(-np.log(np.clip(p_true, EPS, 1.0))))


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error over equal-width confidence bins.

    Bins are (k/B, (k+1)/B]; a confidence of exactly 0 would go to the first bin,
    but the top-class probability is always >= 1/classes anyway.
    """
    confidence = np.max(probs, axis=-1)
    correct = np.argmax(probs, axis=-1) == labels
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        count = int(np.count_nonzero(members))
        if count:
            total += count * abs(float(np.mean(correct[members])) - float(np.mean(confidence[members])))
    return total / len(labels)


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    """Multi-class Brier score: sum over classes of squared error, mean over samples."""
    target = np.zeros_like(probs, dtype=np.float64)
    target[np.arange(len(labels)), labels] = 1.0
    return float(np.mean(np.sum((probs - target) ** 2, axis=-1)))


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats (0 log 0 = 0)."""
    p = np.asarray(p, dtype=np.float64)
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=axis)


def mutual_information(pass_probs: np.ndarray) -> np.ndarray | float:
    """BALD: H[mean_t p_t] - mean_t H[p_t]; pass_probs is (T, ..., classes).

    Clipped at 0: the two entropies can differ by rounding noise when all passes agree.
    """
    pass_probs = np.asarray(pass_probs, dtype=np.float64)
    value = entropy(pass_probs.mean(axis=0)) - entropy(pass_probs).mean(axis=0)
    return np.maximum(value, 0.0) if np.ndim(value) else max(float(value), 0.0)
