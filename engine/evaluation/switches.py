"""What the evaluator needs to know about a model's layers, and the switches it holds while tracing.

Trace-time facts (a rate, a noise_shape, a trainable flag, BatchNorm's
momentum) are baked into a compiled function; ``trace_key`` lists them, so a
change (the user's + and -) makes the evaluator build new functions instead of
dropping at the old rate.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from dropout_tui.engine.model import layers

if TYPE_CHECKING:
    import keras

# Attributes a layer's call reads at trace time; whichever a layer has go into the trace key.
TRACED_ATTRIBUTES = (
    "rate",
    "stddev",
    "noise_shape",
    "trainable",
    "dropout",
    "recurrent_dropout",
    "implementation",
    "momentum",
    "epsilon",
)


class ModeSwitches:
    """The model's random and normalising layers, as the evaluation modes treat them."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        found = layers.survey(model)  # by class, recurrent rates, augmentation, and custom layers by behaviour
        self._random_ids = {id(layer) for layer in found.stochastic_layers}
        self._sensitive_ids = {id(layer) for layer in found.normalization + found.augmentation}
        self.has_batch_statistics = bool(found.normalization)
        self.shares_mask_across_batch = any(
            entry.noise_shape is not None and entry.noise_shape[0] is not None for entry in found.stochastic
        )

    def _holds(self, layer: keras.layers.Layer, ids: set[int]) -> bool:
        return id(layer) in ids or any(id(inner) in ids for inner in layers.iter_layers(layer))

    def is_random(self, layer: keras.layers.Layer) -> bool:
        """Random in dropout_only and MC passes (the cut for those passes goes before it)."""
        return self._holds(layer, self._random_ids)

    def is_random_in_training(self, layer: keras.layers.Layer) -> bool:
        """Behaves differently in training mode than at inference: random, normalising on batch statistics,
        or augmenting (the cut for `training` goes before it)."""
        return self._holds(layer, self._random_ids | self._sensitive_ids)

    def dropout_only(self) -> contextlib.AbstractContextManager:
        """Stochastic layers on (recurrent and custom ones too); BatchNorm and augmentation off."""
        return layers.dropout_only_switches(self.model)

    def trainable_flag(self) -> contextlib.AbstractContextManager:
        return layers.trainable_stochastic_layers(self.model)

    def trace_key(self) -> tuple:
        return tuple(
            (id(layer), type(layer).__name__)
            + tuple(_hashable(getattr(layer, name)) for name in TRACED_ATTRIBUTES if hasattr(layer, name))
            for layer in layers.iter_layers(self.model)
        )


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
