"""Verdicts follow the numbers: contrived numbers flip every claim's verdict (no TensorFlow)."""

import dataclasses
import json
import math
import sys

import pytest

from dropout_tui.engine.explain import backend_verdicts as bv
from dropout_tui.engine.explain import verdicts as v
from dropout_tui.engine.explain.claims import CLAIMS
from dropout_tui.engine.explain.report import VERDICTS, ClaimResult, ExplainReport, Measurement

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
# As measured on Keras 3.15.1 (JAX 0.10.2, PyTorch 2.13.0+cpu).
JAX_JIT = {
    "calls": 5,
    "distinct_outputs_jit_model_call": 1,
    "predict_fails_after": 1.0,
    "distinct_outputs_jit_stateless_call": 5,
}
TORCH_EVAL = {
    "calls": 5,
    "distinct_outputs_after_eval_training_true": 5,
    "eval_training_true_max_abs_diff_from_inference": 1.395,
    "eval_default_call_max_abs_diff_from_inference": 0.0,
    "train_default_call_max_abs_diff_from_inference": 0.0,
}
BASES = (SCALING, TRAINABLE, MULTIPROCESSING, TEST_TIME, TRAINING_LOSS, LATER, FUNCTIONAL, MC, JAX_JIT, TORCH_EVAL)


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
    # claim 9 (JAX)
    (bv.verdict_jax_jit, JAX_JIT, "false"),
    (bv.verdict_jax_jit, _with(JAX_JIT, distinct_outputs_jit_model_call=5, predict_fails_after=0.0), "true"),
    (bv.verdict_jax_jit, _with(JAX_JIT, distinct_outputs_jit_model_call=5), "caveat"),
    # claim 10 (PyTorch)
    (bv.verdict_torch_eval, TORCH_EVAL, "false"),
    (bv.verdict_torch_eval, _with(TORCH_EVAL, distinct_outputs_after_eval_training_true=1), "true"),
    (bv.verdict_torch_eval, _with(TORCH_EVAL, train_default_call_max_abs_diff_from_inference=0.5), "caveat"),
]


@pytest.mark.parametrize("verdict_of, numbers, expected", CASES)
def test_verdict_follows_the_numbers(verdict_of, numbers, expected):
    assert verdict_of(numbers).value == expected


def _explain(claim_id: int, numbers: dict, notes: dict | None = None) -> str:
    """The explanation the registry gives for these numbers (its verdict decided once, as in a real run)."""
    return CLAIMS[claim_id - 1].judge(Measurement(numbers, notes or {})).explanation


def test_every_claim_judges_its_numbers_in_order():
    assert len(CLAIMS) == len(BASES) == 10
    for claim, numbers in zip(CLAIMS, BASES):
        result = claim.judge(Measurement(numbers, {}))
        assert result.id == claim.id and result.claim == claim.text
        assert result.verdict == claim.verdict(numbers).value
        assert result.verdict in VERDICTS
        assert result.measured == numbers and result.measured is not numbers


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda claim: f"claim {claim.id}")
def test_each_verdict_is_computed_exactly_once(monkeypatch, claim):
    calls = []

    def counted(numbers):
        calls.append(numbers)
        return verdict_of(numbers)

    verdict_of = claim.verdict
    # Also replace the module-level name, so an explanation that called the verdict function itself would count.
    monkeypatch.setattr(sys.modules[verdict_of.__module__], verdict_of.__name__, counted)
    result = dataclasses.replace(claim, verdict=counted).judge(Measurement(BASES[claim.id - 1], {"error": "E: x"}))
    assert len(calls) == 1
    assert result.verdict == verdict_of(BASES[claim.id - 1]).value


def test_explanations_word_the_verdict_they_are_given_not_the_numbers_again():
    # MC numbers where MC is worse and the uncertainty informative, but a verdict that says the opposite:
    # the explanation follows the verdict, proving it re-tests nothing.
    opposite = v.Verdict("caveat", {"as_good": True, "informative": False})
    text = v.explain_mc_dropout(MC, {}, opposite)
    assert "at least as good as inference here" in text and "does not single out" in text
    assert "NOT above" in v.explain_training_loss(
        TRAINING_LOSS, {}, v.Verdict("false", {"training_loss_above_test": False, "mostly_dropout": False})
    )
    assert "raised" not in v.explain_multiprocessing(MULTIPROCESSING, {}, v.Verdict("true"))
    assert "classic (non-inverted)" in v.explain_scaling(SCALING, {}, v.Verdict("true"))


