"""The evaluation modes: one registry that the engine, the app, the help, README and the contract tests read.

A mode's name is part of the headless contract. Adding a mode means adding a
``Mode`` here (and how the evaluator's passes become its numbers, in
``engine.evaluation.scoring``), and its test; nothing else names modes.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION


@dataclass(frozen=True)
class Mode:
    """One way of running the model on the test set, and the numbers the summary reports for it."""

    name: str
    runs: str  # what runs, for README and the help screen
    shows: str  # what a user sees, for README
    note: str  # the modes table's short note
    repeated: bool  # R stochastic passes: reported as mean and spread
    metrics: dict[str, tuple[str, ...]]  # task -> the keys of this mode's entry in the summary


MODES: tuple[Mode, ...] = (
    Mode(
        name="inference",
        runs="`training=False`, what `evaluate`/`predict` do",
        shows="deterministic",
        note="dropout off",
        repeated=False,
        metrics={
            CLASSIFICATION: ("accuracy", "loss", "ece", "brier"),
            REGRESSION: ("rmse", "mae"),
        },
    ),
    Mode(
        name="training",
        runs="every layer in training mode, one stochastic pass over the test set, repeated R times",
        shows="lower accuracy, spread > 0; how far BatchNorm's moving statistics would move "
        "(`bn_moving_stats_shift`), measured and never written",
        note="all layers train",
        repeated=True,
        metrics={
            CLASSIFICATION: ("accuracy", "accuracy_std", "loss", "loss_std", "repeats", "bn_moving_stats_shift"),
            REGRESSION: ("rmse", "rmse_std", "mae", "repeats", "bn_moving_stats_shift"),
        },
    ),
    Mode(
        name="trainable_flag",
        runs="the popular remedy: `trainable=True` on the dropout layers, then predict",
        shows="identical to `inference` (`max_abs_diff_vs_inference` = 0)",
        note="flag changed nothing",
        repeated=False,
        metrics={
            CLASSIFICATION: ("accuracy", "loss", "max_abs_diff_vs_inference"),
            REGRESSION: ("rmse", "mae", "max_abs_diff_vs_inference"),
        },
    ),
    Mode(
        name="dropout_only",
        runs="stochastic layers on (recurrent dropout included), BatchNorm and augmentation in inference mode",
        shows="what MC dropout should use",
        note="norm. frozen",
        repeated=True,
        metrics={
            CLASSIFICATION: ("accuracy", "accuracy_std", "loss", "loss_std", "repeats"),
            REGRESSION: ("rmse", "rmse_std", "mae", "repeats"),
        },
    ),
    Mode(
        name="mc",
        runs="mean of T `dropout_only` passes, vectorised: T copies in one compiled call",
        shows="usually the best NLL/ECE, plus an uncertainty",
        note="mean of T passes",
        repeated=False,
        metrics={
            CLASSIFICATION: ("accuracy", "loss", "ece", "brier", "samples"),
            REGRESSION: ("rmse", "mae", "std", "nll", "coverage_90", "samples"),
        },
    ),
)
MODE_NAMES: tuple[str, ...] = tuple(mode.name for mode in MODES)
BY_NAME: dict[str, Mode] = {mode.name: mode for mode in MODES}
