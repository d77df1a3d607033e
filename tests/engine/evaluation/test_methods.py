"""engine.evaluation.temperature and engine.evaluation.methods against plain NumPy/Python on fixed arrays."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dropout_tui.engine.evaluation.methods import (
    CLASSIFICATION_FIGURES,
    METHOD_NAMES,
    Prediction,
    classification_figures,
    classification_report,
)
from dropout_tui.engine.evaluation.temperature import T_MAX, T_MIN, cross_fitted, fit_temperature, halves
from dropout_tui.engine.model.heads import Head
from tests.engine.evaluation.test_uncertainty import bf_auroc, bf_reliability, bf_selective


def plain_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def plain_nll(z, y, t):
    scaled = z / t
    top = scaled.max(axis=1, keepdims=True)
    log_p = scaled - top - np.log(np.exp(scaled - top).sum(axis=1, keepdims=True))
    return float(np.mean(-log_p[np.arange(len(y)), y]))


def grid_temperature(z, y):
    """The brute-force answer: the best T on a fine log grid, then a finer grid around it."""
    grid = np.exp(np.linspace(np.log(T_MIN), np.log(T_MAX), 4001))
    best = grid[int(np.argmin([plain_nll(z, y, t) for t in grid]))]
    fine = np.linspace(best * 0.995, best * 1.005, 2001)
    return float(fine[int(np.argmin([plain_nll(z, y, t) for t in fine]))])


def calibrated(n, classes, seed):
    """Logits whose labels are drawn from their own softmax: the best temperature is 1 (up to sampling noise)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, size=(n, classes))
    p = plain_softmax(z)
    y = np.array([rng.choice(classes, p=row) for row in p])
    return z, y


# ---------------------------------------------------------------- temperature


def test_overconfident_logits_scaled_by_three_fit_a_temperature_of_three():
    z, y = calibrated(6000, 4, 0)
    t_one = fit_temperature(z, y)
    assert abs(t_one - 1.0) < 0.06  # calibrated: no scaling needed, up to sampling noise
    assert fit_temperature(3.0 * z, y) == pytest.approx(3.0 * t_one, rel=1e-9)  # NLL(3z / 3t) = NLL(z / t)
    assert abs(fit_temperature(3.0 * z, y) - 3.0) < 0.2


@pytest.mark.parametrize("seed", range(3))
def test_fit_is_the_brute_force_minimum(seed):
    z, y = calibrated(50, 3, seed)
    z = 2.0 * z
    got = fit_temperature(z, y)
    assert got == pytest.approx(grid_temperature(z, y), rel=1e-5)
    assert plain_nll(z, y, got) <= min(plain_nll(z, y, got * 1.001), plain_nll(z, y, got / 1.001))


def test_fit_edges_bounds_and_no_rows():
    z = np.array([[4.0, 0.0], [0.0, 4.0]])
    assert fit_temperature(z, np.array([0, 1])) == T_MIN  # all right and separable: as sharp as allowed
    assert fit_temperature(z, np.array([1, 0])) == T_MAX  # all wrong: as flat as allowed
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, int)) == 1.0
    assert fit_temperature(np.zeros((4, 3)), np.array([0, 1, 2, 0])) in (T_MIN, T_MAX)  # flat NLL: any T


def test_cross_fitting_scales_each_half_with_the_other_halfs_temperature():
    z, y = calibrated(101, 3, 1)
    z = 2.0 * z
    a, b = halves(101, seed=7)
    assert len(a) == 50 and len(b) == 51 and sorted(np.r_[a, b]) == list(range(101))
    assert np.array_equal(halves(101, seed=7)[0], a) and not np.array_equal(halves(101, seed=8)[0], a)
    probs, (t_a, t_b) = cross_fitted(z, y, seed=7)
    assert t_a == pytest.approx(grid_temperature(z[a], y[a]), rel=1e-5)
    assert t_b == pytest.approx(grid_temperature(z[b], y[b]), rel=1e-5)
    assert np.allclose(probs[b], plain_softmax(z[b] / t_a)) and np.allclose(probs[a], plain_softmax(z[a] / t_b))


