"""Metrics against cases small enough to compute by hand."""

import math

import numpy as np
import pytest

from dropout_tui.engine.evaluation import metrics

PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5], [0.9, 0.05, 0.05]])
LABELS = np.array([0, 2, 2, 1])


def test_accuracy():
    assert metrics.accuracy(PROBS, LABELS) == 0.5  # rows 0 and 2 right


def test_nll_is_mean_negative_log_of_true_class():
    expected = -(math.log(0.7) + math.log(0.3) + math.log(0.5) + math.log(0.05)) / 4
    assert metrics.nll(PROBS, LABELS) == pytest.approx(expected)


def test_nll_clips_zero_probability():
    value = metrics.nll(np.array([[1.0, 0.0]]), np.array([1]))
    assert math.isfinite(value) and value == pytest.approx(-math.log(metrics.EPS))


def test_brier_sums_squares_over_classes():
    expected = np.mean(
        [
            0.3**2 + 0.2**2 + 0.1**2,
            0.1**2 + 0.6**2 + 0.7**2,
            0.25**2 + 0.25**2 + 0.5**2,
            0.9**2 + 0.95**2 + 0.05**2,
        ]
    )
    assert metrics.brier(PROBS, LABELS) == pytest.approx(expected)


def test_ece_hand_computed():
    # Confidences 0.7, 0.6, 0.5, 0.9 fall in four different 1/15-wide bins, one
    # sample each: ECE = mean |correct - confidence|.
    expected = (abs(1 - 0.7) + abs(0 - 0.6) + abs(1 - 0.5) + abs(0 - 0.9)) / 4
    assert metrics.ece(PROBS, LABELS) == pytest.approx(expected)


def test_ece_averages_within_a_bin():
    probs = np.array([[0.8, 0.2], [0.78, 0.22], [0.21, 0.79]])  # all in bin (11/15, 12/15]
    labels = np.array([0, 1, 1])
    accuracy_in_bin, confidence_in_bin = 2 / 3, (0.8 + 0.78 + 0.79) / 3
    assert metrics.ece(probs, labels) == pytest.approx(abs(accuracy_in_bin - confidence_in_bin))


def test_ece_of_perfectly_confident_correct_predictions_is_zero():
    assert metrics.ece(np.eye(3), np.arange(3)) == 0.0


def test_entropy():
    assert metrics.entropy(np.array([0.5, 0.5])) == pytest.approx(math.log(2))
    assert metrics.entropy(np.array([1.0, 0.0, 0.0])) == 0.0
    np.testing.assert_allclose(metrics.entropy(np.full((2, 4), 0.25), axis=-1), [math.log(4)] * 2)


def test_mutual_information_disagreeing_passes():
    # Two confident passes that disagree: H[mean] = log 2, each pass has H = 0.
    passes = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert metrics.mutual_information(passes) == pytest.approx(math.log(2))


def test_mutual_information_agreeing_passes_is_zero():
    passes = np.array([[0.3, 0.7]] * 5)
    assert metrics.mutual_information(passes) == pytest.approx(0.0, abs=1e-12)


def test_mutual_information_hand_computed_mixture():
    passes = np.array([[0.9, 0.1], [0.5, 0.5]])

    def h(p):
        return -sum(q * math.log(q) for q in p)

    expected = h([0.7, 0.3]) - (h([0.9, 0.1]) + h([0.5, 0.5])) / 2
    assert metrics.mutual_information(passes) == pytest.approx(expected)


def test_mutual_information_vectorised_over_samples():
    passes = np.array([[[1.0, 0.0], [0.3, 0.7]], [[0.0, 1.0], [0.3, 0.7]]])  # (T=2, n=2, C=2)
    np.testing.assert_allclose(metrics.mutual_information(passes), [math.log(2), 0.0], atol=1e-12)
