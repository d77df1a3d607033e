"""The paired bootstrap behind "better" on the Uncertainty screen, against plain computations."""

from __future__ import annotations

import numpy as np
import pytest

from dropout_tui.engine.evaluation import bootstrap
from dropout_tui.engine.evaluation.bootstrap import UNDEFINED, counts, paired_bootstrap, weighted_auroc
from dropout_tui.engine.evaluation.methods import Prediction, comparisons
from dropout_tui.engine.evaluation.uncertainty import auroc, reliability


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


# ---------------------------------------------------------------- paired_bootstrap: any metric, as a Gap

# Ties on purpose: a saturated softmax gives many scores of exactly 0.
SCORES = np.array([0.0, 0.0, 0.0, 0.1, 0.1, 0.4, 0.5, 0.5, 0.9, 0.0, 0.3, 0.7])
ERRORS = np.array([0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1], dtype=bool)


def _mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return (weights @ values) / weights.sum(axis=1)


def _plain(metric, a, b, seed: int) -> np.ndarray:
    """The same resamples as rows drawn and copied (bootstrap.resample's draws), the metric once per resample."""
    rng, n = np.random.default_rng(seed), len(a[0])
    chunks = range(0, bootstrap.RESAMPLES, bootstrap.CHUNK)
    drawn = np.concatenate([rng.integers(0, n, size=(bootstrap.CHUNK, n), dtype=np.int32) for _ in chunks])
    # Rows in index order: the weighted metrics order ties by row, as a sorted copy does.
    rows = [np.sort(idx) for idx in drawn]
    return np.array([metric(*(x[idx] for x in a)) - metric(*(x[idx] for x in b)) for idx in rows])


def test_the_counts_are_how_often_each_resample_draws_a_row():
    drawn = np.random.default_rng(3).integers(0, 7, size=(50, 7))
    weights = counts(drawn, 7)
    assert weights.shape == (50, 7) and (weights.sum(axis=1) == 7).all()
    assert (weights == np.stack([np.bincount(row, minlength=7) for row in drawn])).all()


def test_the_weighted_auroc_is_the_auroc_of_the_resampled_rows():
    assert weighted_auroc((SCORES, ERRORS), np.ones((1, len(SCORES))))[0] == pytest.approx(auroc(SCORES, ERRORS))
    weights = counts(np.random.default_rng(1).integers(0, len(SCORES), size=(40, len(SCORES))), len(SCORES))
    for drawn, value in zip(weights, weighted_auroc((SCORES, ERRORS), weights)):
        idx = np.repeat(np.arange(len(SCORES)), drawn.astype(int))
        expected = auroc(SCORES[idx], ERRORS[idx])
        assert (np.isnan(value) and expected is None) or value == pytest.approx(expected)


def test_the_weighted_auroc_is_undefined_without_both_kinds_of_row():
    weights = np.ones((1, 4))
    assert np.isnan(weighted_auroc((np.arange(4.0), np.zeros(4, bool)), weights)[0])
    assert np.isnan(weighted_auroc((np.arange(4.0), np.ones(4, bool)), weights)[0])


def test_the_gap_and_interval_match_a_plain_loop():
    hits_a = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1], float)
    hits_b = np.array([1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], float)
    result = paired_bootstrap(_mean, hits_a, hits_b, seed=5)
    gaps = _plain(lambda x: x.mean(), (hits_a,), (hits_b,), seed=5)
    assert result.gap == pytest.approx(hits_a.mean() - hits_b.mean())
    assert (result.low, result.high) == pytest.approx(tuple(np.percentile(gaps, [2.5, 97.5])))


def test_an_auroc_gap_matches_a_plain_loop():
    other = SCORES[::-1].copy()
    result = paired_bootstrap(weighted_auroc, (SCORES, ERRORS), (other, ERRORS), seed=2)
    gaps = _plain(lambda s, e: auroc(s, e) or np.nan, (SCORES, ERRORS), (other, ERRORS), seed=2)
    gaps = gaps[np.isfinite(gaps)]
    assert result.gap == pytest.approx(auroc(SCORES, ERRORS) - auroc(other, ERRORS))
    assert (result.low, result.high) == pytest.approx(tuple(np.percentile(gaps, [2.5, 97.5])))


def test_identical_methods_are_indistinguishable():
    result = paired_bootstrap(weighted_auroc, (SCORES, ERRORS), (SCORES.copy(), ERRORS), seed=0)
    assert (result.gap, result.low, result.high, result.distinguishable) == (0.0, 0.0, 0.0, False)


def test_a_clear_difference_is_distinguishable_and_a_small_one_on_few_rows_is_not():
    rng = np.random.default_rng(0)
    errors = rng.random(400) < 0.2
    good = errors + rng.normal(0, 0.3, 400)  # ranks the errors well
    useless = rng.normal(0, 1, 400)
    clear = paired_bootstrap(weighted_auroc, (good, errors), (useless, errors), seed=0)
    assert clear.distinguishable and clear.low > 0 and clear.gap > 0.3
    assert paired_bootstrap(weighted_auroc, (useless, errors), (good, errors), seed=0).high < 0  # and the other way
    slight = good[:40] + rng.normal(0, 0.05, 40)  # the same score with a little noise, on 40 rows
    assert not paired_bootstrap(weighted_auroc, (good[:40], errors[:40]), (slight, errors[:40]), seed=0).distinguishable


def test_a_seed_gives_one_answer():
    rng = np.random.default_rng(1)
    a, b = rng.random(50), rng.random(50)
    assert paired_bootstrap(_mean, a, b, seed=7) == paired_bootstrap(_mean, a, b, seed=7)
    assert paired_bootstrap(_mean, a, b, seed=7) != paired_bootstrap(_mean, a, b, seed=8)


def test_edges_no_rows_no_errors_and_rows_that_do_not_pair():
    assert paired_bootstrap(_mean, np.zeros(0), np.zeros(0), seed=0) == UNDEFINED
    no_errors = np.zeros(len(SCORES), bool)
    assert paired_bootstrap(weighted_auroc, (SCORES, no_errors), (SCORES, no_errors), seed=0) == UNDEFINED

    def rare(values: np.ndarray, weights: np.ndarray) -> np.ndarray:  # defined only where row 0 is drawn twice
        return np.where(weights[:, 0] > 1, _mean(values, weights), np.nan)

    result = paired_bootstrap(rare, np.arange(12.0), np.zeros(12), seed=0)
    assert np.isnan(rare(np.arange(12.0), np.ones((1, 12)))[0])  # not even on the test set itself
    assert result == UNDEFINED

    def rare_resamples(values: np.ndarray, weights: np.ndarray) -> np.ndarray:  # defined on the test set itself
        return _mean(values, weights) if len(weights) == 1 else rare(values, weights)

    result = paired_bootstrap(rare_resamples, np.arange(12.0), np.zeros(12), seed=0)
    assert result.gap == 5.5 and (result.low, result.distinguishable) == (None, False)  # too few resamples to judge
    with pytest.raises(ValueError, match="share the test rows"):
        paired_bootstrap(_mean, np.zeros(3), np.zeros(4), seed=0)
