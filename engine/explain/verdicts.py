"""From measured numbers to a verdict and an explanation: pure functions, no TensorFlow.

A verdict is never written in advance: each function reads only the numbers,
so if a future Keras changes behaviour the verdict changes with it (and the
tests feed contrived numbers to prove that it does). Each verdict is decided
once; its explanation receives the ``Verdict`` and words what it says, so the
two can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dropout_tui.engine.explain.report import VERDICTS

Numbers = Mapping[str, float]
Notes = Mapping[str, str]

EXACT = 1e-6  # "no difference": float32 noise is far below this, any real effect far above


@dataclass(frozen=True)
class Verdict:
    """A verdict ("true", "false" or "caveat") and the named conditions it was decided on.

    The conditions travel with the verdict because some explanations must say
    which part of a compound claim failed, and the value alone ("caveat") does
    not tell.
    """

    value: str
    held: Mapping[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.value not in VERDICTS:
            raise ValueError(f"unknown verdict {self.value!r}")


def _grade(**conditions: bool) -> Verdict:
    """All parts of a compound claim hold: true; some: caveat; none: false."""
    held = sum(conditions.values())
    value = "true" if held == len(conditions) else "caveat" if held else "false"
    return Verdict(value, {name: bool(c) for name, c in conditions.items()})


# 1. "At inference, Dropout scales each output by 1-rate."
def verdict_scaling(m: Numbers) -> Verdict:
    if m["inference_max_abs_diff_from_scaled"] <= EXACT < m["inference_max_abs_diff_from_input"]:
        return Verdict("true")
    inverted = abs(m["training_kept_scale"] - 1.0 / (1.0 - m["rate"])) <= 1e-4
    if m["inference_max_abs_diff_from_input"] <= EXACT and inverted:
        return Verdict("false")
    return Verdict("caveat")


def explain_scaling(m: Numbers, n: Notes, verdict: Verdict) -> str:
    rate = m["rate"]
    return (
        f"Dropout({rate:g}) on {int(m['units'])} known inputs. Inference: largest |output - input| = "
        f"{m['inference_max_abs_diff_from_input']:g}, largest |output - (1-rate)*input| = "
        f"{m['inference_max_abs_diff_from_scaled']:g}. Training: {m['training_zero_fraction']:.1%} of units zeroed, "
        f"kept units multiplied by {m['training_kept_scale']:.4g} (1/(1-rate) = {1 / (1 - rate):.4g}), "
        f"{int(m['training_off_grid'])} outputs off that grid, mean output/mean input = "
        f"{m['training_mean_ratio']:.4f}. {_SCALING_WHY[verdict.value]}"
    )


_SCALING_WHY = {
    "false": "Keras uses inverted dropout: the scaling happens during training, so inference is the identity; "
    "scaling by 1-rate at inference was the classic formulation (Srivastava et al. 2014) and Keras "
    "before 0.3.",
    "true": "This Keras scales at inference, the classic (non-inverted) formulation.",
    "caveat": "This Keras follows neither the inverted nor the classic formulation exactly.",
}


# 2. "Setting layer.trainable = True on Dropout makes evaluate/predict use dropout."
def verdict_trainable(m: Numbers) -> Verdict:
    changed = max(m["predict_max_abs_diff"], m["evaluate_loss_diff"], m["evaluate_accuracy_diff"])
    if changed > EXACT:
        return Verdict("true")
    return Verdict("false" if m["training_call_max_abs_diff"] > EXACT else "caveat")


def explain_trainable(m: Numbers, n: Notes, verdict: Verdict) -> str:
    default = "already True by default" if m["trainable_by_default"] else "False by default"
    return (
        f"Dropout.trainable is {default}. With it set to True instead of False on the trained model (each time "
        f"with freshly traced predict/evaluate functions), predict changed by at most {m['predict_max_abs_diff']:g}, "
        f"evaluate's loss by {m['evaluate_loss_diff']:g} and accuracy by {m['evaluate_accuracy_diff']:g}. "
        f"For comparison, model(x, training=True) differs from predict by up to "
        f"{m['training_call_max_abs_diff']:.3g}. {_TRAINABLE_WHY[verdict.value]}"
    )


_TRAINABLE_WHY = {
    "false": "Dropout has no weights and its call never reads `trainable`; only the `training` call argument "
    "switches it, and evaluate/predict pass training=False.",
    "true": "This Keras lets the trainable flag change evaluate/predict.",
    "caveat": "Dropout made no visible difference even with training=True, so this run cannot tell.",
}


# 3. "model.evaluate(..., use_multiprocessing=True)."
def verdict_multiprocessing(m: Numbers) -> Verdict:
    if m["raised"]:
        return Verdict("false")
    return Verdict("caveat" if m["warnings"] else "true")


def explain_multiprocessing(m: Numbers, n: Notes, verdict: Verdict) -> str:
    return f"{_multiprocessing_outcome(m, n, verdict)}. {_pydataset_status(m)}. " + (
        "The option only ever concerned data loading, never dropout."
    )


def _multiprocessing_outcome(m: Numbers, n: Notes, verdict: Verdict) -> str:
    if verdict.value == "false":
        return f"model.evaluate(..., use_multiprocessing=True) raised {n.get('error', 'an error')}"
    if verdict.value == "caveat":
        return f"model.evaluate accepted use_multiprocessing=True with {int(m['warnings'])} warning(s)"
    return "model.evaluate accepted use_multiprocessing=True"


def _pydataset_status(m: Numbers) -> str:
    if m["pydataset_has_workers"]:
        return (
            "workers and use_multiprocessing are now arguments of keras.utils.PyDataset "
            "(subclass it and pass them to super().__init__), not of fit/evaluate/predict"
        )
    if m["pydataset_exists"]:
        return "keras.utils.PyDataset exists but takes no workers argument"
    return "this Keras has no keras.utils.PyDataset"


# 4. "training=True at test time lowers accuracy and makes it vary."
def verdict_test_time_dropout(m: Numbers) -> Verdict:
    return _grade(
        lowers=m["training_accuracy_mean"] < m["inference_accuracy"],
        varies=m["training_accuracy_std"] > 0.0,
    )


def explain_test_time_dropout(m: Numbers, n: Notes, verdict: Verdict) -> str:
    return (
        f"{int(m['repeats'])} passes over the {int(m['n_test'])} test samples with dropout on: accuracy "
        f"{m['training_accuracy_mean']:.4f} +/- {m['training_accuracy_std']:.4f} "
        f"(min {m['training_accuracy_min']:.4f}, max {m['training_accuracy_max']:.4f}), loss "
        f"{m['training_loss_mean']:.4f} +/- {m['training_loss_std']:.4f}; inference (dropout off): accuracy "
        f"{m['inference_accuracy']:.4f}, loss {m['inference_loss']:.4f}. Each pass drops a different random set of "
        f"units, so every pass evaluates a different thinned sub-network."
    )


# 5. "The training loss is higher than the test loss because of dropout."
def verdict_training_loss(m: Numbers) -> Verdict:
    above = m["fit_last_epoch_loss"] > m["test_loss_inference"]
    mostly_dropout = m["dropout_share_of_gap"] >= 0.9
    value = "true" if above and mostly_dropout else "caveat" if above else "false"
    return Verdict(value, {"training_loss_above_test": above, "mostly_dropout": mostly_dropout})


def explain_training_loss(m: Numbers, n: Notes, verdict: Verdict) -> str:
    gap = m["fit_last_epoch_loss"] - m["train_loss_inference"]
    premise = (
        "" if verdict.held["training_loss_above_test"] else "Here fit's training loss is NOT above the test loss. "
    )
    return (
        f"{premise}After {int(m['epochs'])} epochs, fit reported a last-epoch loss of {m['fit_last_epoch_loss']:.4f}; "
        f"the test loss (inference) is {m['test_loss_inference']:.4f}; the same training set in inference mode "
        f"gives {m['train_loss_inference']:.4f}, and with dropout on (final weights) {m['train_loss_dropout']:.4f}. "
        f"Of the {gap:.4f} between fit's number and the clean training loss, dropout explains "
        f"{m['dropout_share_of_gap']:.0%} and averaging over an epoch of improving weights "
        f"{m['averaging_share_of_gap']:.0%}. The clean training loss vs test loss "
        f"({m['train_loss_inference']:.4f} vs {m['test_loss_inference']:.4f}) is the real generalisation gap."
    )


# 6. "Calling the model with training=True during testing affects later training."
def verdict_later_training(m: Numbers) -> Verdict:
    direct = m["weights_max_abs_diff_after_call"] > 0.0
    indirect = m["final_weights_diff_training_call"] > 0.0 or m["bn_moving_stats_shift"] > 0.0
    value = "true" if direct else "caveat" if indirect else "false"
    return Verdict(value, {"call_changed_weights": direct, "later_training_changed": indirect})


def explain_later_training(m: Numbers, n: Notes, verdict: Verdict) -> str:
    controls = max(
        m["final_weights_diff_predict"], m["final_weights_diff_evaluate"], m["final_weights_diff_inference_call"]
    )
    weights = m["weights_max_abs_diff_after_call"]
    moved = (
        f"changed the weights by up to {weights:.3g}"
        if verdict.held["call_changed_weights"]
        else "changed no weight (difference 0)"
    )
    seed = "advanced" if m["seed_state_advanced"] else "did not advance"
    return (
        f"(a) One model(x, training=True) call {moved} and {seed} the dropout layer's seed generator. "
        f"(b) Two seeded runs of fit, one with that call inserted between epochs: final weights differ by "
        f"{m['final_weights_diff_training_call']:.3g}, because every later dropout mask is different; inserting "
        f"predict, evaluate or training=False calls instead: largest difference {controls:g}. "
        f"(c) BatchNormalization called with training=True moved its moving statistics by "
        f"{m['bn_moving_stats_shift']:.3g} (relative) and changed later inference outputs by "
        f"{m['bn_inference_max_abs_diff']:.3g}; with BN held in inference mode (dropout only) the shift is "
        f"{m['bn_shift_dropout_only']:g}. {_LATER_WHY[verdict.value]}"
    )


_LATER_WHY = {
    "caveat": "Training is affected through the RNG stream and BN statistics, not through the call itself.",
    "true": "The call itself changed the weights.",
    "false": "Nothing carried over into later training.",
}


# 7. "A functional Dropout(r)(x, training=True) keeps dropout on in predict."
def verdict_functional_training(m: Numbers) -> Verdict:
    return Verdict("true" if m["predict_max_abs_diff"] > EXACT else "false")


def explain_functional_training(m: Numbers, n: Notes, verdict: Verdict) -> str:
    return (
        f"Functional model built with Dropout(0.5)(x, training=True): two predict calls differ by "
        f"{m['predict_max_abs_diff']:g}, two evaluate losses by {m['evaluate_loss_diff']:g}; a plain model(x) call "
        f"twice differs by {m['direct_call_max_abs_diff']:.3g}. A Dropout subclass whose call always passes "
        f"training=True makes predict vary by {m['subclass_predict_max_abs_diff']:.3g}. "
        f"{_FUNCTIONAL_WHY[verdict.value]}"
    )


_FUNCTIONAL_WHY = {
    "false": "In Keras 3 the functional model passes its own training value (False in predict/evaluate) to every "
    "layer, overriding the one baked in at construction; the subclass works in every version.",
    "true": "This Keras keeps the baked-in training=True in predict.",
}


# 8. "MC dropout gives predictions at least as good as inference, with an uncertainty estimate."
def verdict_mc_dropout(m: Numbers) -> Verdict:
    return _grade(
        as_good=m["mc_accuracy"] >= m["inference_accuracy"] and m["mc_nll"] <= m["inference_nll"],
        informative=m["accuracy_most_uncertain"] < m["accuracy_rest"],
    )


def explain_mc_dropout(m: Numbers, n: Notes, verdict: Verdict) -> str:
    finds = (
        "the uncertainty points at the errors"
        if verdict.held["informative"]
        else "the uncertainty does not single out the errors here"
    )
    if verdict.held["as_good"]:
        quality = "MC predictions are at least as good as inference here."
    else:
        quality = (
            "Better predictions are not guaranteed: averaging thinned networks softens every prediction, "
            "which helps an over-confident model and can hurt an under-confident one."
        )
    return (
        f"T={int(m['samples'])} vectorised dropout passes over the test set. Inference: accuracy "
        f"{m['inference_accuracy']:.4f}, NLL {m['inference_nll']:.4f}, ECE {m['inference_ece']:.4f}; MC mean: "
        f"accuracy {m['mc_accuracy']:.4f}, NLL {m['mc_nll']:.4f}, ECE {m['mc_ece']:.4f}. On the 10% of test samples "
        f"with the highest mutual information the MC accuracy is {m['accuracy_most_uncertain']:.4f}, on the rest "
        f"{m['accuracy_rest']:.4f} (mean MI {m['mean_mi_errors']:.3g} on errors, {m['mean_mi_correct']:.3g} on "
        f"correct predictions): {finds}. {quality}"
    )
