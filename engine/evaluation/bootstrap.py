"""Paired bootstrap: is one method's figure better than another's beyond the noise of a finite test set?

Both methods are scored on the same resampled rows each time, so the row-to-row difficulty they share
cancels and only their difference varies. "Better" means the percentile interval of the difference
excludes 0 (Efron & Tibshirani 1993, ch. 13); otherwise the two are indistinguishable on this test set.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dropout_tui.engine.evaluation.uncertainty import RELIABILITY_BINS, _bin_index, _float

RESAMPLES = 200
LEVEL = 0.95
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