def test_cross_fitting_one_row_leaves_it_unscaled():
    probs, temps = cross_fitted(np.array([[1.0, 2.0]]), np.array([1]), seed=0)
    assert temps[0] == 1.0 and np.allclose(probs, plain_softmax(np.array([[1.0, 2.0]])))


@pytest.mark.parametrize(
    "activation,outputs",
    [
        ("logits", np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])),
        ("softmax", np.array([[0.7, 0.2, 0.1], [1.0, 0.0, 0.0]])),
        ("sigmoid", np.array([[0.9], [0.2], [1.0], [0.0]])),
        ("binary_logits", np.array([[2.2], [-0.4], [0.0]])),
    ],
)
def test_head_logits_give_back_the_probabilities(activation, outputs):
    units = outputs.shape[1]
    head = Head("classification", activation, units, max(units, 2), "")
    logits = head.logits_numpy(outputs)
    assert np.all(np.isfinite(logits))
    assert np.allclose(plain_softmax(logits), head.probabilities_numpy(outputs), atol=1e-6)


def test_a_one_unit_head_scales_its_logit():
    head = Head("classification", "binary_logits", 1, 2, "")
    z = np.array([[2.2], [-0.4]])
    scaled = plain_softmax(head.logits_numpy(z) / 2.5)[:, 1]
    assert np.allclose(scaled, 1.0 / (1.0 + np.exp(-z[:, 0] / 2.5)))
    sigmoid = Head("classification", "sigmoid", 1, 2, "")
    s = np.array([[0.9]])
    assert np.allclose(plain_softmax(sigmoid.logits_numpy(s) / 2.0)[:, 1], 1.0 / (1.0 + (0.1 / 0.9) ** 0.5))


# ---------------------------------------------------------------- figures


def plain_figures(probs, labels, predicted=None):
    probs = np.asarray(probs)
    predicted = np.argmax(probs, axis=1) if predicted is None else predicted
    correct = [bool(p == y) for p, y in zip(predicted, labels, strict=True)]
    confidence = [float(row.max()) for row in probs]
    score = [1.0 - float(row.astype(np.float64).max()) for row in probs]
    n = len(labels)
    _, ece, _ = bf_reliability(list(probs.max(axis=1)) if n else [], correct)
    aurc, _, _ = bf_selective(score, correct)
    return {
        "accuracy": sum(correct) / n if n else None,
        "nll": sum(-math.log(max(float(probs[i, labels[i]]), 1e-12)) for i in range(n)) / n if n else None,
        "ece": ece,
        "brier": sum(sum((float(probs[i, k]) - (k == labels[i])) ** 2 for k in range(probs.shape[1])) for i in range(n))
        / n
        if n
        else None,
        "auroc_error": bf_auroc(score, [not c for c in correct]),
        "aurc": aurc,
        "confidence": confidence,
    }


def assert_figures(got, want, passes, rel=1e-9):
    assert list(got)[: len(CLASSIFICATION_FIGURES)] == list(CLASSIFICATION_FIGURES)
    assert got["passes"] == passes
    for key in CLASSIFICATION_FIGURES[:-1]:
        if want[key] is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(want[key], rel=rel, abs=1e-12), key


PROBS = np.array(
    [[0.7, 0.2, 0.1], [0.4, 0.4, 0.2], [0.1, 0.6, 0.3], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0], [0.2, 0.2, 0.6]]
)
LABELS = np.array([0, 1, 2, 1, 0, 2])


@pytest.mark.parametrize(
    "probs,labels",
    [
        (PROBS, LABELS),  # ties in the top probability and between scores
        (PROBS, np.zeros(6, int)),
        (PROBS[[0, 4]], np.array([0, 0])),  # every prediction right: no AUROC
        (PROBS.astype(np.float32), LABELS),
    ],
)
def test_figures_match_plain_python(probs, labels):
    rel = 1e-6 if probs.dtype == np.float32 else 1e-9  # NLL and Brier are summed in the outputs' own float32
    assert_figures(classification_figures(Prediction(probs, 3), labels), plain_figures(probs, labels), 3, rel)


