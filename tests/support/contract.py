"""The headless summary contract, read from the engine's registries so the tests check what the engine promises."""

from dropout_tui.engine.evaluation.modes import MODES
from dropout_tui.engine.limits import CLASSIFICATION

SUMMARY_KEYS = {
    "event",
    "dataset",
    "n_train",
    "n_test",
    "epochs_run",
    "seconds",
    "stochastic_layers",
    "modes",
    "task",
    "uncertainty",
    "augmentation_layers",
}


def mode_keys(task: str = CLASSIFICATION) -> dict[str, set[str]]:
    """mode name -> the keys of its entry in the summary, for one task."""
    return {mode.name: set(mode.metrics[task]) for mode in MODES}


MODE_KEYS = mode_keys()
