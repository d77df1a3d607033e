"""The uncertainty scores: one registry row per score carries everything said about it.

A score is a per-sample number, higher = less sure (uncertainty.py's convention). Its row holds the name
(part of the headless contract), the Uncertainty screen's label, the sweep chart's legend, how charts draw
it, the mode whose prediction it accompanies (its AUROC and AURC are judged against that prediction's
errors), what it means (the docs) and how it is computed from a round's predictions. The registry pattern
is the one ``engine.evaluation.modes`` describes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dropout_tui.engine.evaluation.modes import INFERENCE, MC, Mode, Style

if TYPE_CHECKING:
    import numpy as np

    from dropout_tui.engine.evaluation.uncertainty import Predictions


@dataclass(frozen=True)
class Score:
    """One uncertainty score of the report's score table."""

    name: str
    label: str  # the Uncertainty screen's name for it
    legend: str  # the sweep chart's name for it
    style: Style
    judged: Mode  # the mode whose prediction it accompanies: the errors it should find are that prediction's
    means: str  # what it is, for the docs
    computes: Callable[[Predictions], np.ndarray]  # (n,) per-sample scores, higher = less sure


MAX_PROB = Score(
    name="max_prob",
    label="max-prob",
    legend="max_prob (dropout off)",
    style=Style("●", "dark_orange"),
    judged=INFERENCE,
    means="1 - top dropout-off probability",
    computes=lambda predictions: predictions.doubt(predictions.inference),
)
MC_MAX_PROB = Score(
    name="mc_max_prob",
    label="MC max-prob",
    legend="mc_max_prob",
    style=Style("■", "dodger_blue1"),
    judged=MC,
    means="1 - top MC probability",
    computes=lambda predictions: predictions.doubt(predictions.mc_mean),
)
ENTROPY = Score(
    name="entropy",
    label="entropy",
    legend="entropy (MC)",
    style=Style("▲", "magenta"),
    judged=MC,
    means="predictive entropy of the MC mean",
    computes=lambda predictions: predictions.predictive,
)
MUTUAL_INFORMATION = Score(
    name="mutual_information",
    label="MI",
    legend="mutual info (MC)",
    style=Style("◆", "green3"),
    judged=MC,
    means="the epistemic part of the entropy",
    computes=lambda predictions: predictions.mutual_information,
)

SCORES: tuple[Score, ...] = (MAX_PROB, MC_MAX_PROB, ENTROPY, MUTUAL_INFORMATION)
SCORE_NAMES: tuple[str, ...] = tuple(score.name for score in SCORES)
BY_NAME: dict[str, Score] = {score.name: score for score in SCORES}