def test_figures_of_an_empty_test_set_are_none():
    got = classification_figures(Prediction(np.zeros((0, 3)), 1), np.zeros(0, int))
    assert all(got[key] is None for key in CLASSIFICATION_FIGURES[:-1]) and got["passes"] == 1


def test_a_fixed_prediction_keeps_accuracy_exactly():
    """Scaling never changes the prediction: with ties broken differently after scaling, the given argmax wins."""
    tied = np.array([[0.5, 0.5], [0.3, 0.7]])
    scaled = np.array([[0.4999, 0.5001], [0.2, 0.8]])
    predicted = np.argmax(tied, axis=1)
    got = classification_figures(Prediction(scaled, 1, predicted=predicted), np.array([0, 1]))
    assert got["accuracy"] == classification_figures(Prediction(tied, 1), np.array([0, 1]))["accuracy"] == 1.0
    assert_figures(got, plain_figures(scaled, np.array([0, 1]), predicted), 1)


def _report(n=40, seed=0):
    rng = np.random.default_rng(seed)
    inference = rng.dirichlet(np.ones(4), size=n)
    mc = (inference + rng.dirichlet(np.ones(4), size=n)) / 2
    logits = np.log(inference)
    scaled, temps = cross_fitted(logits, labels := rng.integers(0, 4, size=n), seed=seed)
    extra = {"temperature": float(np.mean(temps)), "temperatures": list(temps)}
    expected = np.full(n, 0.5)
    predictions = {
        "inference": Prediction(inference, 1),
        "mc": Prediction(mc, 10, expected_entropy=expected),
        "temperature_scaled": Prediction(scaled, 1, predicted=np.argmax(inference, axis=1), extra=extra),
    }
    return predictions, labels


def test_report_has_every_method_in_registry_order_and_accuracy_is_shared():
    predictions, labels = _report()
    got = json.loads(json.dumps(classification_report(predictions, labels)))
    assert list(got["methods"]) == [m for m in METHOD_NAMES if m in predictions]
    assert list(got["reliability"]) == list(got["methods"])
    methods = got["methods"]
    assert methods["temperature_scaled"]["accuracy"] == methods["inference"]["accuracy"]
    assert methods["temperature_scaled"]["temperature"] == pytest.approx(
        sum(methods["temperature_scaled"]["temperatures"]) / 2
    )
    for name in methods:
        assert methods[name]["ece"] == got["reliability"][name]["ece"]
    assert methods["inference"]["aurc"] == got["scores"]["max_prob"]["aurc"]
    assert methods["mc"]["auroc_error"] == got["scores"]["mc_max_prob"]["auroc_error"]
    assert got["ood"] is None
    assert [(c["a"], c["b"], c["metric"]) for c in got["comparisons"]] == [
        ("mc", "temperature_scaled", "ece"),
        ("mc", "temperature_scaled", "nll"),
        ("mc", "inference", "ece"),
        ("mc", "inference", "nll"),
    ]
    assert got["comparisons"][0]["a_value"] == methods["mc"]["ece"]


def test_each_method_detects_ood_by_its_own_scores():
    predictions, labels = _report()
    far, _ = _report(n=25, seed=1)
    ood = {"source": "noise", "n": 25, "scores": {}}
    got = classification_report(predictions, labels, ood, far)["ood"]["methods"]
    assert {name: list(table) for name, table in got.items()} == {
        "inference": ["max_prob"],
        "temperature_scaled": ["max_prob"],
        "mc": ["max_prob", "mutual_information"],
    }
    inside = 1.0 - predictions["temperature_scaled"].probs.max(axis=1)
    outside = 1.0 - far["temperature_scaled"].probs.max(axis=1)
    want = bf_auroc(list(inside) + list(outside), [False] * 40 + [True] * 25)
    assert got["temperature_scaled"]["max_prob"]["auroc"] == pytest.approx(want)
