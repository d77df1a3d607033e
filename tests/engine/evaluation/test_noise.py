"""A repeated mode's standard error and the gap of two repeated modes, against plain NumPy on fixed passes."""

from __future__ import annotations

import numpy as np
import pytest

from dropout_tui.engine.evaluation.noise import Z, repeats_gap, standard_error

# Five passes' accuracies of two repeated modes, 1.2 points apart.
TRAINING = np.array([0.870, 0.884, 0.861, 0.879, 0.872])
DROPOUT_ONLY = np.array([0.858, 0.866, 0.849, 0.871, 0.862])


def _entry(passes: np.ndarray) -> dict:
    """What scoring writes: the mean, np.std (ddof 0) and R."""
    return {"accuracy": float(passes.mean()), "accuracy_std": float(passes.std()), "repeats": len(passes)}


def test_the_standard_error_is_the_sample_std_over_sqrt_r():
    expected = TRAINING.std(ddof=1) / np.sqrt(len(TRAINING))
    assert standard_error(float(TRAINING.std()), 5) == pytest.approx(expected)
    assert standard_error(0.01, 1) is None and standard_error(None, 5) is None  # one pass: no spread to judge
    assert standard_error(0.0, 3) == 0.0


def test_two_repeated_means_differ_only_beyond_their_noise():
    gap = repeats_gap(_entry(TRAINING), _entry(DROPOUT_ONLY))
    error = np.sqrt(TRAINING.var(ddof=1) / 5 + DROPOUT_ONLY.var(ddof=1) / 5)
    assert gap.gap == pytest.approx(TRAINING.mean() - DROPOUT_ONLY.mean())
    assert (gap.low, gap.high) == pytest.approx((gap.gap - Z * error, gap.gap + Z * error))
    assert gap.distinguishable is bool(abs(gap.gap) > Z * error)
    same = repeats_gap(_entry(TRAINING), _entry(TRAINING.copy()))
    assert (same.gap, same.distinguishable) == (0.0, False)
    far = repeats_gap(_entry(TRAINING), _entry(TRAINING - 0.05))
    assert far.distinguishable and far.low > 0


def test_without_repeats_or_numbers_nothing_is_judged():
    one = {"accuracy": 0.9, "accuracy_std": 0.0, "repeats": 1}
    assert repeats_gap(one, one).low is None and not repeats_gap(one, one).distinguishable
    assert repeats_gap({}, one).gap is None
    rmse = {"rmse": 2.0, "rmse_std": 0.1, "repeats": 5}
    assert repeats_gap(rmse, {**rmse, "rmse": 2.5}, "rmse").distinguishable
