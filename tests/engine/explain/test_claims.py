"""Each claim's verdict and key numbers on the installed Keras/TensorFlow (real experiments)."""

import pytest

from dropout_tui.engine.explain.report import CLAIM_TEXTS, VERDICTS
from dropout_tui.engine.explain.verdicts import VERDICT_FUNCTIONS


def test_eight_claims_in_order_with_computed_verdicts(explain_run):
    report, seconds = explain_run
    assert [c.id for c in report.claims] == list(range(1, 9))
    assert [c.claim for c in report.claims] == list(CLAIM_TEXTS)
    for claim, verdict_of in zip(report.claims, VERDICT_FUNCTIONS):
        assert claim.verdict in VERDICTS
        assert claim.verdict == verdict_of(claim.measured)
        assert claim.explanation and all(isinstance(v, (int, float)) for v in claim.measured.values())
    assert report.keras.startswith("3.")
    # The promise: every claim checked in under 60 s on a CPU (TF import excluded: pytest did it).
    assert seconds < 60


def test_claim_1_inference_is_the_identity_and_training_is_inverted_dropout(explain_report, measured):
    m = measured[1]
    assert explain_report.claims[0].verdict == "false"
    assert m["inference_max_abs_diff_from_input"] == 0.0
    assert m["inference_max_abs_diff_from_scaled"] > 0.1
    assert m["training_off_grid"] == 0  # only 0 or 1/(1-rate) times the input
    assert m["training_kept_scale"] == pytest.approx(1 / (1 - m["rate"]), rel=1e-5)
    assert 0.45 < m["training_zero_fraction"] < 0.55
    assert m["training_mean_ratio"] == pytest.approx(1.0, abs=0.03)


def test_claim_2_trainable_flag_changes_nothing(explain_report, measured):
    m = measured[2]
    assert explain_report.claims[1].verdict == "false"
    assert m["trainable_by_default"] == 1.0
    assert m["predict_max_abs_diff"] == 0.0
    assert m["evaluate_loss_diff"] == 0.0
    assert m["evaluate_accuracy_diff"] == 0.0
    assert m["training_call_max_abs_diff"] > 0.01  # dropout would be visible if it were on


def test_claim_3_use_multiprocessing_raises_and_moved_to_pydataset(explain_report, measured):
    claim = explain_report.claims[2]
    assert claim.verdict == "false"
    assert measured[3]["raised"] == 1.0
    assert measured[3]["pydataset_has_workers"] == 1.0
    assert "ValueError: Arguments not recognized" in claim.explanation
    assert "PyDataset" in claim.explanation


def test_claim_4_dropout_at_test_time_lowers_and_spreads_accuracy(explain_report, measured):
    m = measured[4]
    assert explain_report.claims[3].verdict == "true"
    assert m["training_accuracy_mean"] < m["inference_accuracy"]
    assert m["training_accuracy_std"] > 0
    assert m["training_accuracy_min"] < m["training_accuracy_max"]
    assert m["training_loss_mean"] > m["inference_loss"]


def test_claim_5_fit_loss_is_dropout_plus_epoch_averaging(explain_report, measured):
    m = measured[5]
    # Measured on Keras 3.15.1/TF 2.21, seed 0: fit 0.219 > test 0.188; dropout explains ~73% of
    # fit's excess over the clean training loss, epoch averaging the rest.
    assert explain_report.claims[4].verdict == "caveat"
    assert m["fit_last_epoch_loss"] > m["test_loss_inference"]
    assert m["train_loss_inference"] < m["train_loss_dropout"] < m["fit_last_epoch_loss"]
    assert 0.0 < m["dropout_share_of_gap"] < 0.9
    assert m["dropout_share_of_gap"] + m["averaging_share_of_gap"] == pytest.approx(1.0)


def test_claim_6_only_rng_state_and_batchnorm_carry_over(explain_report, measured):
    m = measured[6]
    assert explain_report.claims[5].verdict == "caveat"
    assert m["weights_max_abs_diff_after_call"] == 0.0
    assert m["seed_state_advanced"] == 1.0
    assert m["final_weights_diff_training_call"] > 0.0
    assert m["final_weights_diff_predict"] == 0.0
    assert m["final_weights_diff_evaluate"] == 0.0
    assert m["final_weights_diff_inference_call"] == 0.0
    assert m["bn_moving_stats_shift"] > 0.0
    assert m["bn_inference_max_abs_diff"] > 0.0
    assert m["bn_shift_dropout_only"] == 0.0


def test_claim_7_baked_training_flag_is_ignored_by_predict(explain_report, measured):
    m = measured[7]
    assert explain_report.claims[6].verdict == "false"
    assert m["predict_max_abs_diff"] == 0.0
    assert m["evaluate_loss_diff"] == 0.0
    assert m["direct_call_max_abs_diff"] > 0.0  # a bare model(x) still honours it
    assert m["subclass_predict_max_abs_diff"] > 0.0  # the recipe that works


def test_claim_8_mc_uncertainty_finds_errors_but_predictions_are_not_better(explain_report, measured):
    m = measured[8]
    assert m["samples"] >= 30
    assert m["accuracy_most_uncertain"] < m["accuracy_rest"]
    assert m["mean_mi_errors"] > m["mean_mi_correct"]
    # The ten-epoch model is under-confident (inference ECE ~0.08); averaging softens it further,
    # so MC's NLL is worse here and the claim only holds with a caveat.
    assert m["mc_nll"] > m["inference_nll"]
    assert explain_report.claims[7].verdict == "caveat"


def test_experiments_are_reproducible_and_cancellable():
    from dropout_tui.engine.explain.lab import Lab
    from dropout_tui.engine.explain.layer_claims import scaling
    from dropout_tui.engine.explain.runner import ExplainCancelled, run_explain

    assert scaling(Lab(3)).measured == scaling(Lab(3)).measured
    started = []
    with pytest.raises(ExplainCancelled):
        run_explain(0, on_start=started.append, should_stop=lambda: True)
    assert started == []
