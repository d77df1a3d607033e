"""engine.evaluation.regression_metrics against per-point loops in plain Python."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dropout_tui.engine.evaluation.regression_metrics import (
    COVERAGE_INTERVAL,
    VARIANCE_FLOOR,
    mae,
    mc_regression,
    repeated_from_totals,
    rmse,
)

# ---------------------------------------------------------------- brute-force references


def points(pred, y):
    """(prediction, target) pairs over every sample and output, y repeated across outputs."""
    pred = np.asarray(pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = []
    for i in range(pred.shape[0]):
        row = np.atleast_1d(pred[i])
        target = np.atleast_1d(y[i])
        for j in range(len(row)):
            out.append((float(row[j]), float(target[j] if len(target) > 1 else target[0])))
    return out


def bf_rmse(pred, y):
    pairs = points(pred, y)
    return math.sqrt(sum((p - t) ** 2 for p, t in pairs) / len(pairs))


def bf_mae(pred, y):
    pairs = points(pred, y)
    return sum(abs(p - t) for p, t in pairs) / len(pairs)


def bf_quantile(values, q):
    """Linear interpolation between order statistics (numpy's default 'linear' method)."""
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (pos - lo) * (s[hi] - s[lo])


def bf_mc(samples, y):
    samples = np.asarray(samples, dtype=np.float64)
    t = samples.shape[0]
    flat = samples.reshape(t, samples.shape[1], -1)
    y = np.asarray(y, dtype=np.float64).reshape(samples.shape[1], -1)
    means, stds, nlls, inside, pairs = [], [], [], [], []
    for i in range(flat.shape[1]):
        for j in range(flat.shape[2]):
            draws = [float(flat[s, i, j]) for s in range(t)]
            target = float(y[i, j if y.shape[1] > 1 else 0])
            mean = sum(draws) / t
            var = sum((d - mean) ** 2 for d in draws) / t
            v = max(var, 1e-12)
            means.append(mean)
            stds.append(math.sqrt(var))
            nlls.append(0.5 * math.log(2 * math.pi * v) + (target - mean) ** 2 / (2 * v))
            inside.append(bf_quantile(draws, 0.05) <= target <= bf_quantile(draws, 0.95))
            pairs.append((mean, target))
    n = len(pairs)
    return {
        "rmse": math.sqrt(sum((m - t) ** 2 for m, t in pairs) / n),
        "mae": sum(abs(m - t) for m, t in pairs) / n,
        "std": sum(stds) / n,
        "nll": sum(nlls) / n,
        "coverage_90": sum(inside) / n,
    }


def assert_close_dict(got, want, tol=1e-9):
    assert list(got) == list(want)
    for key in want:
        if want[key] is None:
            assert got[key] is None, key
        else:
            assert type(got[key]) is type(want[key]), key
            assert abs(got[key] - want[key]) <= tol * max(1.0, abs(want[key])), key
    json.dumps(got, allow_nan=False)


# ---------------------------------------------------------------- tests


def test_constants():
    assert VARIANCE_FLOOR == 1e-12 and COVERAGE_INTERVAL == 0.90


@pytest.mark.parametrize(
    ("pred", "y"),
    [
        (np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])),
        (np.array([[1.0, 0.0], [2.0, 2.0], [4.0, -1.0]]), np.array([[1.5, 0.5], [2.0, 1.0], [3.0, -3.0]])),
        (np.array([[1.0, 0.0], [2.0, 2.0]]), np.array([0.5, 1.0])),  # one target per sample, k outputs
        (np.array([[1.0], [2.0], [4.0]], dtype=np.float32), np.array([1.5, 2.0, 3.0])),  # (n, 1) vs (n,)
    ],
)
def test_rmse_mae_match_loops(pred, y):
    assert type(rmse(pred, y)) is float and type(mae(pred, y)) is float
    assert abs(rmse(pred, y) - bf_rmse(pred, y)) < 1e-12
    assert abs(mae(pred, y) - bf_mae(pred, y)) < 1e-12


def test_rmse_mae_known_and_empty():
    assert rmse(np.array([0.0, 0.0]), np.array([3.0, 4.0])) == math.sqrt(12.5)
    assert mae(np.array([0.0, 0.0]), np.array([3.0, -4.0])) == 3.5
    assert rmse(np.zeros(0), np.zeros(0)) is None and mae(np.zeros(0), np.zeros(0)) is None


