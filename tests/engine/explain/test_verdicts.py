"""Verdicts follow the numbers: contrived numbers flip every claim's verdict (no TensorFlow)."""

import json
import math

import pytest

from dropout_tui.engine.explain import verdicts as v
from dropout_tui.engine.explain.report import CLAIM_TEXTS, ClaimResult, ExplainReport, Measurement

# Numbers shaped like a real Keras 3.15 run; each test changes only what it needs.
SCALING = {
    "rate": 0.5,
    "units": 10000,
    "inference_max_abs_diff_from_input": 0.0,
    "inference_max_abs_diff_from_scaled": 0.75,
    "training_zero_fraction": 0.5,
    "training_kept_scale": 2.0,
    "training_off_grid": 0,
    "training_mean_ratio": 1.0,
}
TRAINABLE = {
    "trainable_by_default": 1.0,
    "predict_max_abs_diff": 0.0,
    "evaluate_loss_diff": 0.0,
    "evaluate_accuracy_diff": 0.0,
    "training_call_max_abs_diff": 0.44,
}
MULTIPROCESSING = {"raised": 1.0, "warnings": 0, "pydataset_exists": 1.0, "pydataset_has_workers": 1.0}
TEST_TIME = {
    "repeats": 20,
    "n_test": 360,
    "inference_accuracy": 0.95,
    "inference_loss": 0.19,
    "training_accuracy_mean": 0.94,
    "training_accuracy_std": 0.007,
    "training_accuracy_min": 0.93,
    "training_accuracy_max": 0.96,
    "training_loss_mean": 0.22,
    "training_loss_std": 0.007,
    "training_loss_min": 0.21,
    "training_loss_max": 0.24,
}
TRAINING_LOSS = {
    "epochs": 10,
    "fit_last_epoch_loss": 0.219,
    "train_loss_inference": 0.173,
    "train_loss_dropout": 0.206,
    "test_loss_inference": 0.188,
    "dropout_share_of_gap": 0.73,
    "averaging_share_of_gap": 0.27,
}
LATER = {
    "weights_max_abs_diff_after_call": 0.0,
    "seed_state_advanced": 1.0,
    "final_weights_diff_training_call": 0.005,
    "final_weights_diff_predict": 0.0,
    "final_weights_diff_evaluate": 0.0,
    "final_weights_diff_inference_call": 0.0,
    "bn_moving_stats_shift": 0.12,
    "bn_inference_max_abs_diff": 0.0008,
    "bn_shift_dropout_only": 0.0,
}
FUNCTIONAL = {
    "predict_max_abs_diff": 0.0,
    "evaluate_loss_diff": 0.0,
    "direct_call_max_abs_diff": 0.41,
    "subclass_predict_max_abs_diff": 0.39,
}
MC = {
    "samples": 50,
    "inference_accuracy": 0.953,
    "inference_nll": 0.188,
    "inference_ece": 0.078,
    "inference_brier": 0.080,
    "mc_accuracy": 0.95,
    "mc_nll": 0.209,
    "mc_ece": 0.093,
    "mc_brier": 0.087,
    "accuracy_most_uncertain": 0.78,
    "accuracy_rest": 0.97,
    "mean_mi_errors": 0.085,
    "mean_mi_correct": 0.033,
}
BASES = (SCALING, TRAINABLE, MULTIPROCESSING, TEST_TIME, TRAINING_LOSS, LATER, FUNCTIONAL, MC)


def _with(base, **changes):
    return {**base, **changes}


