"""The uncertainty methods side by side: one registry that the engine, the app, README and the contract read.

Is MC dropout worth T passes? Each method is a predictive distribution over the test set and
costs a number of forward passes per row; the same figures judge all of them (docs/headless.md,
"The uncertainty block"). Adding a method means adding a ``Method`` here and the ``Prediction``
the engine builds for it (engine.run.measurement); nothing else names methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dropout_tui.engine.evaluation import bootstrap, metrics, regression_metrics
from dropout_tui.engine.evaluation.modes import INFERENCE, MC, Style
from dropout_tui.engine.evaluation.scores import MAX_PROB, MUTUAL_INFORMATION
from dropout_tui.engine.evaluation.uncertainty import (
    _float,
    auroc,
    entropy,
    epistemic,
    ood_table,
    reliability,
    selective,
    uncertainty_report,
)
from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION


@dataclass(frozen=True)
class Method:
    """One way to get a predictive distribution, and what it costs."""

    name: str
    label: str  # the app's row name
    runs: str  # what runs, for README and the help screen
    tasks: tuple[str, ...]
    short: str  # where a pane's border has little room
    style: Style  # its curves and markers wherever the app draws it (markers keep methods apart under NO_COLOR)
    needs: str | None = None  # the option without which it is absent


METHODS: tuple[Method, ...] = (
    # dropout off and MC dropout are the modes of those names, measured as methods: one name (and style) for both.
    Method(
        INFERENCE.name,
        "dropout off",
        "one pass, `training=False`",
        (CLASSIFICATION, REGRESSION),
        "off",
        INFERENCE.style,
    ),
    Method(
        "temperature_scaled",
        "temperature scaling",
        "one pass, logits / T with T fitted on the other half of the test set (2-fold cross-fitting)",
        (CLASSIFICATION,),
        "T-scaled",
        Style("■", "dark_orange"),
    ),
    Method(MC.name, "MC dropout", "mean of T `dropout_only` passes", (CLASSIFICATION, REGRESSION), "MC", MC.style),
    Method(
        "ensemble",
        "ensemble",
        "mean of K members trained with seeds seed..seed+K-1, dropout off",
        (CLASSIFICATION, REGRESSION),
        "ensemble",
        Style("◆", "green3"),
        needs="--ensemble",
    ),
)
METHOD_NAMES: tuple[str, ...] = tuple(method.name for method in METHODS)
BY_NAME: dict[str, Method] = {method.name: method for method in METHODS}
CLASSIFICATION_FIGURES = ("accuracy", "nll", "ece", "brier", "auroc_error", "aurc", "passes")
# Is the costlier method (first) better than the cheaper one (second)? Judged by a paired bootstrap.
COMPARISONS: tuple[tuple[str, str], ...] = (
    (MC.name, "temperature_scaled"),
    (MC.name, INFERENCE.name),
    ("ensemble", MC.name),
)
COMPARED_FIGURES = ("ece", "nll")  # both lower-is-better


@dataclass
class Prediction:
    """A method's predictive probabilities on some rows, and what the figures need beside them."""

    probs: np.ndarray  # (n, classes)
    passes: int  # forward passes per row
    predicted: np.ndarray | None = None  # the predicted class when it is fixed elsewhere (scaling keeps the argmax)
    expected_entropy: np.ndarray | None = None  # (n,) mean entropy of the passes/members: gives MI
    extra: dict = field(default_factory=dict)  # method-specific keys of its entry ("temperature", "members")

    def classes(self) -> np.ndarray:
        return np.argmax(self.probs, axis=-1) if self.predicted is None else np.asarray(self.predicted)

    def scores(self) -> dict[str, np.ndarray]:
        """Its own uncertainty scores, higher = less sure: 1 - top probability, and MI where there are passes."""
        scores = {MAX_PROB.name: 1.0 - np.max(np.asarray(self.probs, np.float64), axis=-1)}
        if self.expected_entropy is not None:
            scores[MUTUAL_INFORMATION.name] = epistemic(self.probs, self.expected_entropy)
        return scores


