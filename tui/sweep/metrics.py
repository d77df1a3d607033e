"""What the sweep table's columns and the chart's curves read from a RateRun: one definition each.

The chart's metrics come from the engine's mode registry (a curve for every mode that reports the metric,
in the row's style and drawing order) and from the score registry, read when the chart asks; the table
holds the numbers the article's question needs: the losses fit reports against the clean ones, the dropout
penalty, accuracy in every mode, NLL and ECE with dropout off and with MC dropout, and how well MC's mutual
information finds the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dropout_tui.engine.evaluation import modes, scores
from dropout_tui.engine.evaluation.block import MethodResult, ScoreResult
from dropout_tui.engine.evaluation.methods import BY_NAME as BY_METHOD
from dropout_tui.engine.evaluation.methods import METHOD_NAMES
from dropout_tui.engine.evaluation.modes import INFERENCE, MC, TRAINING, Mode
from dropout_tui.engine.evaluation.scores import MUTUAL_INFORMATION
from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION
from dropout_tui.tui import fmt
from dropout_tui.tui.fmt import finite, num
from dropout_tui.tui.panes.styles import LOSS_STYLES
from dropout_tui.tui.sweep.state import RateRun

Getter = Callable[[RateRun], "float | None"]
UNCERTAINTY_SCORE = MUTUAL_INFORMATION.name  # the table's AURC/AUROC: MC dropout's epistemic part (BALD)


def mode_value(mode: Mode, key: str, scale: float = 1.0) -> Getter:
    def get(run: RateRun) -> float | None:
        value = finite((run.modes.get(mode.name) or {}).get(key))
        return None if value is None else value * scale

    return get


def epoch_value(attribute: str) -> Getter:
    def get(run: RateRun) -> float | None:
        last = run.last_epoch
        return None if last is None else finite(getattr(last, attribute, None))

    return get


def difference(minuend: Getter, subtrahend: Getter) -> Getter:
    def get(run: RateRun) -> float | None:
        a, b = minuend(run), subtrahend(run)
        return None if a is None or b is None else a - b

    return get


def score_value(score: str, figure: Callable[[ScoreResult], float | None]) -> Getter:
    def get(run: RateRun) -> float | None:
        result = run.block.scores.get(score) if run.block else None
        return None if result is None else figure(result)

    return get


def method_value(method: str, figure: Callable[[MethodResult], float | None]) -> Getter:
    def get(run: RateRun) -> float | None:
        result = run.block.methods.get(method) if run.block else None
        return None if result is None else figure(result)

    return get


def _auroc_error(result: ScoreResult | MethodResult) -> float | None:
    return result.auroc_error


def _aurc(result: ScoreResult | MethodResult) -> float | None:
    return result.aurc


def _ece(result: MethodResult) -> float | None:
    return result.ece


FIT, CLEAN = epoch_value("train_loss_keras"), epoch_value("train_loss_inference")
DROPOUT_ON, TEST = epoch_value("train_loss_dropout"), epoch_value("test_loss_inference")
PENALTY = difference(DROPOUT_ON, CLEAN)  # dropout on minus off, same weights, training set


# --- the chart ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    marker: str
    colour: str
    get: Getter


@dataclass(frozen=True)
class Metric:
    """One chart the m/M keys cycle through: y against the rate, one curve per series."""

    key: str
    title: str
    note: str  # how to read it, under the chart
    series: tuple[Series, ...]
    task: str = CLASSIFICATION
    spec: str = ".3f"  # the y axis's numbers and the caption's


def _mode_series(key: str, task: str = CLASSIFICATION, scale: float = 1.0) -> tuple[Series, ...]:
    return tuple(
        Series(mode.name, *mode.style, mode_value(mode, key, scale))
        for mode in modes.drawing_order()
        if key in mode.metrics[task]
    )


def _score_series(figure: Callable[[ScoreResult], float | None]) -> tuple[Series, ...]:
    return tuple(Series(score.legend, *score.style, score_value(score.name, figure)) for score in scores.SCORES)


def _method_series(figure: Callable[[MethodResult], float | None]) -> tuple[Series, ...]:
    return tuple(
        Series(BY_METHOD[name].label, *BY_METHOD[name].style, method_value(name, figure)) for name in METHOD_NAMES
    )


# fit, dropout on, clean and test: the loss pane's four epoch losses, in its markers and colours.
LOSS_SERIES = (
    Series("fit", *LOSS_STYLES["train_loss_keras"], FIT),
    Series("on", *LOSS_STYLES["train_loss_dropout"], DROPOUT_ON),
    Series("clean", *LOSS_STYLES["train_loss_inference"], CLEAN),
    Series("test", *LOSS_STYLES["test_loss_inference"], TEST),
)


def all_metrics() -> tuple[Metric, ...]:
    """Every chart, built from the registries as they are now (a registered mode or score has its curve)."""
    return (
        Metric(
            "accuracy",
            "test accuracy % by mode",
            "training: training=True at test time; inference: dropout off",
            _mode_series("accuracy", scale=100.0),
            spec=".1f",
        ),
        Metric(
            "losses",
            "training and test loss (end of training)",
            "fit: dropout on, epoch mean; on: dropout on; clean, test: off",
            LOSS_SERIES,
        ),
        Metric(
            "penalty",
            "dropout penalty and gaps",
            "penalty: train loss dropout on - off, same weights",
            (
                Series("penalty", "◆", "green3", PENALTY),
                Series("fit-clean", "●", "dark_orange", difference(FIT, CLEAN)),
                Series("test-clean", "▲", "magenta", difference(TEST, CLEAN)),
            ),
            spec="+.3f",
        ),
        Metric("nll", "test NLL by mode (lower is better)", "mean -log p(true class)", _mode_series("loss")),
        Metric("ece", "test ECE by mode (lower is better)", "expected calibration error, 15 bins", _mode_series("ece")),
        Metric(
            "brier", "test Brier score by mode", "multi-class squared error (lower is better)", _mode_series("brier")
        ),
        Metric(
            "auroc",
            "AUROC: uncertainty finds the errors",
            "higher is better; 0.5 = no better than chance",
            _score_series(_auroc_error),
        ),
        Metric(
            "aurc",
            "AURC: risk over coverage (lower is better)",
            "area under the risk-coverage curve of each uncertainty score",
            _score_series(_aurc),
        ),
        Metric(
            "method_ece",
            "ECE by uncertainty method (lower is better)",
            "does MC dropout beat temperature scaling (1 pass) at this rate?",
            _method_series(_ece),
        ),
        Metric(
            "method_aurc",
            "AURC by uncertainty method (lower is better)",
            "selective prediction by each method's own max-probability",
            _method_series(_aurc),
        ),
        Metric(
            "rmse",
            "test RMSE by mode",
            "regression: root mean squared error",
            _mode_series("rmse", REGRESSION),
            REGRESSION,
        ),
        Metric(
            "mae", "test MAE by mode", "regression: mean absolute error", _mode_series("mae", REGRESSION), REGRESSION
        ),
        Metric(
            "losses_regression",
            "training and test loss (end of training)",
            "fit: dropout on, epoch mean; on: dropout on; clean, test: off",
            LOSS_SERIES,
            REGRESSION,
        ),
    )


def metrics_for(task: str) -> tuple[Metric, ...]:
    return tuple(metric for metric in all_metrics() if metric.task == task)


# --- the table ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: two header lines, the cell's text, and when it goes on a narrow terminal (higher first)."""

    key: str
    header: tuple[str, str]
    text: Callable[[RateRun], str]
    drop: int = 0  # 0: never dropped
    metrics: frozenset[str] = frozenset()  # the chart metrics whose numbers this column holds (highlighted)