CASES = [
    # claim 1
    (v.verdict_scaling, SCALING, "false"),
    (
        v.verdict_scaling,
        _with(SCALING, inference_max_abs_diff_from_input=0.75, inference_max_abs_diff_from_scaled=0.0),
        "true",
    ),
    (v.verdict_scaling, _with(SCALING, training_kept_scale=1.0), "caveat"),
    # claim 2
    (v.verdict_trainable, TRAINABLE, "false"),
    (v.verdict_trainable, _with(TRAINABLE, predict_max_abs_diff=0.3), "true"),
    (v.verdict_trainable, _with(TRAINABLE, evaluate_accuracy_diff=0.01), "true"),
    (v.verdict_trainable, _with(TRAINABLE, training_call_max_abs_diff=0.0), "caveat"),
    # claim 3
    (v.verdict_multiprocessing, MULTIPROCESSING, "false"),
    (v.verdict_multiprocessing, _with(MULTIPROCESSING, raised=0.0), "true"),
    (v.verdict_multiprocessing, _with(MULTIPROCESSING, raised=0.0, warnings=1), "caveat"),
    # claim 4
    (v.verdict_test_time_dropout, TEST_TIME, "true"),
    (v.verdict_test_time_dropout, _with(TEST_TIME, training_accuracy_std=0.0), "caveat"),
    (v.verdict_test_time_dropout, _with(TEST_TIME, training_accuracy_mean=0.95), "caveat"),
    (v.verdict_test_time_dropout, _with(TEST_TIME, training_accuracy_mean=0.96, training_accuracy_std=0.0), "false"),
    # claim 5
    (v.verdict_training_loss, TRAINING_LOSS, "caveat"),
    (v.verdict_training_loss, _with(TRAINING_LOSS, dropout_share_of_gap=0.95), "true"),
    (v.verdict_training_loss, _with(TRAINING_LOSS, fit_last_epoch_loss=0.07, test_loss_inference=0.08), "false"),
    # claim 6
    (v.verdict_later_training, LATER, "caveat"),
    (v.verdict_later_training, _with(LATER, weights_max_abs_diff_after_call=1e-3), "true"),
    (v.verdict_later_training, _with(LATER, final_weights_diff_training_call=0.0), "caveat"),
    (v.verdict_later_training, _with(LATER, final_weights_diff_training_call=0.0, bn_moving_stats_shift=0.0), "false"),
    # claim 7
    (v.verdict_functional_training, FUNCTIONAL, "false"),
    (v.verdict_functional_training, _with(FUNCTIONAL, predict_max_abs_diff=0.4), "true"),
    # claim 8
    (v.verdict_mc_dropout, MC, "caveat"),
    (v.verdict_mc_dropout, _with(MC, mc_nll=0.15, mc_accuracy=0.96), "true"),
    (v.verdict_mc_dropout, _with(MC, accuracy_most_uncertain=0.98), "false"),
    (v.verdict_mc_dropout, _with(MC, mc_nll=0.15, mc_accuracy=0.96, accuracy_most_uncertain=0.98), "caveat"),
]


@pytest.mark.parametrize("verdict_of, numbers, expected", CASES)
def test_verdict_follows_the_numbers(verdict_of, numbers, expected):
    assert verdict_of(numbers) == expected


def test_every_claim_has_a_verdict_and_explanation_in_order():
    assert len(v.VERDICT_FUNCTIONS) == len(v.EXPLANATION_FUNCTIONS) == len(CLAIM_TEXTS) == len(BASES) == 8
    for claim_id, numbers in enumerate(BASES, start=1):
        result = v.judge(claim_id, Measurement(numbers, {}))
        assert result.id == claim_id and result.claim == CLAIM_TEXTS[claim_id - 1]
        assert result.verdict in ("true", "false", "caveat")
        assert result.measured == numbers


def test_explanations_quote_the_numbers_and_follow_them():
    assert "|output - (1-rate)*input| = 0.75" in v.explain_scaling(SCALING, {})
    assert "ValueError: boom" in v.explain_multiprocessing(MULTIPROCESSING, {"error": "ValueError: boom"})
    assert "accepted" in v.explain_multiprocessing(_with(MULTIPROCESSING, raised=0.0), {})
    assert "73%" in v.explain_training_loss(TRAINING_LOSS, {})
    assert "NOT above" in v.explain_training_loss(_with(TRAINING_LOSS, fit_last_epoch_loss=0.1), {})
    assert "changed no weight" in v.explain_later_training(LATER, {})
    assert "changed the weights by up to 0.001" in v.explain_later_training(
        _with(LATER, weights_max_abs_diff_after_call=1e-3), {}
    )
    assert "points at the errors" in v.explain_mc_dropout(MC, {})
    assert "does not single out" in v.explain_mc_dropout(_with(MC, accuracy_most_uncertain=0.99), {})
    assert "0.7800" in v.explain_mc_dropout(MC, {})


def test_report_json_is_strict_and_shaped_as_promised():
    claim = ClaimResult(1, CLAIM_TEXTS[0], "false", {"a": 1.5, "b": math.nan, "c": 3}, "why")
    data = json.loads(ExplainReport("3.x", "2.y", (claim,)).to_json())
    assert list(data) == ["keras", "tensorflow", "claims"]
    assert data["claims"] == [
        {
            "id": 1,
            "claim": CLAIM_TEXTS[0],
            "verdict": "false",
            "measured": {"a": 1.5, "b": None, "c": 3.0},
            "explanation": "why",
        }
    ]


def test_explanations_follow_the_verdict():
    assert "inverted dropout" in v.explain_scaling(SCALING, {})
    assert "classic (non-inverted)" in v.explain_scaling(
        _with(SCALING, inference_max_abs_diff_from_input=0.75, inference_max_abs_diff_from_scaled=0.0), {}
    )
    assert "never reads `trainable`" in v.explain_trainable(TRAINABLE, {})
    assert "lets the trainable flag" in v.explain_trainable(_with(TRAINABLE, predict_max_abs_diff=0.3), {})
    assert "not through the call itself" in v.explain_later_training(LATER, {})
    assert "Nothing carried over" in v.explain_later_training(
        _with(LATER, final_weights_diff_training_call=0.0, bn_moving_stats_shift=0.0), {}
    )
    assert "overriding the one baked" in v.explain_functional_training(FUNCTIONAL, {})
    assert "keeps the baked-in" in v.explain_functional_training(_with(FUNCTIONAL, predict_max_abs_diff=0.4), {})
