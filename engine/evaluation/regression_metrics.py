"""Regression scores for deterministic, MC-dropout and repeated predictions: pure NumPy.

Every returned number is a plain Python float (None when there is nothing to average) so the
report is strict-JSON-safe. Errors are averaged over every sample and output together.
"""

from __future__ import annotations

import math

import numpy as np

VARIANCE_FLOOR = 1e-12  # T identical passes give variance 0; the Gaussian NLL needs a positive variance
COVERAGE_INTERVAL = 0.90
_TAIL = round((1.0 - COVERAGE_INTERVAL) / 2.0, 12)  # 0.05 exactly, not 0.04999999999999999


def _float(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _targets(y, shape: tuple) -> np.ndarray:
    """y aligned with predictions: (n,) targets against (n, 1) outputs get a trailing axis, then broadcast."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim < len(shape):
        y = y.reshape(y.shape + (1,) * (len(shape) - y.ndim))
    elif y.ndim > len(shape) and y.size == math.prod(shape):
        y = y.reshape(shape)
    return np.broadcast_to(y, shape)


def _errors(pred, y) -> np.ndarray:
    pred = np.asarray(pred, dtype=np.float64)
    return pred - _targets(y, pred.shape)


def rmse(pred, y) -> float | None:
    """Root mean squared error; in the targets' units, so it reads next to `std`."""
    err = _errors(pred, y)
    return _float(np.sqrt(np.mean(err**2))) if err.size else None


def mae(pred, y) -> float | None:
    """Mean absolute error; less dominated by a few large misses than RMSE."""
    err = _errors(pred, y)
    return _float(np.mean(np.abs(err))) if err.size else None


def _gaussian_nll(mean: np.ndarray, var: np.ndarray, y: np.ndarray) -> float:
    var = np.maximum(var, VARIANCE_FLOOR)
    return float(np.mean(0.5 * np.log(2.0 * np.pi * var) + (y - mean) ** 2 / (2.0 * var)))


def _coverage(samples: np.ndarray, y: np.ndarray) -> float:
    lo, hi = np.quantile(samples, [_TAIL, 1.0 - _TAIL], axis=0)
    return float(np.mean((y >= lo) & (y <= hi)))


def mc_regression(samples, y) -> dict:
    """MC-dropout regression (Gal & Ghahramani 2016): the T passes as a predictive distribution.

    Accuracy is scored on the MC mean; `std` is the mean per-point spread; `nll` treats each
    point as N(mean, var) with var floored; `coverage_90` checks the empirical central 90%
    interval of the passes, which needs no Gaussian assumption. samples: (T, n) or (T, n, k).
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.shape[0] == 0 or samples[0].size == 0:
        return {"rmse": None, "mae": None, "std": None, "nll": None, "coverage_90": None}
    mean, var = samples.mean(axis=0), samples.var(axis=0)
    target = _targets(y, mean.shape)
    return {
        "rmse": rmse(mean, target),
        "mae": mae(mean, target),
        "std": _float(np.mean(np.sqrt(var))),
        "nll": _float(_gaussian_nll(mean, var, target)),
        "coverage_90": _float(_coverage(samples, target)),
    }


def repeated_from_totals(squared: np.ndarray, absolute: np.ndarray, count: int) -> dict:
    """Scores of R independent repeats from each one's summed squared and absolute errors over ``count`` values.

    Mean and spread show how much a single run's number can move.
    """
    if count == 0:
        return _repeats([None] * len(squared), [None] * len(squared))
    return _repeats([_float(np.sqrt(s / count)) for s in squared], [_float(a / count) for a in absolute])


def _repeats(per_rmse: list, per_mae: list) -> dict:
    if not per_rmse or None in per_rmse:
        return {"rmse": None, "rmse_std": None, "mae": None, "repeats": len(per_rmse)}
    return {
        "rmse": _float(np.mean(per_rmse)),
        "rmse_std": _float(np.std(per_rmse)),
        "mae": _float(np.mean(per_mae)),
        "repeats": len(per_rmse),
    }
