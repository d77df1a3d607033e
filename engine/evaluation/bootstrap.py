"""Paired bootstrap: is one method's figure better than another's beyond the noise of a finite test set?

Both methods are scored on the same resampled rows each time, so the row-to-row difficulty they share
cancels and only their difference varies. "Better" means the percentile interval of the difference
excludes 0 (Efron & Tibshirani 1993, ch. 13); otherwise the two are indistinguishable on this test set.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dropout_tui.engine.evaluation.gap import LEVEL, UNDEFINED, Gap
from dropout_tui.engine.evaluation.uncertainty import RELIABILITY_BINS, _bin_index, _float

__all__ = ["LEVEL", "RESAMPLES", "UNDEFINED", "Gap", "interval", "paired_bootstrap", "resample", "weighted_auroc"]

RESAMPLES = 200
CHUNK = 25  # resamples drawn at once: bounds memory at CHUNK * n indices


def resample(statistics: dict[str, Callable[[np.ndarray], np.ndarray]], n: int, *, seed: int) -> dict[str, np.ndarray]:
    """Every statistic on the same RESAMPLES resamples of n rows (paired): name -> (RESAMPLES,) values.

    A statistic takes a (resamples, n) array of row indices and returns one value per resample.
    """
    rng = np.random.default_rng(seed)
    values: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    for start in range(0, RESAMPLES if n else 0, CHUNK):
        rows = rng.integers(0, n, size=(min(CHUNK, RESAMPLES - start), n), dtype=np.int32)
        for name, statistic in statistics.items():
            values[name].append(statistic(rows))
    return {name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in values.items()}


def interval(differences: np.ndarray) -> tuple[float | None, float | None]:
    """The central LEVEL percentile interval of paired differences; (None, None) without resamples."""
    if len(differences) == 0:
        return None, None
    tail = round((1.0 - LEVEL) * 50.0, 10)  # 2.5, not 2.5000000000000022
    low, high = np.percentile(differences, [tail, 100.0 - tail])
    return _float(low), _float(high)


def ece_statistic(confidence: np.ndarray, correct: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """ECE (15 equal-width bins, as ``reliability``) of each resample of rows.

    Per bin, count/n * |accuracy - confidence| = |sum(correct - confidence)| / n: each row's bin and
    its correct - confidence are computed once, and each resample's bin sums are one bincount.
    """
    bins = _bin_index(np.asarray(confidence), RELIABILITY_BINS)
    gap = np.asarray(correct, np.float64) - np.asarray(confidence, np.float64)

    def statistic(rows: np.ndarray) -> np.ndarray:
        resamples, n = rows.shape
        slot = (bins[rows] + RELIABILITY_BINS * np.arange(resamples)[:, None]).reshape(-1)
        sums = np.bincount(slot, weights=gap[rows].reshape(-1), minlength=resamples * RELIABILITY_BINS)
        return np.abs(sums).reshape(resamples, RELIABILITY_BINS).sum(axis=1) / n

    return statistic


def resampled_mean(per_row: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A per-row figure's mean over each resample (NLL, Brier)."""
    return np.asarray(per_row, np.float64)[rows].mean(axis=1)


# ---------------------------------------------------------------- one figure of two methods, any metric

Metric = Callable[[Any, np.ndarray], np.ndarray]
"""``metric(data, weights) -> values``: ``data`` one method's rows (an array, or a tuple of arrays, one row per
test row), ``weights`` a (resamples, n) array of how often each row is drawn, one value per resample (NaN where
the metric is undefined, e.g. an AUROC without errors). Row weights let a metric sort once and re-weigh."""


def _rows(data: Any) -> int:
    return len(data[0] if isinstance(data, tuple) else data)


def counts(rows: np.ndarray, n: int) -> np.ndarray:
    """(resamples, n) row indices as (resamples, n) counts: how often each row is drawn."""
    offsets = (np.arange(len(rows)) * n)[:, None]
    return np.bincount((rows + offsets).ravel(), minlength=len(rows) * n).reshape(len(rows), n).astype(np.float64)


def paired_bootstrap(metric: Metric, a: Any, b: Any, *, seed: int) -> Gap:
    """``metric(a) - metric(b)`` on the test set and its LEVEL interval over RESAMPLES paired resamples of the rows.

    ``a`` and ``b`` hold the same test rows in the same order (the pairing). ``distinguishable`` only when the
    interval leaves out 0; identical inputs never are. Resamples where the metric is undefined are left out;
    with fewer than half left, the gap is not judged.
    """
    n = _rows(a)
    if n != _rows(b):
        raise ValueError(f"paired_bootstrap: {n} rows against {_rows(b)}: the methods must share the test rows")
    if n == 0:
        return UNDEFINED
    whole = np.ones((1, n))
    gap = float(metric(a, whole)[0] - metric(b, whole)[0])
    if not math.isfinite(gap):
        return UNDEFINED
    drawn = resample(
        {"a": lambda rows: metric(a, counts(rows, n)), "b": lambda rows: metric(b, counts(rows, n))}, n, seed=seed
    )
    differences = drawn["a"] - drawn["b"]
    differences = differences[np.isfinite(differences)]
    if len(differences) < RESAMPLES / 2:
        return Gap(gap, None, None, False)
    low, high = interval(differences)
    return Gap(gap, low, high, low is not None and high is not None and (low > 0 or high < 0))


def weighted_auroc(data: tuple[np.ndarray, np.ndarray], weights: np.ndarray) -> np.ndarray:
    """AUROC of ``scores`` at finding ``positive`` rows (ties count 1/2, as uncertainty.auroc) per resample.

    The rows are sorted once; each resample only re-weighs the groups of tied scores:
    U = sum over groups of positives x (negatives below + half the negatives tied), over P x N.
    """
    scores, positive = data
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    positive = np.asarray(positive, dtype=bool).reshape(-1)
    order = np.argsort(scores, kind="stable")
    ordered = scores[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    w = weights[:, order]
    hit = positive[order]
    pos = np.add.reduceat(w * hit, starts, axis=1)
    neg = np.add.reduceat(w * ~hit, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    u = np.sum(pos * (below + 0.5 * neg), axis=1)
    pairs = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, u / np.where(pairs > 0, pairs, 1.0), np.nan)
