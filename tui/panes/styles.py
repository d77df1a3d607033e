"""Markers and colours that stand for the same series wherever the app draws it (markers keep series apart
under NO_COLOR). A mode's and a score's style is in its registry row (engine/evaluation/modes.py, scores.py)."""

from __future__ import annotations

from dropout_tui.engine.evaluation.modes import INFERENCE, MC, Style

# The four epoch losses (EpochEnd's attributes), top to bottom as the loss pane's caption reads them.
LOSS_STYLES: dict[str, Style] = {
    "train_loss_keras": Style("●", "dark_orange"),
    "train_loss_dropout": Style("◆", "green3"),
    "train_loss_inference": Style("■", "dodger_blue1"),
    "test_loss_inference": Style("▲", "magenta"),
}

# The engine's uncertainty methods (engine/evaluation/methods.py METHODS), in its order; the two that are modes
# (dropout off, MC dropout) as their mode rows draw them.
METHOD_STYLES: dict[str, Style] = {
    INFERENCE.name: INFERENCE.style,
    "temperature_scaled": Style("■", "dark_orange"),
    MC.name: MC.style,
    "ensemble": Style("◆", "green3"),
}
