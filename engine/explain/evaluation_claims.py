"""Claims about what dropout does to measured quality: 4, 5 and 8 (one shared trained model)."""

from __future__ import annotations

import numpy as np

from dropout_tui.engine.evaluation.metrics import accuracy, brier, ece, mutual_information, nll
from dropout_tui.engine.explain.lab import EPOCHS, Lab
from dropout_tui.engine.explain.report import Measurement

REPEATS = 20  # claim 4: stochastic passes over the test set
TRAIN_PASSES = 10  # claim 5: dropout-on passes over the training set
MC_SAMPLES = 50  # claim 8: T
UNCERTAIN_FRACTION = 0.10  # claim 8: "the most uncertain" test samples


def test_time_dropout(lab: Lab) -> Measurement:
    """Claim 4: R dropout-on passes over the test set against one inference pass."""
    model = lab.trained.model
    inference = lab.probs(model, lab.x_test, training=False)
    passes = lab.stochastic_passes(model, lab.x_test, REPEATS, stream=4)
    accuracies = np.array([accuracy(p, lab.y_test) for p in passes])
    losses = np.array([nll(p, lab.y_test) for p in passes])
    return Measurement(
        {
            "repeats": REPEATS,
            "n_test": len(lab.y_test),
            "inference_accuracy": accuracy(inference, lab.y_test),
            "inference_loss": nll(inference, lab.y_test),
            "training_accuracy_mean": float(accuracies.mean()),
            "training_accuracy_std": float(accuracies.std()),
            "training_accuracy_min": float(accuracies.min()),
            "training_accuracy_max": float(accuracies.max()),
            "training_loss_mean": float(losses.mean()),
            "training_loss_std": float(losses.std()),
            "training_loss_min": float(losses.min()),
            "training_loss_max": float(losses.max()),
        },
        {},
    )


def training_loss(lab: Lab) -> Measurement:
    """Claim 5: split fit's last-epoch loss into dropout and epoch averaging.

    fit's number = clean training loss + (dropout on, final weights) + (epoch
    average of improving weights). The middle term is measured directly; the
    last is what remains.
    """
    trained = lab.trained
    fit_loss = trained.fit_losses[-1]
    train_clean = nll(lab.probs(trained.model, lab.x_train, training=False), lab.y_train)
    test_clean = nll(lab.probs(trained.model, lab.x_test, training=False), lab.y_test)
    passes = lab.stochastic_passes(trained.model, lab.x_train, TRAIN_PASSES, stream=5)
    train_dropout = float(np.mean([nll(p, lab.y_train) for p in passes]))
    gap = fit_loss - train_clean
    dropout_share = float(np.clip((train_dropout - train_clean) / gap, 0.0, 1.0)) if gap > 0 else 0.0
    return Measurement(
        {
            "epochs": EPOCHS,
            "fit_last_epoch_loss": fit_loss,
            "train_loss_inference": train_clean,
            "train_loss_dropout": train_dropout,
            "test_loss_inference": test_clean,
            "dropout_share_of_gap": dropout_share,
            "averaging_share_of_gap": 1.0 - dropout_share if gap > 0 else 0.0,
        },
        {},
    )


def mc_dropout(lab: Lab) -> Measurement:
    """Claim 8: inference against the mean of T dropout passes, and what mutual information finds."""
    model = lab.trained.model
    y = lab.y_test
    inference = lab.probs(model, lab.x_test, training=False)
    passes = lab.stochastic_passes(model, lab.x_test, MC_SAMPLES, stream=8)
    mean = passes.mean(axis=0)
    information = np.asarray(mutual_information(passes))  # (rows,): one value per test row
    count = max(1, int(round(UNCERTAIN_FRACTION * len(y))))
    # Stable sort: ties (all passes agree, MI 0) keep test-set order, so the split is reproducible.
    order = np.argsort(-information, kind="stable")
    correct = np.argmax(mean, axis=-1) == y
    wrong = ~correct
    return Measurement(
        {
            "samples": MC_SAMPLES,
            "inference_accuracy": accuracy(inference, y),
            "inference_nll": nll(inference, y),
            "inference_ece": ece(inference, y),
            "inference_brier": brier(inference, y),
            "mc_accuracy": accuracy(mean, y),
            "mc_nll": nll(mean, y),
            "mc_ece": ece(mean, y),
            "mc_brier": brier(mean, y),
            "accuracy_most_uncertain": float(np.mean(correct[order[:count]])),
            "accuracy_rest": float(np.mean(correct[order[count:]])),
            "mean_mi_errors": float(information[wrong].mean()) if wrong.any() else 0.0,
            "mean_mi_correct": float(information[correct].mean()) if correct.any() else 0.0,
        },
        {},
    )