def test_mc_regression_fixed_example():
    # T = 21 so the 5% / 95% quantiles fall exactly on order statistics 1 and 19: inclusive bounds matter.
    draws = np.arange(21, dtype=np.float64)
    samples = np.stack([draws, draws * 2.0, np.full(21, 3.0)], axis=1)  # (T, n=3)
    y = np.array([1.0, 38.0, 3.0])  # exactly q05, exactly q95, exactly the constant prediction
    got = mc_regression(samples, y)
    assert_close_dict(got, bf_mc(samples, y))
    assert got["coverage_90"] == 1.0
    assert mc_regression(samples, np.array([0.999, 38.001, 3.0]))["coverage_90"] == pytest.approx(1 / 3)


def test_mc_regression_zero_variance_uses_floor():
    samples = np.full((4, 2), 2.0)
    got = mc_regression(samples, np.array([2.0, 2.0]))
    assert got["std"] == 0.0 and got["coverage_90"] == 1.0
    assert got["nll"] == pytest.approx(0.5 * math.log(2 * math.pi * 1e-12))
    assert_close_dict(got, bf_mc(samples, np.array([2.0, 2.0])))


def test_mc_regression_multi_output_and_single_pass():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(7, 5, 3))
    y = rng.normal(size=(5, 3))
    assert_close_dict(mc_regression(samples, y), bf_mc(samples, y))
    one = mc_regression(samples[:1], y)
    assert one["std"] == 0.0 and one["coverage_90"] == 0.0


def test_mc_regression_empty():
    empty = {"rmse": None, "mae": None, "std": None, "nll": None, "coverage_90": None}
    assert mc_regression(np.zeros((0, 3)), np.zeros(3)) == empty
    assert mc_regression(np.zeros((5, 0)), np.zeros(0)) == empty


@pytest.mark.parametrize("seed", range(6))
def test_mc_regression_randomized(seed):
    rng = np.random.default_rng(seed)
    t, n = int(rng.integers(1, 30)), int(rng.integers(1, 12))
    shape = (t, n) if seed % 2 else (t, n, int(rng.integers(1, 4)))
    samples = np.round(rng.normal(size=shape), 1)  # rounding makes targets hit interval ends
    y = np.round(rng.normal(size=shape[1:]), 1)
    assert_close_dict(mc_regression(samples, y), bf_mc(samples, y))


def _error_totals(preds, y):
    """Each repeat's summed squared and absolute errors, as the evaluator's graph reduces them."""
    squared = [
        sum((float(p) - float(t)) ** 2 for p, t in zip(np.ravel(row), np.ravel(np.broadcast_to(y, row.shape))))
        for row in preds
    ]
    absolute = [
        sum(abs(float(p) - float(t)) for p, t in zip(np.ravel(row), np.ravel(np.broadcast_to(y, row.shape))))
        for row in preds
    ]
    return np.array(squared), np.array(absolute)


def test_repeated_regression_from_error_totals():
    preds = np.array([[1.0, 2.0, 3.0], [1.5, 2.0, 2.0], [0.0, 2.0, 3.5]])
    y = np.array([1.0, 2.0, 3.0])
    per = [bf_rmse(p, y) for p in preds]
    mean = sum(per) / 3
    want = {
        "rmse": mean,
        "rmse_std": math.sqrt(sum((r - mean) ** 2 for r in per) / 3),
        "mae": sum(bf_mae(p, y) for p in preds) / 3,
        "repeats": 3,
    }
    assert_close_dict(repeated_from_totals(*_error_totals(preds, y), 3), want)
    multi = preds[:, :, None] * np.ones((1, 1, 2))
    assert_close_dict(repeated_from_totals(*_error_totals(multi, y[:, None]), 6), want)
    none = {"rmse": None, "rmse_std": None, "mae": None}
    assert repeated_from_totals(np.zeros(0), np.zeros(0), 3) == {**none, "repeats": 0}
    assert repeated_from_totals(np.zeros(2), np.zeros(2), 0) == {**none, "repeats": 2}
