"""Regression scores for deterministic, MC-dropout and repeated predictions: pure NumPy.

Every returned number is a plain Python float (None when there is nothing to average) so the
report is strict-JSON-safe. Errors are averaged over every sample and output together.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import SupportsFloat

import numpy as np

VARIANCE_FLOOR = 1e-12  # T identical passes give variance 0; the Gaussian NLL needs a positive variance
COVERAGE_INTERVAL = 0.90
_TAIL = round((1.0 - COVERAGE_INTERVAL) / 2.0, 12)  # 0.05 exactly, not 0.04999999999999999


def _float(value: SupportsFloat) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _targets(y: np.ndarray, shape: tuple) -> np.ndarray:
    """y aligned with predictions: (n,) targets against (n, 1) outputs get a trailing axis, then broadcast."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim < len(shape):
        y = y.reshape(y.shape + (1,) * (len(shape) - y.ndim))
    elif y.ndim > len(shape) and y.size == math.prod(shape):
        y = y.reshape(shape)
    return np.broadcast_to(y, shape)


def _errors(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    pred = np.asarray(pred, dtype=np.float64)
    return pred - _targets(y, pred.shape)


def rmse(pred: np.ndarray, y: np.ndarray) -> float | None:
    """Root mean squared error; in the targets' units, so it reads next to `std`."""
    err = _errors(pred, y)
    return _float(np.sqrt(np.mean(err**2))) if err.size else None


def mae(pred: np.ndarray, y: np.ndarray) -> float | None:
    """Mean absolute error; less dominated by a few large misses than RMSE."""
    err = _errors(pred, y)
    return _float(np.mean(np.abs(err))) if err.size else None


def _gaussian_nll(mean: np.ndarray, var: np.ndarray, y: np.ndarray) -> float:
    var = np.maximum(var, VARIANCE_FLOOR)
    return float(np.mean(0.5 * np.log(2.0 * np.pi * var) + (y - mean) ** 2 / (2.0 * var)))


def _coverage(samples: np.ndarray, y: np.ndarray) -> float:
    lo, hi = np.quantile(samples, [_TAIL, 1.0 - _TAIL], axis=0)
    return float(np.mean((y >= lo) & (y <= hi)))


def mc_regression(samples: np.ndarray, y: np.ndarray) -> dict:
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


# ---------------------------------------------------------------- Gaussian predictive distributions

INTERVAL_LEVELS = (0.5, 0.8, 0.9, 0.95)  # the interval table: nominal central coverage
CALIBRATION_LEVELS = 10  # the coverage-vs-nominal curve: expected proportions 0, 1/9, ..., 1
AREA_LEVELS = 100  # uncertainty-toolbox's default num_bins for miscalibration_area


def _half_width(level: float) -> float:
    """z with P(|N(0, 1)| <= z) = level: the central interval's half-width in standard deviations."""
    if level >= 1.0:
        return math.inf
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _within(residual_z: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Observed proportion of |residual| / std inside each level's central Gaussian interval."""
    return np.array([float(np.mean(residual_z <= _half_width(level))) for level in levels])


def miscalibration_area(expected: np.ndarray, observed: np.ndarray) -> float:
    """Area between the observed-vs-expected curve (piecewise linear) and the diagonal, as uncertainty-toolbox.

    Segment by segment: a trapezoid where the curve stays on one side of the diagonal, two
    triangles meeting where it crosses (uncertainty_toolbox.metrics_calibration.trapezoid_area).
    """
    gap = np.asarray(observed, np.float64) - np.asarray(expected, np.float64)
    width = np.diff(np.asarray(expected, np.float64))
    left, right = gap[:-1], gap[1:]
    crossing = left * right < 0
    trapezoid = np.abs(width * (left + right) / 2.0)
    share = np.divide(np.abs(left), np.abs(left) + np.abs(right), out=np.zeros_like(left), where=crossing)
    triangles = width * (share * np.abs(left) + (1.0 - share) * np.abs(right)) / 2.0
    return float(np.sum(np.where(crossing, triangles, trapezoid)))


def gaussian_figures(mean: np.ndarray, var: np.ndarray, y: np.ndarray) -> dict:
    """N(mean, var) per target (var floored as in the NLL): NLL, RMSE, interval coverage, calibration, sharpness.

    ``coverage[level]``: the fraction of targets inside the central interval mean +- z * std that
    should hold ``level`` of them. ``calibration``: that fraction (``observed``) at 10 ``expected``
    levels 0, 1/9, ..., 1, and ``miscalibration_area`` (uncertainty-toolbox's, over its default 100
    levels; 0 is perfect). ``sharpness``: the mean predictive std (mc's is the mc mode's ``std``).
    """
    mean = np.asarray(mean, dtype=np.float64)
    if mean.size == 0:
        return _no_spread(None)
    target = _targets(y, mean.shape)
    var = np.asarray(var, dtype=np.float64)
    residual_z = (np.abs(mean - target) / np.sqrt(np.maximum(var, VARIANCE_FLOOR))).reshape(-1)
    expected = np.linspace(0.0, 1.0, CALIBRATION_LEVELS)
    area_levels = np.linspace(0.0, 1.0, AREA_LEVELS)
    return {
        "rmse": rmse(mean, target),
        "nll": _float(_gaussian_nll(mean, var, target)),
        "coverage": {str(level): _float(np.mean(residual_z <= _half_width(level))) for level in INTERVAL_LEVELS},
        "calibration": {
            "expected": [float(e) for e in expected],
            "observed": [float(o) for o in _within(residual_z, expected)],
            "miscalibration_area": _float(miscalibration_area(area_levels, _within(residual_z, area_levels))),
        },
        "sharpness": _float(np.mean(np.sqrt(var))),
    }


def _no_spread(rmse_value: float | None) -> dict:
    return {"rmse": rmse_value, "nll": None, "coverage": None, "calibration": None, "sharpness": None}


def point_figures(pred: np.ndarray, y: np.ndarray) -> dict:
    """A point prediction (dropout off): RMSE only; with no spread there is no likelihood or interval."""
    return _no_spread(rmse(pred, y))
