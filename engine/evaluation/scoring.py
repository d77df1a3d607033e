"""From an evaluation round's raw passes to the numbers of every mode, as the summary contract names them."""

from __future__ import annotations

import numpy as np

from dropout_tui.engine.evaluation import metrics, regression_metrics
from dropout_tui.engine.evaluation.modes import BY_NAME, MODE_NAMES
from dropout_tui.engine.evaluation.results import Round
from dropout_tui.engine.limits import REGRESSION


def score_round(result: Round, targets: np.ndarray, head, *, repeats: int, samples: int) -> dict:
    """The ``modes`` dict of a mode_evaluation event: every registered mode, its keys per the registry."""
    if head.task == REGRESSION:
        modes = _regression(result, np.asarray(targets, np.float64), repeats, samples)
    else:
        modes = _classification(result, np.asarray(targets), head, repeats, samples)
    for name in MODE_NAMES:  # the registry is the contract: a mode's keys are exactly its registered ones
        assert set(modes[name]) == set(BY_NAME[name].metrics[head.task]), (name, sorted(modes[name]))
    return modes


def _spread(prefix: str, per_repeat: np.ndarray) -> dict:
    return {prefix: float(np.mean(per_repeat)), f"{prefix}_std": float(np.std(per_repeat))}


def _repeated(totals: dict, n: int, repeats: int) -> dict:
    return {**_spread("accuracy", totals["correct"] / n), **_spread("loss", totals["nll"] / n), "repeats": repeats}


def _scores(probs: np.ndarray, labels: np.ndarray) -> dict:
    return {
        "accuracy": metrics.accuracy(probs, labels),
        "loss": metrics.nll(probs, labels),
        "ece": metrics.ece(probs, labels),
        "brier": metrics.brier(probs, labels),
    }


def _classification(result: Round, labels: np.ndarray, head, repeats: int, samples: int) -> dict:
    inference = head.probabilities_numpy(result.inference)
    flagged = head.probabilities_numpy(result.flagged)
    n = result.n
    return {
        "inference": _scores(inference, labels),
        "training": {**_repeated(result.training, n, repeats), "bn_moving_stats_shift": result.bn_shift},
        "trainable_flag": {
            "accuracy": metrics.accuracy(flagged, labels),
            "loss": metrics.nll(flagged, labels),
            "max_abs_diff_vs_inference": float(np.max(np.abs(flagged - inference))),
        },
        "dropout_only": _repeated(result.dropout_only, n, repeats),
        "mc": {**_scores(result.mc.mean, labels), "samples": samples},
    }


def _regression(result: Round, targets: np.ndarray, repeats: int, samples: int) -> dict:
    count = result.inference.size  # errors are averaged over every sample and output

    def repeated(totals: dict) -> dict:
        return regression_metrics.repeated_from_totals(totals["squared"][:repeats], totals["absolute"][:repeats], count)

    def point(outputs: np.ndarray) -> dict:
        return {"rmse": regression_metrics.rmse(outputs, targets), "mae": regression_metrics.mae(outputs, targets)}

    return {
        "inference": point(result.inference),
        "training": {**repeated(result.training), "bn_moving_stats_shift": result.bn_shift},
        "trainable_flag": {
            **point(result.flagged),
            "max_abs_diff_vs_inference": float(np.max(np.abs(result.flagged - result.inference))),
        },
        "dropout_only": repeated(result.dropout_only),
        "mc": {**regression_metrics.mc_regression(result.mc.outputs, targets), "samples": samples},
    }
