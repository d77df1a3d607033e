"""The evaluation modes: one registry row per mode carries everything said about it.

A row holds the mode's name (part of the headless contract), what it runs and shows (README, the help
screen), the modes table's note, how a chart draws it (``Style``: marker and colour, and ``draw``: its place
in the drawing order), the keys of its summary entry per task (the schema is tested against them) and how
an evaluation round's passes become those numbers (``computes``). The engine, the modes table, the sweep
chart, the help, README's check and the contract tests all read these rows, so a new mode is one row here
(and its test); the table, charts and help make room for it by themselves, and the README and schema tests
say which rows the docs still lack. A mode computed from the passes the evaluator already runs
(``results.Round`` holds passes, not modes) needs nothing else; one that needs a new kind of pass adds it to
the evaluator first.

The pattern, shared by ``engine.evaluation.scores`` and meant for any further registry (uncertainty
*methods* beside MC dropout, for example):

- a frozen dataclass, one row per entry, holding every fact about it as plain data (strings, numbers and
  functions; never a UI type, so ``engine/`` stays UI-free);
- one module-level constant per row (``INFERENCE``, ``MC`` ...): code that means one particular entry imports
  its row and reads ``.name``; the name is spelled as a string literal only in its row
  (tests/engine/test_registry_names.py scans the sources for it: a new registry adds its module to
  REGISTRIES and its names to the scan there);
- a tuple of the rows (``MODES``) in the order the surfaces list them, the names and ``BY_NAME`` derived
  from it; readers look it up when they draw or compute (``modes.MODES``, not a copy taken at import), so a
  row added in a test reaches every surface;
- what an entry computes is a function on the row, taking one object that offers the raw inputs (here
  ``engine.evaluation.scoring.Passes``), so the registry imports nothing heavy and no caller switches on
  names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION

if TYPE_CHECKING:
    from dropout_tui.engine.evaluation.scoring import Passes


class Style(NamedTuple):
    """How a view draws an entry: a marker (keeps series apart under NO_COLOR) and a Rich colour name."""

    marker: str
    colour: str


@dataclass(frozen=True)
class Mode:
    """One way of running the model on the test set, and the numbers the summary reports for it."""

    name: str
    runs: str  # what runs, for README and the help screen
    shows: str  # what a user sees, for README
    note: str  # the modes table's short note
    short: str  # the sweep table's column heading for this mode
    repeated: bool  # R stochastic passes: reported as mean and spread
    metrics: dict[str, tuple[str, ...]]  # task -> the keys of this mode's entry in the summary
    computes: Callable[[Passes], dict[str, Any]]  # a round's passes -> this mode's entry, keys as in metrics
    style: Style  # its curves in the sweep chart
    draw: int  # charts draw lower first: a mode drawn later covers the ones it equals


def _inference(passes: Passes) -> dict[str, Any]:
    return passes.point(passes.inference)


def _training(passes: Passes) -> dict[str, Any]:
    return {**passes.repeated(passes.result.training), "bn_moving_stats_shift": passes.result.bn_shift}


def _trainable_flag(passes: Passes) -> dict[str, Any]:
    return {**passes.fit(passes.flagged), "max_abs_diff_vs_inference": passes.largest_change()}


def _dropout_only(passes: Passes) -> dict[str, Any]:
    return passes.repeated(passes.result.dropout_only)


def _mc(passes: Passes) -> dict[str, Any]:
    return passes.monte_carlo()


INFERENCE = Mode(
    name="inference",
    runs="`training=False`, what `evaluate`/`predict` do",
    shows="deterministic",
    note="dropout off",
    short="inf",
    repeated=False,
    metrics={
        CLASSIFICATION: ("accuracy", "loss", "ece", "brier"),
        REGRESSION: ("rmse", "mae"),
    },
    computes=_inference,
    style=Style("●", "dodger_blue1"),
    draw=4,
)
TRAINING = Mode(
    name="training",
    runs="every layer in training mode, one stochastic pass over the test set, repeated R times",
    shows="lower accuracy, spread > 0; how far BatchNorm's moving statistics would move "
    "(`bn_moving_stats_shift`), measured and never written",
    note="all layers train",
    short="training",
    repeated=True,
    metrics={
        CLASSIFICATION: ("accuracy", "accuracy_std", "loss", "loss_std", "repeats", "bn_moving_stats_shift"),
        REGRESSION: ("rmse", "rmse_std", "mae", "repeats", "bn_moving_stats_shift"),
    },
    computes=_training,
    style=Style("■", "dark_orange"),
    draw=1,
)
TRAINABLE_FLAG = Mode(
    name="trainable_flag",
    runs="the popular remedy: `trainable=True` on the dropout layers, then predict",
    shows="identical to `inference` (`max_abs_diff_vs_inference` = 0)",
    note="flag changed nothing",
    short="flag",
    repeated=False,
    metrics={
        CLASSIFICATION: ("accuracy", "loss", "max_abs_diff_vs_inference"),
        REGRESSION: ("rmse", "mae", "max_abs_diff_vs_inference"),
    },
    computes=_trainable_flag,
    style=Style("×", "grey50"),
    draw=0,  # first, so inference (drawn last) covers it where they are equal, as they should be
)
DROPOUT_ONLY = Mode(
    name="dropout_only",
    runs="stochastic layers on (recurrent dropout included), BatchNorm and augmentation in inference mode",
    shows="what MC dropout should use",
    note="norm. frozen",
    short="drop",
    repeated=True,
    metrics={
        CLASSIFICATION: ("accuracy", "accuracy_std", "loss", "loss_std", "repeats"),
        REGRESSION: ("rmse", "rmse_std", "mae", "repeats"),
    },
    computes=_dropout_only,
    style=Style("◆", "green3"),
    draw=2,
)
MC = Mode(
    name="mc",
    runs="mean of T `dropout_only` passes, vectorised: T copies in one compiled call",
    shows="usually the best NLL/ECE, plus an uncertainty",
    note="mean of T passes",
    short="MC",
    repeated=False,
    metrics={
        CLASSIFICATION: ("accuracy", "loss", "ece", "brier", "samples"),
        REGRESSION: ("rmse", "mae", "std", "nll", "coverage_90", "samples"),
    },
    computes=_mc,
    style=Style("▲", "magenta"),
    draw=3,
)

MODES: tuple[Mode, ...] = (INFERENCE, TRAINING, TRAINABLE_FLAG, DROPOUT_ONLY, MC)
MODE_NAMES: tuple[str, ...] = tuple(mode.name for mode in MODES)
BY_NAME: dict[str, Mode] = {mode.name: mode for mode in MODES}


def drawing_order() -> tuple[Mode, ...]:
    """The modes in the order charts draw them (``Mode.draw``; ties keep the registry's order)."""
    return tuple(sorted(MODES, key=lambda mode: mode.draw))