def _number(get: Getter, spec: str = ".3f") -> Callable[[RateRun], str]:
    def text(run: RateRun) -> str:
        value = get(run)
        if value is not None and float(format(value, spec)) == 0:
            value = 0.0  # -0.000: float noise of a difference that is zero (rate 0) reads as a sign
        if value is not None and abs(value) >= 1e4:
            return num(value, ".3g")  # a regression NLL with a variance near 0: keep the column narrow
        return num(value, spec)

    return text


def _accuracy_spread(run: RateRun) -> str:
    metrics = run.modes.get(TRAINING.name) or {}
    return "-" if finite(metrics.get("accuracy")) is None else fmt.accuracy_with_error(metrics)


def run_text(run: RateRun) -> str:
    """The run column: where this rate's run is."""
    if run.state == "pending":
        return "wait"
    if run.state == "loading":
        return "load"
    if run.state == "failed":
        return "FAIL"
    if run.state in ("finished", "cancelled", "skipped"):
        return {"finished": "done", "cancelled": "cut", "skipped": "skip"}[run.state]
    if run.state == "stopped":
        return f"x@{len(run.epochs)}"
    if run.state == "evaluating" and run.epoch >= run.total_epochs:
        return "eval"
    return f"{run.epoch}/{run.total_epochs}"


