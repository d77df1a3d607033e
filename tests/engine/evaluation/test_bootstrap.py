"""The paired bootstrap against a plain NumPy loop over explicitly resampled rows, on fixed arrays."""

from __future__ import annotations

import numpy as np
import pytest

from dropout_tui.engine.evaluation.bootstrap import (
    UNDEFINED,
    paired_bootstrap,
    resample_weights,
    weighted_auroc,
    weighted_mean,
)
from dropout_tui.engine.evaluation.uncertainty import auroc

# Ties on purpose: a saturated softmax gives many scores of exactly 0.
SCORES = np.array([0.0, 0.0, 0.0, 0.1, 0.1, 0.4, 0.5, 0.5, 0.9, 0.0, 0.3, 0.7])
ERRORS = np.array([0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1], dtype=bool)


def _plain(metric, a, b, seed: int, resamples: int) -> np.ndarray:
    """The same resamples as rows drawn and copied, the metric computed once per resample."""
    drawn = np.random.default_rng(seed).integers(0, len(a[0]), size=(resamples, len(a[0])))
    # Rows in index order: the weighted metrics order ties by row, as a sorted copy does.
    rows = [np.sort(idx) for idx in drawn]
    return np.array([metric(*(x[idx] for x in a)) - metric(*(x[idx] for x in b)) for idx in rows])


def test_the_weights_count_the_rows_each_resample_draws():
    weights = resample_weights(7, 50, seed=3)
    drawn = np.random.default_rng(3).integers(0, 7, size=(50, 7))
    assert weights.shape == (50, 7) and (weights.sum(axis=1) == 7).all()
    assert (weights == np.stack([np.bincount(row, minlength=7) for row in drawn])).all()


def test_the_weighted_auroc_is_the_auroc_of_the_resampled_rows():
    assert weighted_auroc((SCORES, ERRORS), np.ones((1, len(SCORES))))[0] == pytest.approx(auroc(SCORES, ERRORS))
    weights = resample_weights(len(SCORES), 40, seed=1)
    for counts, value in zip(weights, weighted_auroc((SCORES, ERRORS), weights)):
        idx = np.repeat(np.arange(len(SCORES)), counts.astype(int))
        expected = auroc(SCORES[idx], ERRORS[idx])
        assert (np.isnan(value) and expected is None) or value == pytest.approx(expected)


def test_the_weighted_auroc_is_undefined_without_both_kinds_of_row():
    weights = np.ones((1, 4))
    assert np.isnan(weighted_auroc((np.arange(4.0), np.zeros(4, bool)), weights)[0])
    assert np.isnan(weighted_auroc((np.arange(4.0), np.ones(4, bool)), weights)[0])


def test_the_gap_and_interval_match_a_plain_loop():
    hits_a = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1], float)
    hits_b = np.array([1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], float)
    result = paired_bootstrap(weighted_mean, hits_a, hits_b, seed=5, resamples=200)
    gaps = _plain(lambda x: x.mean(), (hits_a,), (hits_b,), seed=5, resamples=200)
    assert result.gap == pytest.approx(hits_a.mean() - hits_b.mean())
    assert (result.low, result.high) == pytest.approx(tuple(np.percentile(gaps, [2.5, 97.5])))


def test_an_auroc_gap_matches_a_plain_loop():
    other = SCORES[::-1].copy()
    result = paired_bootstrap(weighted_auroc, (SCORES, ERRORS), (other, ERRORS), seed=2, resamples=100)
    gaps = _plain(lambda s, e: auroc(s, e) or np.nan, (SCORES, ERRORS), (other, ERRORS), seed=2, resamples=100)
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
    assert paired_bootstrap(weighted_mean, a, b, seed=7) == paired_bootstrap(weighted_mean, a, b, seed=7)
    assert paired_bootstrap(weighted_mean, a, b, seed=7) != paired_bootstrap(weighted_mean, a, b, seed=8)


def test_edges_no_rows_no_errors_and_rows_that_do_not_pair():
    assert paired_bootstrap(weighted_mean, np.zeros(0), np.zeros(0), seed=0) == UNDEFINED
    no_errors = np.zeros(len(SCORES), bool)
    assert paired_bootstrap(weighted_auroc, (SCORES, no_errors), (SCORES, no_errors), seed=0) == UNDEFINED

    def rare(values: np.ndarray, weights: np.ndarray) -> np.ndarray:  # defined only where row 0 is drawn twice
        return np.where(weights[:, 0] > 1, weighted_mean(values, weights), np.nan)

    result = paired_bootstrap(rare, np.arange(12.0), np.zeros(12), seed=0)
    assert np.isnan(rare(np.arange(12.0), np.ones((1, 12)))[0])  # not even on the test set itself
    assert result == UNDEFINED

    def rare_resamples(values: np.ndarray, weights: np.ndarray) -> np.ndarray:  # defined on the test set itself
        return weighted_mean(values, weights) if len(weights) == 1 else rare(values, weights)

    result = paired_bootstrap(rare_resamples, np.arange(12.0), np.zeros(12), seed=0)
    assert result.gap == 5.5 and (result.low, result.distinguishable) == (None, False)  # too few resamples to judge
    with pytest.raises(ValueError, match="share the test rows"):
        paired_bootstrap(weighted_mean, np.zeros(3), np.zeros(4), seed=0)
