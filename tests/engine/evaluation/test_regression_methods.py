"""Regression methods as Gaussian predictive distributions, against plain Python/NumPy on fixed arrays."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from dropout_tui.engine.evaluation.methods import (
    REGRESSION_FIGURES,
    RegressionPrediction,
    regression_figures,
    regression_report,
)
from dropout_tui.engine.evaluation.regression_metrics import (
    INTERVAL_LEVELS,
    VARIANCE_FLOOR,
    mc_regression,
    miscalibration_area,
)


def plain_inside(mean, std, y, level):
    if level >= 1.0:
        return 1.0
    z = NormalDist().inv_cdf(0.5 + level / 2)
    hits = [abs(m - t) / s <= z for m, s, t in zip(mean, std, y, strict=True)]
    return sum(hits) / len(hits)


def plain_area(expected, observed, grid=200_001):
    """Integrate |curve - diagonal| numerically on a fine grid: independent of the segment-by-segment formula."""
    x = np.linspace(expected[0], expected[-1], grid)
    gap = np.abs(np.interp(x, expected, observed) - x)
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(x)))


MEAN = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
STD = np.array([0.5, 1.0, 1.0, 2.0, 0.1, 0.0, 1.5, 1.0])
Y = np.array([1.2, 0.5, 3.0, 7.5, 5.05, 6.0, 7.0, 9.7])


def test_gaussian_figures_match_plain_python():
    got = regression_figures(RegressionPrediction(MEAN[:, None], STD[:, None] ** 2, 7), Y)
    assert list(got) == list(REGRESSION_FIGURES)
    std = [max(s, math.sqrt(VARIANCE_FLOOR)) for s in STD]
    assert got["rmse"] == pytest.approx(math.sqrt(sum((m - t) ** 2 for m, t in zip(MEAN, Y)) / 8))
    nll = sum(0.5 * math.log(2 * math.pi * s**2) + (t - m) ** 2 / (2 * s**2) for m, s, t in zip(MEAN, std, Y)) / 8
    assert got["nll"] == pytest.approx(nll)
    assert list(got["coverage"]) == [str(level) for level in INTERVAL_LEVELS]
    for level in INTERVAL_LEVELS:
        assert got["coverage"][str(level)] == pytest.approx(plain_inside(MEAN, std, Y, level))
    calibration = got["calibration"]
    assert calibration["expected"] == pytest.approx([k / 9 for k in range(10)])
    assert calibration["observed"] == pytest.approx([plain_inside(MEAN, std, Y, k / 9) for k in range(10)])
    levels = [k / 99 for k in range(100)]
    area = plain_area(levels, [plain_inside(MEAN, std, Y, p) for p in levels])
    assert calibration["miscalibration_area"] == pytest.approx(area, abs=1e-6)
    assert got["sharpness"] == pytest.approx(float(np.mean(STD)))
    assert got["passes"] == 7


def test_a_zero_residual_counts_at_level_zero_and_a_perfect_point_is_inside_every_interval():
    got = regression_figures(RegressionPrediction(np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]]), 2), [1.0, 4.0])
    assert got["calibration"]["observed"][0] == 0.5  # the exact hit is inside the zero-width interval
    assert got["calibration"]["observed"][-1] == 1.0  # the 100% interval holds everything


@pytest.mark.parametrize(
    "expected,observed",
    [
        ([0.0, 0.5, 1.0], [0.0, 0.5, 1.0]),  # on the diagonal
        ([0.0, 0.5, 1.0], [0.0, 0.2, 1.0]),  # below everywhere: a triangle of area 0.15
        ([0.0, 0.25, 0.5, 0.75, 1.0], [0.1, 0.1, 0.6, 0.9, 1.0]),  # crossing the diagonal inside segments
        ([0.0, 1 / 3, 2 / 3, 1.0], [0.5, 0.0, 1.0, 0.5]),  # crossing in every segment
    ],
)
def test_miscalibration_area_is_the_area_between_curve_and_diagonal(expected, observed):
    assert miscalibration_area(np.array(expected), np.array(observed)) == pytest.approx(
        plain_area(expected, observed), abs=1e-7
    )
    if observed == [0.0, 0.2, 1.0]:
        assert miscalibration_area(np.array(expected), np.array(observed)) == pytest.approx(0.15)


def test_too_narrow_intervals_cover_too_little():
    rng = np.random.default_rng(0)
    y = rng.normal(0.0, 1.0, size=4000)
    honest = regression_figures(RegressionPrediction(np.zeros((4000, 1)), np.ones((4000, 1)), 1), y)
    narrow = regression_figures(RegressionPrediction(np.zeros((4000, 1)), np.full((4000, 1), 0.25), 1), y)
    assert abs(honest["coverage"]["0.9"] - 0.9) < 0.02 and honest["calibration"]["miscalibration_area"] < 0.02
    assert narrow["coverage"]["0.9"] < 0.6 and narrow["calibration"]["miscalibration_area"] > 0.1


def test_mc_as_a_distribution_agrees_with_the_mc_mode():
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(6, 20, 2)).astype(np.float32)
    y = rng.normal(size=(20, 2))
    got = regression_figures(RegressionPrediction.from_samples(samples), y)
    mode = mc_regression(samples, y)
    assert got["rmse"] == mode["rmse"] and got["nll"] == mode["nll"] and got["sharpness"] == mode["std"]
    assert got["passes"] == 6


def test_a_point_prediction_has_no_interval_and_the_report_keeps_registry_order():
    report = regression_report(
        {
            "mc": RegressionPrediction.from_samples(np.ones((3, 2, 1))),
            "inference": RegressionPrediction(np.zeros((2, 1)), None, 1),
        },
        np.array([0.0, 2.0]),
    )
    assert list(report["methods"]) == ["inference", "mc"]
    point = report["methods"]["inference"]
    assert point["rmse"] == pytest.approx(math.sqrt(2.0)) and point["passes"] == 1
    assert all(point[key] is None for key in ("nll", "coverage", "calibration", "sharpness"))
    assert report["methods"]["mc"]["sharpness"] == 0.0


def test_an_empty_test_set_gives_nulls():
    got = regression_figures(RegressionPrediction(np.zeros((0, 1)), np.zeros((0, 1)), 3), np.zeros(0))
    assert got == {"rmse": None, "nll": None, "coverage": None, "calibration": None, "sharpness": None, "passes": 3}
