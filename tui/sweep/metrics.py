"""What the sweep table's columns and the chart's curves read from a RateRun: one definition each.

The chart's metrics come from the engine's mode registry (a curve for every mode that reports the
metric) and from the uncertainty scores; the table holds the numbers the article's question needs:
the losses fit reports against the clean ones, the dropout penalty, accuracy in every mode, NLL and
ECE with dropout off and with MC dropout, and how well MC's mutual information finds the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dropout_tui.engine.evaluation.modes import MODES
from dropout_tui.engine.evaluation.uncertainty import SCORES
from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION
from dropout_tui.tui import fmt
from dropout_tui.tui.fmt import finite, num
from dropout_tui.tui.panes.styles import LOSS_STYLES, SCORE_STYLES
from dropout_tui.tui.sweep.state import RateRun

Getter = Callable[[RateRun], "float | None"]
UNCERTAINTY_SCORE = "mutual_information"  # the table's AURC/AUROC: MC dropout's epistemic part (BALD)

# Markers tell curves apart under NO_COLOR; trainable_flag is drawn first, so inference covers it where equal.
MODE_STYLE = {
    "trainable_flag": ("×", "grey50"),
    "inference": ("●", "dodger_blue1"),
    "training": ("■", "dark_orange"),
    "dropout_only": ("◆", "green3"),
    "mc": ("▲", "magenta"),
}
DRAW_ORDER = ("trainable_flag", "training", "dropout_only", "mc", "inference")
SCORE_LABELS = {
    "max_prob": "max_prob (dropout off)",
    "mc_max_prob": "mc_max_prob",
    "entropy": "entropy (MC)",
    "mutual_information": "mutual info (MC)",
}


def mode_value(mode: str, key: str, scale: float = 1.0) -> Getter:
    def get(run: RateRun) -> float | None:
        value = finite((run.modes.get(mode) or {}).get(key))
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


def score_value(score: str, key: str) -> Getter:
    def get(run: RateRun) -> float | None:
        scores = (run.uncertainty or {}).get("scores") or {}
        return finite((scores.get(score) or {}).get(key))

    return get


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
    by_name = {mode.name: mode for mode in MODES}
    return tuple(
        Series(name, *MODE_STYLE[name], mode_value(name, key, scale))
        for name in DRAW_ORDER
        if key in by_name[name].metrics[task]
    )


def _score_series(key: str) -> tuple[Series, ...]:
    return tuple(Series(SCORE_LABELS[score], *SCORE_STYLES[score], score_value(score, key)) for score in SCORES)


# fit, dropout on, clean and test: the loss pane's four epoch losses, in its markers and colours.
LOSS_SERIES = (
    Series("fit", *LOSS_STYLES["train_loss_keras"], FIT),
    Series("on", *LOSS_STYLES["train_loss_dropout"], DROPOUT_ON),
    Series("clean", *LOSS_STYLES["train_loss_inference"], CLEAN),
    Series("test", *LOSS_STYLES["test_loss_inference"], TEST),
)
METRICS: tuple[Metric, ...] = (
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
    Metric("brier", "test Brier score by mode", "multi-class squared error (lower is better)", _mode_series("brier")),
    Metric(
        "auroc",
        "AUROC: uncertainty finds the errors",
        "higher is better; 0.5 = no better than chance",
        _score_series("auroc_error"),
    ),
    Metric(
        "aurc",
        "AURC: risk over coverage (lower is better)",
        "area under the risk-coverage curve of each uncertainty score",
        _score_series("aurc"),
    ),
    Metric(
        "rmse", "test RMSE by mode", "regression: root mean squared error", _mode_series("rmse", REGRESSION), REGRESSION
    ),
    Metric("mae", "test MAE by mode", "regression: mean absolute error", _mode_series("mae", REGRESSION), REGRESSION),
    Metric(
        "losses_regression",
        "training and test loss (end of training)",
        "fit: dropout on, epoch mean; on: dropout on; clean, test: off",
        LOSS_SERIES,
        REGRESSION,
    ),
)


def metrics_for(task: str) -> tuple[Metric, ...]:
    return tuple(metric for metric in METRICS if metric.task == task)


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
    metrics = run.modes.get("training") or {}
    accuracy, spread = finite(metrics.get("accuracy")), finite(metrics.get("accuracy_std"))
    if accuracy is None:
        return "-"
    return f"{100 * accuracy:.1f}" + (f"±{100 * spread:.1f}" if spread is not None else "")


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
INFERENCE_ACCURACY = mode_value("inference", "accuracy", 100)
COLUMNS: tuple[Column, ...] = (
    Column("rate", ("", "rate"), lambda run: rate_text(run.rate)),
    Column("run", ("", "run"), run_text),
    Column("fit", ("fit", "loss"), _number(FIT), 1, frozenset({"losses", "penalty"})),
    Column("clean", ("clean", "loss"), _number(CLEAN), 1, frozenset({"losses", "penalty"})),
    Column("penalty", ("drop", "pen."), _number(PENALTY, "+.3f"), 1, frozenset({"penalty"})),
    Column("test", ("test", "loss"), _number(TEST), 1, frozenset({"losses", "penalty"})),
    Column("acc_inference", ("acc%", "inf"), _number(INFERENCE_ACCURACY, ".1f"), 2, frozenset({"accuracy"})),
    Column("acc_training", ("acc%", "training"), _accuracy_spread, 2, frozenset({"accuracy"})),
    Column("acc_mc", ("acc%", "MC"), _number(mode_value("mc", "accuracy", 100), ".1f"), 2, frozenset({"accuracy"})),
    Column("nll_inference", ("NLL", "inf"), _number(mode_value("inference", "loss")), 3, frozenset({"nll"})),
    Column("nll_mc", ("NLL", "MC"), _number(mode_value("mc", "loss")), 3, frozenset({"nll"})),
    Column("ece_inference", ("ECE", "inf"), _number(mode_value("inference", "ece")), 4, frozenset({"ece"})),
    Column("ece_mc", ("ECE", "MC"), _number(mode_value("mc", "ece")), 4, frozenset({"ece"})),
    Column("aurc", ("AURC", "MC MI"), _number(score_value(S, "aurc")), 5, frozenset({"aurc"})),
    Column("auroc", ("AUROC", "MC MI"), _number(score_value(S, "auroc_error")), 5, frozenset({"auroc"})),
)
REGRESSION_COLUMNS: tuple[Column, ...] = (
    *COLUMNS[:6],
    Column("rmse_inference", ("RMSE", "inf"), _number(mode_value("inference", "rmse")), 2, frozenset({"rmse"})),
    Column("rmse_training", ("RMSE", "training"), _number(mode_value("training", "rmse")), 2, frozenset({"rmse"})),
    Column("rmse_mc", ("RMSE", "MC"), _number(mode_value("mc", "rmse")), 2, frozenset({"rmse"})),
    Column("nll_mc", ("NLL", "MC"), _number(mode_value("mc", "nll")), 3),
    Column("coverage", ("cov90", "MC"), _number(mode_value("mc", "coverage_90")), 3),
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