def classification_figures(prediction: Prediction, labels: np.ndarray) -> dict:
    """{accuracy, nll, ece, brier, auroc_error, aurc, passes} of one method (max-probability score for the last two)."""
    probs = np.asarray(prediction.probs)  # in its own dtype, so bins and ECE match the modes' numbers exactly
    labels = np.asarray(labels).reshape(-1)
    correct = prediction.classes() == labels
    confidence = np.max(probs, axis=-1)
    score = prediction.scores()[MAX_PROB.name]
    empty = len(labels) == 0
    return {
        "accuracy": None if empty else _float(np.mean(correct)),
        "nll": None if empty else _float(metrics.nll(probs, labels)),
        "ece": reliability(confidence, correct)["ece"],
        "brier": None if empty else _float(metrics.brier(probs, labels)),
        "auroc_error": auroc(score, ~correct),
        "aurc": selective(score, correct)["aurc"],
        "passes": prediction.passes,
        **prediction.extra,
    }


def classification_report(
    predictions: dict[str, Prediction],
    labels: np.ndarray,
    ood: dict | None = None,
    far: dict[str, Prediction] | None = None,
    seed: int = 0,
) -> dict:
    """The uncertainty block with every method: reliability and figures per method, OOD per method's own scores.

    ``predictions`` holds at least ``inference`` and ``mc`` (whose scores the score table keeps);
    ``far``: the same methods on the OOD inputs, when ``ood`` is given.
    """
    inference, mc = predictions[INFERENCE.name], predictions[MC.name]
    assert mc.expected_entropy is not None, "the mc prediction carries its passes' mean entropy"
    report = uncertainty_report(inference.probs, mc.probs, mc.expected_entropy, labels, ood, seed=seed)
    given = report["reliability"]
    report["reliability"] = {
        name: given.get(name) or reliability(np.max(p.probs, axis=-1), p.classes() == np.asarray(labels).reshape(-1))
        for name, p in _ordered(predictions)
    }
    report["methods"] = {name: classification_figures(p, labels) for name, p in _ordered(predictions)}
    report["comparisons"] = comparisons(predictions, labels, report["methods"], seed)
    if ood is not None and far is not None:
        ood["methods"] = {
            name: ood_table(p.scores(), far[name].scores()) for name, p in _ordered(predictions) if name in far
        }
    return report


def comparisons(predictions: dict[str, Prediction], labels: np.ndarray, figures: dict, seed: int) -> list[dict]:
    """Each pair of COMPARISONS present, on ECE and NLL: the figures and the paired-bootstrap interval of a - b.

    ``verdict``: "better" when the interval lies below 0 (the first method's figure is lower beyond
    noise), "worse" above 0, "indistinguishable" when it holds 0; null without rows.
    """
    labels = np.asarray(labels).reshape(-1)
    pairs = [(a, b) for a, b in COMPARISONS if a in predictions and b in predictions]
    if not pairs:
        return []
    used = {name for pair in pairs for name in pair}
    statistics: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
    for name in used:
        statistics.update(_statistics(name, predictions[name], labels))
    n = len(labels)

    def every_figure(rows: np.ndarray) -> np.ndarray:  # each chunk's draws become counts once, for every figure
        drawn = bootstrap.counts(rows, n)
        return np.column_stack([statistic(drawn) for statistic in statistics.values()])

    resampled = bootstrap.resample({"all": every_figure}, n, seed=seed)["all"].reshape(-1, len(statistics))
    drawn = dict(zip(statistics, resampled.T, strict=True))
    out = []
    for a, b in pairs:
        for metric in COMPARED_FIGURES:
            low, high = bootstrap.interval(drawn[f"{a}.{metric}"] - drawn[f"{b}.{metric}"])
            verdict = _verdict(low, high)
            values = {"a_value": figures[a][metric], "b_value": figures[b][metric], "low": low, "high": high}
            out.append({"a": a, "b": b, "metric": metric, **values, "verdict": verdict})
    return out


