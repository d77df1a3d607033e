"""engine.evaluation.uncertainty against brute-force references written independently in plain Python."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from dropout_tui.engine.evaluation.scores import SCORE_NAMES as SCORES
from dropout_tui.engine.evaluation.uncertainty import (
    COVERAGES,
    RELIABILITY_BINS,
    auroc,
    average_precision,
    decomposition,
    entropy,
    fpr_at_recall,
    ood_table,
    reliability,
    score_table,
    selective,
    uncertainty_report,
    uncertainty_scores,
)

# ---------------------------------------------------------------- brute-force references


def bf_entropy(row):
    return -sum(p * math.log(p) for p in row if p > 0)


def bf_auroc(scores, positive):
    pos = [s for s, y in zip(scores, positive, strict=True) if y]
    neg = [s for s, y in zip(scores, positive, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def bf_average_precision(scores, positive):
    n_pos = sum(bool(y) for y in positive)
    if n_pos == 0 or n_pos == len(positive):
        return None
    ap, prev_recall = 0.0, 0.0
    for t in sorted(set(scores), reverse=True):
        tp = sum(1 for s, y in zip(scores, positive, strict=True) if s >= t and y)
        fp = sum(1 for s, y in zip(scores, positive, strict=True) if s >= t and not y)
        recall = tp / n_pos
        ap += (recall - prev_recall) * tp / (tp + fp)
        prev_recall = recall
    return ap


def bf_fpr_at_recall(scores, positive, recall=0.95):
    pos = [s for s, y in zip(scores, positive, strict=True) if y]
    neg = [s for s, y in zip(scores, positive, strict=True) if not y]
    if not pos or not neg:
        return None
    best = None
    for t in set(scores):  # every score value, from both sides
        if sum(1 for s in pos if s >= t) / len(pos) >= recall and (best is None or t > best):
            best = t
    return sum(1 for s in neg if s >= best) / len(neg)


def bf_reliability(conf, correct, bins=15, edges=None):
    edges = edges if edges is not None else [i / bins for i in range(bins + 1)]
    n = len(conf)
    rows = []
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        first, last = i == 0, i == bins - 1
        members = [j for j, c in enumerate(conf) if lo < c <= hi or (first and c <= lo) or (last and c > hi)]
        if members:
            acc = sum(bool(correct[j]) for j in members) / len(members)
            mean_conf = sum(float(conf[j]) for j in members) / len(members)
            rows.append((len(members), acc, mean_conf))
        else:
            rows.append((0, None, None))
    full = [(c, abs(a - m)) for c, a, m in rows if c]
    ece = sum(c / n * g for c, g in full) if n else None
    mce = max(g for _, g in full) if full else None
    return rows, ece, mce


def bf_ace(conf, correct, bins=15):
    n = len(conf)
    if n == 0:
        return None
    order = sorted(range(n), key=lambda j: float(conf[j]))  # Python's sort is stable
    q, r = divmod(n, bins)
    sizes = [q + 1] * r + [q] * (bins - r)
    total, start = 0.0, 0
    for size in sizes:
        group = order[start : start + size]
        start += size
        if group:
            acc = sum(bool(correct[j]) for j in group) / size
            mean_conf = sum(float(conf[j]) for j in group) / size
            total += size / n * abs(acc - mean_conf)
    return total


def bf_selective(scores, correct):
    n = len(scores)
    if n == 0:
        return None, {str(c): None for c in COVERAGES}, []
    order = sorted(range(n), key=lambda j: scores[j])
    risks = []
    for k in range(1, n + 1):
        risks.append(sum(1 for j in order[:k] if not correct[j]) / k)
    acc = {}
    for c in COVERAGES:
        m = math.ceil(Fraction(str(c)) * n)
        acc[str(c)] = sum(1 for j in order[:m] if correct[j]) / m
    curve = []
    for step in range(1, 21):  # coverage 0.05 .. 1.0: the risk among the surest ceil(c*n)
        m = math.ceil(Fraction(step, 20) * n)
        curve.append([step / 20, sum(1 for j in order[:m] if not correct[j]) / m])
    return sum(risks) / n, acc, curve


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def assert_plain(obj):
    """Only dict/list/str/int/float/bool/None, no numpy scalars, no NaN: strict JSON."""
    json.dumps(obj, allow_nan=False)
    if isinstance(obj, dict):
        for key, value in obj.items():
            assert type(key) is str
            assert_plain(value)
    elif isinstance(obj, list):
        for value in obj:
            assert_plain(value)
    else:
        assert obj is None or type(obj) in (str, int, float, bool), type(obj)


# ---------------------------------------------------------------- constants and entropy


def test_constants():
    assert RELIABILITY_BINS == 15
    assert COVERAGES == (0.5, 0.8, 0.9)
    assert SCORES == ("max_prob", "mc_max_prob", "entropy", "mutual_information")


def test_entropy_matches_loop_and_zero_log_zero():
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]], dtype=np.float32)
    got = entropy(p)
    assert got.dtype == np.float64 and not np.any(np.isnan(got))
    for g, row in zip(got, p.astype(np.float64), strict=True):
        assert abs(g - bf_entropy(row)) < 1e-12
    assert got[0] == 0.0
    assert abs(got[3] - math.log(3)) < 1e-6
    assert np.array_equal(entropy(p.T, axis=0), got)


# ---------------------------------------------------------------- reliability


def check_reliability(conf, correct):
    got = reliability(conf, correct)
    rows, ece, mce = bf_reliability(list(conf), list(correct))
    assert len(got["bins"]) == 15
    for i, (row, (count, acc, mean_conf)) in enumerate(zip(got["bins"], rows, strict=True)):
        assert row["lo"] == i / 15 and row["hi"] == (i + 1) / 15
        assert row["count"] == count
        assert close(row["accuracy"], acc) and close(row["confidence"], mean_conf)
    assert close(got["ece"], ece) and close(got["mce"], mce)
    assert close(got["ace"], bf_ace(list(conf), list(correct)))
    assert_plain(got)
    return got


def test_reliability_fixed_example_with_empty_bins():
    conf = np.array([0.95, 0.9, 0.85, 0.6, 0.55, 0.4, 0.99, 0.72])
    correct = np.array([1, 1, 0, 1, 0, 0, 1, 1], dtype=bool)
    got = check_reliability(conf, correct)
    assert sum(row["count"] for row in got["bins"]) == 8
    empty = [row for row in got["bins"] if row["count"] == 0]
    assert empty and all(row["accuracy"] is None and row["confidence"] is None for row in empty)


def test_bin_edges_exactly_at_k_over_15_float64():
    conf = np.array([k / 15 for k in range(1, 16)])
    got = reliability(conf, np.ones(15, dtype=bool))
    assert [row["count"] for row in got["bins"]] == [1] * 15  # k/15 lands in bin k-1
    for k in range(1, 16):
        only = reliability(np.array([k / 15]), np.array([True]))
        assert only["bins"][k - 1]["count"] == 1
    above = np.nextafter(conf[:-1], 2.0)  # just above an edge opens the next bin
    got = reliability(above, np.ones(14, dtype=bool))
    assert [row["count"] for row in got["bins"]] == [0] + [1] * 14


def test_bin_edges_exactly_at_k_over_15_float32():
    conf = np.array([k / 15 for k in range(1, 16)], dtype=np.float32)
    got = reliability(conf, np.ones(15, dtype=bool))
    assert [row["count"] for row in got["bins"]] == [1] * 15
    edges32 = [float(np.float32(i / 15)) for i in range(16)]
    rows, ece, _ = bf_reliability([float(c) for c in conf], [True] * 15, edges=edges32)
    assert [r[0] for r in rows] == [1] * 15 and close(got["ece"], ece)


def test_confidence_exactly_zero_and_one():
    got = check_reliability(np.array([0.0, 1.0, 1.0, 0.0]), np.array([False, True, False, True]))
    assert got["bins"][0]["count"] == 2 and got["bins"][14]["count"] == 2
    assert got["ece"] == 0.5 and got["mce"] == 0.5


def test_n_smaller_than_bins_and_single_sample():
    check_reliability(np.array([0.3, 0.7, 0.71]), np.array([True, False, True]))
    got = check_reliability(np.array([0.8]), np.array([True]))
    assert abs(got["ece"] - 0.2) < 1e-12 and abs(got["ace"] - 0.2) < 1e-12


def test_reliability_empty():
    got = reliability(np.zeros(0), np.zeros(0, dtype=bool))
    assert got["ece"] is None and got["mce"] is None and got["ace"] is None
    assert all(row["count"] == 0 and row["accuracy"] is None for row in got["bins"])
    assert_plain(got)


def test_ace_ties_use_stable_order():
    conf = np.array([0.5] * 20 + [0.9] * 10)
    correct = np.array([i % 3 == 0 for i in range(30)])
    check_reliability(conf, correct)


# ---------------------------------------------------------------- AUROC, AP, FPR95


def check_ranking(scores, positive):
    scores, positive = list(map(float, scores)), list(map(bool, positive))
    assert close(auroc(np.array(scores), np.array(positive)), bf_auroc(scores, positive))
    assert close(average_precision(np.array(scores), np.array(positive)), bf_average_precision(scores, positive))
    assert close(fpr_at_recall(np.array(scores), np.array(positive)), bf_fpr_at_recall(scores, positive))


def test_ranking_fixed_with_ties():
    scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.1, 0.9]
    positive = [0, 1, 0, 1, 0, 1, 1, 0]
    check_ranking(scores, positive)
    assert auroc(np.array(scores), np.array(positive, dtype=bool)) == bf_auroc(scores, positive)


def test_ranking_known_values():
    perfect = np.array([0.1, 0.2, 0.8, 0.9]), np.array([False, False, True, True])
    assert auroc(*perfect) == 1.0 and average_precision(*perfect) == 1.0 and fpr_at_recall(*perfect) == 0.0
    inverted = np.array([0.9, 0.8, 0.2, 0.1]), np.array([False, False, True, True])
    assert auroc(*inverted) == 0.0 and fpr_at_recall(*inverted) == 1.0


def test_all_scores_equal():
    scores, positive = np.full(6, 0.3), np.array([1, 0, 1, 0, 0, 0], dtype=bool)
    assert auroc(scores, positive) == 0.5
    assert abs(average_precision(scores, positive) - 2 / 6) < 1e-15
    assert fpr_at_recall(scores, positive) == 1.0
    check_ranking(scores, positive)


def test_one_class_only_is_none():
    s = np.array([0.1, 0.2, 0.3])
    for positive in (np.ones(3, dtype=bool), np.zeros(3, dtype=bool)):
        assert auroc(s, positive) is None
        assert average_precision(s, positive) is None
        assert fpr_at_recall(s, positive) is None
    assert auroc(np.zeros(0), np.zeros(0, dtype=bool)) is None


def test_fpr95_threshold_with_twenty_positives():
    # 19/20 = 0.95 exactly: the threshold is the 19th highest positive, not the 20th.
    pos = np.arange(1, 21, dtype=np.float64)
    neg = np.array([1.5, 2.5, 10.0, 30.0])
    scores = np.r_[neg, pos]
    positive = np.r_[np.zeros(4, bool), np.ones(20, bool)]
    assert fpr_at_recall(scores, positive) == 0.75  # t = 2: 2.5, 10 and 30 of the four negatives are >= 2
    assert fpr_at_recall(scores, positive) == bf_fpr_at_recall(list(scores), list(positive))


# ---------------------------------------------------------------- selective prediction


def check_selective(scores, correct):
    got = selective(np.array(scores, dtype=np.float64), np.array(correct, dtype=bool))
    aurc, acc, curve = bf_selective(list(map(float, scores)), list(map(bool, correct)))
    assert close(got["aurc"], aurc)
    assert len(got["curve"]) == len(curve) == 20
    for (coverage, risk), (want_coverage, want_risk) in zip(got["curve"], curve):
        assert close(coverage, want_coverage) and close(risk, want_risk)
    assert list(got["accuracy_at_coverage"]) == ["0.5", "0.8", "0.9"]
    for key, value in acc.items():
        assert close(got["accuracy_at_coverage"][key], value)
    assert_plain(got)
    return got


def test_selective_fixed_with_ties_keeps_input_order():
    got = check_selective([0.2, 0.2, 0.1, 0.5, 0.2], [False, True, True, False, True])
    # order 2, 0, 1, 4, 3 -> errors 0,1,1,1,2 -> risks 0, 1/2, 1/3, 1/4, 2/5
    assert abs(got["aurc"] - (0 + 1 / 2 + 1 / 3 + 1 / 4 + 2 / 5) / 5) < 1e-15


def test_selective_all_right_all_wrong_single_empty():
    assert check_selective([0.3, 0.1, 0.2], [True] * 3)["aurc"] == 0.0
    assert check_selective([0.3, 0.1, 0.2], [False] * 3)["aurc"] == 1.0
    one = check_selective([0.4], [True])
    assert one["accuracy_at_coverage"] == {"0.5": 1.0, "0.8": 1.0, "0.9": 1.0}
    empty = selective(np.zeros(0), np.zeros(0, dtype=bool))
    assert empty == {"aurc": None, "accuracy_at_coverage": {"0.5": None, "0.8": None, "0.9": None}, "curve": []}


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 20, 30, 31, 100])
def test_coverage_counts_are_exact_ceilings(n):
    # Correct only at the sorted position ceil(c*n) - 1: accuracy there reveals the cut-off.
    scores = np.arange(n, dtype=np.float64)
    got = selective(scores, np.ones(n, dtype=bool))
    assert got["accuracy_at_coverage"] == {"0.5": 1.0, "0.8": 1.0, "0.9": 1.0}
    for c in COVERAGES:
        m = math.ceil(Fraction(str(c)) * n)
        correct = np.arange(n) < m - 1
        value = selective(scores, correct)["accuracy_at_coverage"][str(c)]
        assert value == (m - 1) / m


# ---------------------------------------------------------------- scores, table, decomposition, report


def probs_example():
    inference = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.4, 0.4, 0.2], [1.0, 0.0, 0.0], [0.2, 0.5, 0.3]])
    passes = np.array(
        [
            [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.3, 0.5, 0.2], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8]],
            [[0.8, 0.1, 0.1], [0.4, 0.4, 0.2], [0.5, 0.3, 0.2], [1.0, 0.0, 0.0], [0.3, 0.3, 0.4]],
        ]
    )
    labels = np.array([0, 2, 1, 0, 1])
    mc_mean = passes.mean(axis=0)
    expected = np.mean([[bf_entropy(row) for row in p] for p in passes], axis=0)
    return inference, mc_mean, expected, labels


def test_uncertainty_scores_by_hand():
    inference, mc_mean, expected, _ = probs_example()
    got = uncertainty_scores(inference, mc_mean, expected)
    assert list(got) == list(SCORES)
    for i in range(len(inference)):
        assert abs(got["max_prob"][i] - (1 - max(inference[i]))) < 1e-15
        assert abs(got["mc_max_prob"][i] - (1 - max(mc_mean[i]))) < 1e-15
        assert abs(got["entropy"][i] - bf_entropy(mc_mean[i])) < 1e-12
        assert abs(got["mutual_information"][i] - max(0.0, bf_entropy(mc_mean[i]) - expected[i])) < 1e-12
    assert got["mutual_information"][3] == 0.0  # identical one-hot passes: no disagreement, never negative


def test_mutual_information_clipped_at_zero():
    mc_mean = np.array([[0.5, 0.5]])
    got = uncertainty_scores(mc_mean, mc_mean, np.array([math.log(2) + 1e-9]))
    assert got["mutual_information"][0] == 0.0


def test_score_table_judges_each_score_against_its_prediction():
    inference, mc_mean, expected, labels = probs_example()
    table = score_table(inference, mc_mean, expected, labels)
    assert list(table) == list(SCORES)
    inference_right = [int(np.argmax(r)) == y for r, y in zip(inference, labels, strict=True)]
    mc_right = [int(np.argmax(r)) == y for r, y in zip(mc_mean, labels, strict=True)]
    assert inference_right != mc_right  # the example separates the two predictions
    scores = uncertainty_scores(inference, mc_mean, expected)
    for name in SCORES:
        right = inference_right if name == "max_prob" else mc_right
        s = list(map(float, scores[name]))
        assert close(table[name]["auroc_error"], bf_auroc(s, [not r for r in right]))
        aurc, acc, _ = bf_selective(s, right)
        assert close(table[name]["aurc"], aurc) and table[name]["accuracy_at_coverage"] == pytest.approx(acc)
    assert_plain(table)


def test_score_table_all_right_has_no_auroc():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    table = score_table(probs, probs, entropy(probs), np.array([0, 1, 0]))
    assert all(row["auroc_error"] is None and row["aurc"] == 0.0 for row in table.values())


def test_decomposition_means():
    _, mc_mean, expected, _ = probs_example()
    got = decomposition(mc_mean, expected)
    h = [bf_entropy(r) for r in mc_mean]
    assert close(got["entropy"], sum(h) / len(h))
    assert close(got["expected_entropy"], float(np.mean(expected)))
    assert close(got["mutual_information"], sum(max(0.0, a - b) for a, b in zip(h, expected, strict=True)) / len(h))
    assert_plain(got)
    assert decomposition(np.zeros((0, 3)), np.zeros(0)) == {
        "entropy": None,
        "expected_entropy": None,
        "mutual_information": None,
    }


def test_ood_table_matches_brute_force():
    inside = {"entropy": np.array([0.1, 0.2, 0.2, 0.5]), "max_prob": np.array([0.0, 0.1, 0.3, 0.3])}
    outside = {"entropy": np.array([0.2, 0.6, 0.9]), "max_prob": np.array([0.3, 0.3, 0.05])}
    got = ood_table(inside, outside)
    assert list(got) == ["entropy", "max_prob"]
    for name in got:
        s = list(inside[name]) + list(outside[name])
        y = [False] * len(inside[name]) + [True] * len(outside[name])
        assert close(got[name]["auroc"], bf_auroc(s, y))
        assert close(got[name]["aupr"], bf_average_precision(s, y))
        assert close(got[name]["fpr95"], bf_fpr_at_recall(s, y))
    assert_plain(got)


def test_ood_table_equal_scores_and_empty_side():
    same = ood_table({"entropy": np.full(3, 0.4)}, {"entropy": np.full(2, 0.4)})["entropy"]
    assert same == {"auroc": 0.5, "aupr": 0.4, "fpr95": 1.0}
    empty = ood_table({"entropy": np.array([0.1, 0.2])}, {"entropy": np.zeros(0)})["entropy"]
    assert empty == {"auroc": None, "aupr": None, "fpr95": None}


def test_report_shape_and_strict_json():
    inference, mc_mean, expected, labels = probs_example()
    ood = {"source": "noise", "n": 3, "scores": {"entropy": {"auroc": 0.9, "aupr": 0.8, "fpr95": None}}}
    got = uncertainty_report(inference.astype(np.float32), mc_mean.astype(np.float32), expected, labels, ood=ood)
    assert list(got) == ["reliability", "scores", "decomposition", "ood", "gaps"]
    assert list(got["gaps"]["auroc_error"]) == list(SCORES[1:])  # each against max_prob
    assert list(got["reliability"]) == ["inference", "mc"]
    assert got["ood"] is ood
    assert list(got["scores"]) == list(SCORES)
    assert_plain(got)
    assert uncertainty_report(inference, mc_mean, expected, labels)["ood"] is None


@pytest.mark.parametrize("n", [0, 1])
def test_report_tiny_test_sets(n):
    inference, mc_mean, expected, labels = (a[:n] for a in probs_example())
    got = uncertainty_report(inference, mc_mean, expected, labels)
    assert_plain(got)
    if n == 0:
        assert got["reliability"]["mc"]["ece"] is None and got["scores"]["entropy"]["aurc"] is None


# ---------------------------------------------------------------- randomized comparison


@pytest.mark.parametrize("seed", range(8))
def test_randomized_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    # Coarse rounding forces ties; some exact 0, 1 and k/15 values test the edges.
    scores = np.round(rng.random(n), 1)
    flags = rng.random(n) < rng.uniform(0.1, 0.9)
    check_ranking(scores, flags)
    check_selective(scores, flags)
    conf = rng.choice(np.r_[np.round(rng.random(n), 2), np.arange(16) / 15], size=n)
    check_reliability(conf, flags)
    ood_in, ood_out = rng.normal(0, 1, int(rng.integers(1, 30))), rng.normal(1, 1, int(rng.integers(1, 30)))
    got = ood_table({"entropy": np.round(ood_in, 1)}, {"entropy": np.round(ood_out, 1)})["entropy"]
    s = list(np.round(ood_in, 1)) + list(np.round(ood_out, 1))
    y = [False] * len(ood_in) + [True] * len(ood_out)
    assert close(got["auroc"], bf_auroc(s, y)) and close(got["aupr"], bf_average_precision(s, y))
    assert close(got["fpr95"], bf_fpr_at_recall(s, y))


def test_error_gaps_are_the_paired_bootstrap_of_each_score_against_max_prob():
    from dropout_tui.engine.evaluation.bootstrap import paired_bootstrap, weighted_auroc
    from dropout_tui.engine.evaluation.uncertainty import error_gaps, ood_gaps

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, size=200)
    inference = rng.dirichlet(np.ones(3), size=200) + 0.4 * np.eye(3)[labels]
    inference /= inference.sum(axis=1, keepdims=True)
    mc_mean = 0.7 * inference + 0.3 * rng.dirichlet(np.ones(3), size=200)
    expected = 0.8 * entropy(mc_mean)
    gaps = error_gaps(inference, mc_mean, expected, labels, seed=3)
    scores = uncertainty_scores(inference, mc_mean, expected)
    wrong_off = np.argmax(inference, axis=1) != labels
    wrong_mc = np.argmax(mc_mean, axis=1) != labels
    for name in SCORES[1:]:
        direct = paired_bootstrap(
            weighted_auroc, (scores[name], wrong_mc), (scores["max_prob"], wrong_off), seed=3
        ).to_json()
        assert gaps[name] == direct
        assert gaps[name]["gap"] == pytest.approx(auroc(scores[name], wrong_mc) - auroc(scores["max_prob"], wrong_off))
    # OOD: rows are the test set and the OOD inputs; a score against itself is indistinguishable.
    same = ood_gaps(
        {"max_prob": scores["max_prob"], "entropy": scores["max_prob"]},
        {"max_prob": scores["entropy"][:50], "entropy": scores["entropy"][:50]},
        seed=0,
    )
    assert same == {"entropy": {"gap": 0.0, "low": 0.0, "high": 0.0, "distinguishable": False}}