def test_a_verdict_is_one_of_three_words():
    with pytest.raises(ValueError, match="unknown verdict"):
        v.Verdict("maybe")


def test_explanations_quote_the_numbers_and_follow_them():
    assert "|output - (1-rate)*input| = 0.75" in _explain(1, SCALING)
    assert "ValueError: boom" in _explain(3, MULTIPROCESSING, {"error": "ValueError: boom"})
    assert "accepted use_multiprocessing=True." in _explain(3, _with(MULTIPROCESSING, raised=0.0))
    assert "with 2 warning(s)" in _explain(3, _with(MULTIPROCESSING, raised=0.0, warnings=2))
    assert "no keras.utils.PyDataset" in _explain(
        3, _with(MULTIPROCESSING, pydataset_exists=0.0, pydataset_has_workers=0.0)
    )
    assert "73%" in _explain(5, TRAINING_LOSS)
    assert "NOT above" in _explain(5, _with(TRAINING_LOSS, fit_last_epoch_loss=0.1))
    assert "NOT above" not in _explain(5, TRAINING_LOSS)
    assert "changed no weight" in _explain(6, LATER)
    assert "changed the weights by up to 0.001" in _explain(6, _with(LATER, weights_max_abs_diff_after_call=1e-3))
    assert "points at the errors" in _explain(8, MC)
    assert "does not single out" in _explain(8, _with(MC, accuracy_most_uncertain=0.99))
    assert "Better predictions are not guaranteed" in _explain(8, MC)
    assert "at least as good as inference here" in _explain(8, _with(MC, mc_nll=0.15, mc_accuracy=0.96))
    assert "0.7800" in _explain(8, MC)


def test_report_json_is_strict_and_shaped_as_promised():
    claim = ClaimResult(1, CLAIMS[0].text, "false", {"a": 1.5, "b": math.nan, "c": 3}, "why")
    report = ExplainReport("3.x", "2.y", (claim,), "jax", "0.z")
    data = json.loads(report.to_json())
    assert list(data) == ["keras", "tensorflow", "backend", "backend_version", "claims"]
    assert (data["backend"], data["backend_version"]) == ("jax", "0.z")
    # explain --backend all reads each backend's report back from its process.
    assert ExplainReport.from_dict(json.loads(report.to_json())).to_dict() == data
    assert data["claims"] == [
        {
            "id": 1,
            "claim": CLAIMS[0].text,
            "verdict": "false",
            "measured": {"a": 1.5, "b": None, "c": 3.0},
            "explanation": "why",
        }
    ]


def test_backend_claims_explain_what_breaks_and_the_way_that_works():
    assert "gave 1 distinct output(s)" in _explain(9, JAX_JIT, {"predict_error": "UnexpectedTracerError: x"})
    assert "model.predict fails (UnexpectedTracerError: x)" in _explain(
        9, JAX_JIT, {"predict_error": "UnexpectedTracerError: x"}
    )
    assert "gave 5 distinct outputs in 5 calls" in _explain(9, JAX_JIT)
    assert "still worked" in _explain(9, _with(JAX_JIT, predict_fails_after=0.0))
    assert "dropout stayed on" in _explain(10, TORCH_EVAL)
    assert "only the training= argument counts" in _explain(10, TORCH_EVAL)
    assert "dropout was off" in _explain(10, _with(TORCH_EVAL, distinct_outputs_after_eval_training_true=1))


def test_explanations_follow_the_verdict():
    assert "inverted dropout" in _explain(1, SCALING)
    assert "classic (non-inverted)" in _explain(
        1, _with(SCALING, inference_max_abs_diff_from_input=0.75, inference_max_abs_diff_from_scaled=0.0)
    )
    assert "neither the inverted nor the classic" in _explain(1, _with(SCALING, training_kept_scale=1.0))
    assert "never reads `trainable`" in _explain(2, TRAINABLE)
    assert "lets the trainable flag" in _explain(2, _with(TRAINABLE, predict_max_abs_diff=0.3))
    assert "cannot tell" in _explain(2, _with(TRAINABLE, training_call_max_abs_diff=0.0))
    assert "not through the call itself" in _explain(6, LATER)
    assert "The call itself changed the weights" in _explain(6, _with(LATER, weights_max_abs_diff_after_call=1e-3))
    assert "Nothing carried over" in _explain(
        6, _with(LATER, final_weights_diff_training_call=0.0, bn_moving_stats_shift=0.0)
    )
    assert "overriding the one baked" in _explain(7, FUNCTIONAL)
    assert "keeps the baked-in" in _explain(7, _with(FUNCTIONAL, predict_max_abs_diff=0.4))
