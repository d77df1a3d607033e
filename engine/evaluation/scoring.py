"""From an evaluation round's raw passes to the numbers of every mode, as the summary contract names them.

Each mode's row (``engine.evaluation.modes``) says how its entry is made from a ``Passes``; this module
offers the task's ways of scoring a prediction and runs every row.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from dropout_tui.engine.evaluation import metrics, modes, regression_metrics
from dropout_tui.engine.evaluation.results import Round
from dropout_tui.engine.limits import REGRESSION


def score_round(result: Round, targets: np.ndarray, head: Any, *, repeats: int, samples: int) -> dict[str, dict]:
    """The ``modes`` dict of a mode_evaluation event: every registered mode, its keys per the registry."""
    passes = Passes(result, targets, head, repeats, samples)
    scored = {mode.name: mode.computes(passes) for mode in modes.MODES}
    for mode in modes.MODES:  # the registry is the contract: a mode's keys are exactly its registered ones
        assert set(scored[mode.name]) == set(mode.metrics[head.task]), (mode.name, sorted(scored[mode.name]))
    return scored


class Passes:
    """One round's passes with the task's scores: a classifier's from probabilities, a regressor's from outputs."""

    def __init__(self, result: Round, targets: np.ndarray, head: Any, repeats: int, samples: int) -> None:
        self.result, self.head, self.repeats, self.samples = result, head, repeats, samples
        self.regression = head.task == REGRESSION
        self.targets = np.asarray(targets, np.float64) if self.regression else np.asarray(targets)

    def _prediction(self, outputs: np.ndarray) -> np.ndarray:
        return outputs if self.regression else self.head.probabilities_numpy(outputs)

    @cached_property
    def inference(self) -> np.ndarray:
        """The dropout-off prediction: probabilities, or a regressor's outputs."""
        return self._prediction(self.result.inference)

    @cached_property
    def flagged(self) -> np.ndarray:
        """The prediction with trainable=True set on the stochastic layers."""
        return self._prediction(self.result.flagged)

    def fit(self, prediction: np.ndarray) -> dict[str, Any]:
        """Accuracy and NLL, or RMSE and MAE."""
        if self.regression:
            return {
                "rmse": regression_metrics.rmse(prediction, self.targets),
                "mae": regression_metrics.mae(prediction, self.targets),
            }
        return {"accuracy": metrics.accuracy(prediction, self.targets), "loss": metrics.nll(prediction, self.targets)}

    def point(self, prediction: np.ndarray) -> dict[str, Any]:
        """``fit``, plus a classifier's calibration (ECE and Brier)."""
        if self.regression:
            return self.fit(prediction)
        calibration = {"ece": metrics.ece(prediction, self.targets), "brier": metrics.brier(prediction, self.targets)}
        return {**self.fit(prediction), **calibration}

    def repeated(self, totals: dict[str, np.ndarray]) -> dict[str, Any]:
        """R repeats' per-copy totals as mean and spread."""
        if self.regression:
            count = self.result.inference.size  # errors are averaged over every sample and output
            squared, absolute = totals["squared"][: self.repeats], totals["absolute"][: self.repeats]
            return regression_metrics.repeated_from_totals(squared, absolute, count)
        n = self.result.n
        return {
            **_spread("accuracy", totals["correct"] / n),
            **_spread("loss", totals["nll"] / n),
            "repeats": self.repeats,
        }

    def largest_change(self) -> float:
        """How far the trainable flag moved the prediction: max |flagged - inference|."""
        return float(np.max(np.abs(self.flagged - self.inference)))

    def monte_carlo(self) -> dict[str, Any]:
        """The T passes' mean scored as a prediction (a regressor's as a predictive distribution), and T."""
        mc = self.result.mc
        if self.regression:
            assert mc.outputs is not None  # a regressor's MC totals always hold every pass's outputs
            return {**regression_metrics.mc_regression(mc.outputs, self.targets), "samples": self.samples}
        assert mc.mean is not None  # a classifier's MC totals always hold the mean
        return {**self.point(mc.mean), "samples": self.samples}


def _spread(prefix: str, per_repeat: np.ndarray) -> dict[str, float]:
    return {prefix: float(np.mean(per_repeat)), f"{prefix}_std": float(np.std(per_repeat))}
