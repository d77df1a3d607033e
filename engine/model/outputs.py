"""Does a classifier output probabilities or logits? Decided from the model and a probe.

A model's last activation is the first witness; a probe batch is the second,
because a custom last layer hides its activation and only its numbers tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# log_softmax outputs log-probabilities; softmax of them gives the same probabilities back.
PROBABILITY_ACTIVATIONS = ("softmax",)
SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class OutputKind:
    logits: bool
    final_activation: str | None  # None when the last layer does not expose one
    rows_are_distributions: bool  # the probe: non-negative rows summing to 1

    def note(self) -> str:
        witness = f"final activation {self.final_activation}" if self.final_activation else "final activation unknown"
        if not self.logits:
            return f"outputs are probabilities ({witness}, probe rows sum to 1)"
        if self.final_activation and self.final_activation not in ("linear", "log_softmax"):
            return (
                f"outputs are not a softmax ({witness}): softmax applied over them, "
                "so probabilities are only as meaningful as that activation allows"
            )
        reason = witness if self.final_activation else "probe rows do not sum to 1"
        return f"outputs are logits ({reason}): softmax applied"


def final_activation(model) -> str | None:
    """Name of the activation that produces the model's (first) output, if visible."""
    import keras

    layer = _output_layer(model)
    while isinstance(layer, keras.Model):
        layer = _output_layer(layer)
    if layer is None:
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", None) or str(activation)


def _output_layer(model):
    try:
        history = model.outputs[0]._keras_history
    except (AttributeError, IndexError, TypeError, ValueError):
        layers = getattr(model, "layers", None)
        return layers[-1] if layers else None
    return history.operation if hasattr(history, "operation") else history[0]


def rows_are_distributions(outputs: np.ndarray) -> bool:
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.all(np.isfinite(outputs)) or np.any(outputs < -SUM_TOLERANCE):
        return False
    return bool(np.all(np.abs(outputs.sum(axis=-1) - 1.0) <= SUM_TOLERANCE))


def classify_outputs(model, probe_outputs: np.ndarray) -> OutputKind:
    """Logits when the final activation is known and not softmax, or the probe disagrees."""
    activation = final_activation(model)
    distributions = rows_are_distributions(probe_outputs)
    known_other = activation is not None and activation not in PROBABILITY_ACTIVATIONS
    return OutputKind(
        logits=known_other or not distributions, final_activation=activation, rows_are_distributions=distributions
    )
