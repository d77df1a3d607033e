"""The paired bootstrap behind "better" on the Uncertainty screen, against plain computations."""

from __future__ import annotations

import numpy as np
import pytest

from dropout_tui.engine.evaluation import bootstrap
from dropout_tui.engine.evaluation.methods import Prediction, comparisons
from dropout_tui.engine.evaluation.uncertainty import reliability


def test_ece_of_each_resample_is_the_reliability_diagrams():
    rng = np.random.default_rng(0)
    confidence = rng.choice(np.r_[np.round(rng.random(30), 2), np.arange(16) / 15], size=30)  # bin edges too
    correct = rng.random(30) < 0.6
    rows = rng.integers(0, 30, size=(7, 30))
    got = bootstrap.ece_statistic(confidence, correct)(rows)
    want = [reliability(confidence[r], correct[r])["ece"] for r in rows]
    assert got == pytest.approx(want, abs=1e-12)


def test_every_statistic_sees_the_same_rows_and_the_draw_is_seeded():
    seen = {"a": [], "b": []}

    def keep(name):
        def statistic(rows):
            seen[name].append(rows.copy())
            return rows.mean(axis=1)

        return statistic

    drawn = bootstrap.resample({"a": keep("a"), "b": keep("b")}, 11, seed=3)
    assert len(drawn["a"]) == bootstrap.RESAMPLES
    assert all(np.array_equal(x, y) for x, y in zip(seen["a"], seen["b"], strict=True))
    again = bootstrap.resample({"a": lambda rows: rows.mean(axis=1)}, 11, seed=3)["a"]
    assert np.array_equal(again, drawn["a"])
    assert bootstrap.resample({"a": keep("a")}, 0, seed=3)["a"].size == 0


def test_interval_is_the_central_95_percent():
    values = np.arange(1001, dtype=float)
    assert bootstrap.interval(values) == (25.0, 975.0)
    assert bootstrap.interval(np.zeros(0)) == (None, None)


def _pair(first, second, labels, seed=0):
    predictions = {"mc": first, "temperature_scaled": second}
    figures = {name: {"ece": 0.0, "nll": 0.0} for name in predictions}
    return {entry["metric"]: entry for entry in comparisons(predictions, labels, figures, seed)}


def test_a_calibrated_method_beats_an_overconfident_one_and_a_copy_is_indistinguishable():
    rng = np.random.default_rng(1)
    n = 400
    p = rng.uniform(0.5, 1.0, n)
    labels = (rng.random(n) >= p).astype(int)  # class 0 is right with probability p: calibrated
    calibrated = Prediction(np.c_[p, 1 - p], 30)
    overconfident = Prediction(np.c_[np.full(n, 0.999), np.full(n, 0.001)], 1)
    got = _pair(calibrated, overconfident, labels)
    assert got["ece"]["verdict"] == "better" and got["nll"]["verdict"] == "better"
    assert got["ece"]["high"] < 0
    same = _pair(calibrated, Prediction(calibrated.probs.copy(), 1), labels)
    assert same["ece"]["verdict"] == same["nll"]["verdict"] == "indistinguishable"
    assert (same["ece"]["low"], same["ece"]["high"]) == (0.0, 0.0)


def test_no_rows_no_verdict():
    empty = Prediction(np.zeros((0, 2)), 1)
    got = _pair(empty, empty, np.zeros(0, int))
    assert got["ece"]["verdict"] is None and got["ece"]["low"] is None