def rate_text(rate: float | None) -> str:
    return "-" if rate is None else fmt.rate(rate)


S = UNCERTAINTY_SCORE
INFERENCE_ACCURACY = mode_value(INFERENCE, "accuracy", 100)
COLUMNS: tuple[Column, ...] = (
    Column("rate", ("", "rate"), lambda run: rate_text(run.rate)),
    Column("run", ("", "run"), run_text),
    Column("fit", ("fit", "loss"), _number(FIT), 1, frozenset({"losses", "penalty"})),
    Column("clean", ("clean", "loss"), _number(CLEAN), 1, frozenset({"losses", "penalty"})),
    Column("penalty", ("drop", "pen."), _number(PENALTY, "+.3f"), 1, frozenset({"penalty"})),
    Column("test", ("test", "loss"), _number(TEST), 1, frozenset({"losses", "penalty"})),
    Column("acc_inference", ("acc%", INFERENCE.short), _number(INFERENCE_ACCURACY, ".1f"), 2, frozenset({"accuracy"})),
    Column("acc_training", ("acc%", TRAINING.short), _accuracy_spread, 2, frozenset({"accuracy"})),
    Column("acc_mc", ("acc%", MC.short), _number(mode_value(MC, "accuracy", 100), ".1f"), 2, frozenset({"accuracy"})),
    Column("nll_inference", ("NLL", INFERENCE.short), _number(mode_value(INFERENCE, "loss")), 3, frozenset({"nll"})),
    Column("nll_mc", ("NLL", MC.short), _number(mode_value(MC, "loss")), 3, frozenset({"nll"})),
    Column("ece_inference", ("ECE", INFERENCE.short), _number(mode_value(INFERENCE, "ece")), 4, frozenset({"ece"})),
    Column("ece_mc", ("ECE", MC.short), _number(mode_value(MC, "ece")), 4, frozenset({"ece", "method_ece"})),
    Column("aurc", ("AURC", "MC MI"), _number(score_value(S, _aurc)), 5, frozenset({"aurc"})),
    Column("auroc", ("AUROC", "MC MI"), _number(score_value(S, _auroc_error)), 5, frozenset({"auroc"})),
)
REGRESSION_COLUMNS: tuple[Column, ...] = (
    *COLUMNS[:6],
    Column("rmse_inference", ("RMSE", INFERENCE.short), _number(mode_value(INFERENCE, "rmse")), 2, frozenset({"rmse"})),
    Column("rmse_training", ("RMSE", TRAINING.short), _number(mode_value(TRAINING, "rmse")), 2, frozenset({"rmse"})),
    Column("rmse_mc", ("RMSE", MC.short), _number(mode_value(MC, "rmse")), 2, frozenset({"rmse"})),
    Column("nll_mc", ("NLL", MC.short), _number(mode_value(MC, "nll")), 3),
    Column("coverage", ("cov90", MC.short), _number(mode_value(MC, "coverage_90")), 3),
)
LABEL_WIDTH = 20  # compare's file column: longer names keep their start and end


def short_label(label: str, width: int = LABEL_WIDTH) -> str:
    if len(label) <= width:
        return label
    head = (width - 1) // 2
    return f"{label[:head]}…{label[-(width - 1 - head) :]}"


FILE_COLUMN = Column("file", ("", "file"), lambda run: short_label(run.label))


def columns_for(task: str, compare: bool) -> tuple[Column, ...]:
    """The table's columns; compare adds the file and leaves out the run column (every run there is done)."""
    columns = REGRESSION_COLUMNS if task == REGRESSION else COLUMNS
    return (FILE_COLUMN, *(column for column in columns if column.key != "run")) if compare else columns
