"""What a run reads before TensorFlow loads: the data, the OOD inputs, and the files named on the command line.

Everything here runs on numpy alone, so the command line checks it before the app opens (bad input is one
line and exit 2, with no screen drawn) and the Session checks it again for callers that skipped that. What
the command line loaded is handed to the first Session asking for the same inputs (``keep``/``take``), so a
run does not read its data twice. What needs the model (its head against ``--task``, custom objects that
raise, devices) is found once TensorFlow has loaded: the Session's ``user_error``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.embedded import digits_test_rows
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.limits import CLASSIFICATION, NOISE

if TYPE_CHECKING:  # the data modules import NumPy: loaded only where data is read, not on the start path
    from dropout_tui.engine.data.datasets import Dataset
    from dropout_tui.engine.data.ood import OodSet

# The RunConfig fields that decide what check_inputs loads: runs that differ only in others (a sweep's rates,
# epochs) read the same inputs.
INPUT_FIELDS = (
    "command",
    "dataset",
    "data_path",
    "task",
    "ood",
    "seed",
    "model_path",
    "custom_objects",
    "fine_tune",
    "probe_index",
)


@dataclass(frozen=True)
class Inputs:
    dataset: Dataset
    ood: OodSet | None


def check_before_screen(config: RunConfig) -> Inputs | None:
    """What the command line checks before the app draws its first frame; what it loaded (None: nothing yet).

    The embedded digits, classified, with no file of the user's, cannot be bad input (they are shipped and
    checksummed when loaded): only the probe index is checked, from the file's header, so NumPy and the data
    load in the worker, after the first frame. Anything else is checked in full.
    """
    embedded = config.data_path is None and config.dataset == "digits" and config.command != "inspect"
    if embedded and config.task in (None, CLASSIFICATION) and config.ood in (None, NOISE):
        check_probe_index(config, digits_test_rows())
        return None
    return check_inputs(config)


def check_probe_index(config: RunConfig, test_rows: int) -> None:
    if config.probe_index >= test_rows:
        raise ConfigError(f"--probe-index {config.probe_index} is out of range: the test set has {test_rows} samples")


def check_inputs(config: RunConfig) -> Inputs:
    """The run's data and OOD inputs, checked, and its model and custom-objects files, there and readable."""
    from dropout_tui.engine.data.datasets import DataError, load_dataset
    from dropout_tui.engine.data.ood import load_ood
    from dropout_tui.engine.model.custom_objects import check_custom_objects_file
    from dropout_tui.engine.model.loading import check_model_file

    inspect = config.command == "inspect"
    dataset = load_dataset(config, require_train=not inspect or config.fine_tune > 0, scale_uint8=not inspect)
    if inspect:
        check_model_file(config.model_path)
        if config.custom_objects:
            check_custom_objects_file(config.custom_objects)
    check_probe_index(config, dataset.n_test)
    if config.ood and dataset.task == "regression":
        raise DataError(ood_on_regression(config.ood))
    return Inputs(dataset, load_ood(config, dataset, config.seed))


def ood_on_regression(ood: str) -> str:
    """Why --ood is refused for a regression run: what it feeds (the uncertainty scores) is classification's."""
    return (
        f"--ood {ood}: out-of-distribution inputs are scored by the classification uncertainty scores "
        "(max-prob, entropy, mutual information); a regression run has none"
    )


_kept: dict[tuple, Inputs] = {}
_lock = threading.Lock()


def _key(config: RunConfig) -> tuple:
    return tuple(getattr(config, name) for name in INPUT_FIELDS)


def keep(config: RunConfig, inputs: Inputs) -> None:
    """Hand ``inputs`` (checked by the command line) to the next Session that needs them."""
    with _lock:
        _kept.clear()
        _kept[_key(config)] = inputs


def take(config: RunConfig) -> Inputs | None:
    """The inputs kept for a run like ``config``, once; None when there are none."""
    with _lock:
        return _kept.pop(_key(config), None)