def _verdict(low: float | None, high: float | None) -> str | None:
    if low is None or high is None:
        return None
    return "better" if high < 0 else "worse" if low > 0 else "indistinguishable"


def _statistics(name: str, prediction: Prediction, labels: np.ndarray) -> dict:
    """The compared figures of one method as functions of resampled row counts (``bootstrap.counts``)."""
    per_row = metrics.nll_rows(prediction.probs, labels).astype(np.float64)
    confidence, correct = np.max(prediction.probs, axis=-1), prediction.classes() == labels
    return {
        f"{name}.nll": lambda drawn: bootstrap.resampled_mean(per_row, drawn),
        f"{name}.ece": bootstrap.ece_statistic(confidence, correct),
    }


def _ordered(predictions: dict) -> list:
    return [(name, predictions[name]) for name in METHOD_NAMES if name in predictions]


@dataclass
class RegressionPrediction:
    """A method's predictive distribution for regression targets: N(mean, var) per output, or a point (var None)."""

    mean: np.ndarray  # (n, k)
    var: np.ndarray | None  # (n, k); None: a point prediction, no interval
    passes: int
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_samples(cls, samples: np.ndarray, **extra: object) -> RegressionPrediction:
        """T passes or K members (T, n, k) as a Gaussian: their mean and population variance (as the mc mode)."""
        samples = np.asarray(samples, dtype=np.float64)
        return cls(samples.mean(axis=0), samples.var(axis=0), len(samples), extra)


REGRESSION_FIGURES = ("rmse", "nll", "coverage", "calibration", "sharpness", "passes")


def regression_figures(prediction: RegressionPrediction, targets: np.ndarray) -> dict:
    """{rmse, nll, coverage, calibration, sharpness, passes}: all but rmse null for a point prediction."""
    if prediction.var is None:
        figures = regression_metrics.point_figures(prediction.mean, targets)
    else:
        figures = regression_metrics.gaussian_figures(prediction.mean, prediction.var, targets)
    return {**figures, "passes": prediction.passes, **prediction.extra}


def regression_report(predictions: dict[str, RegressionPrediction], targets: np.ndarray) -> dict:
    """The regression uncertainty block: every method's predictive distribution, judged the same way."""
    return {"methods": {name: regression_figures(p, targets) for name, p in _ordered(predictions)}}


class MemberTotals:
    """Running totals of an ensemble's members on one set of rows, so memory stays flat in K.

    Classification: the sum of the members' probabilities and of their entropies (for the mean
    and the mutual information); regression: Welford's running mean and sum of squared deviations.
    """

    def __init__(self, regression: bool) -> None:
        self.regression = regression
        self.count = 0
        self.total = np.zeros(0)  # classification: sum of probabilities; regression: running mean
        self.spread = np.zeros(0)  # classification: sum of entropies; regression: sum of squared deviations

    def add(self, outputs: np.ndarray) -> None:
        """One member's probabilities (n, classes) or regression outputs (n, k)."""
        values = np.asarray(outputs, dtype=np.float64)
        self.count += 1
        if self.count == 1:
            self.total = np.zeros_like(values)
            self.spread = np.zeros_like(values) if self.regression else np.zeros(len(values))
        if self.regression:
            delta = values - self.total
            self.total += delta / self.count
            self.spread += delta * (values - self.total)
        else:
            self.total += values
            self.spread += entropy(values)

    def prediction(self) -> Prediction | RegressionPrediction:
        extra = {"members": self.count}
        if self.regression:
            return RegressionPrediction(self.total.copy(), self.spread / self.count, self.count, extra)
        return Prediction(self.total / self.count, self.count, expected_entropy=self.spread / self.count, extra=extra)
