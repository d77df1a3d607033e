"""A model's dropout rates set for the length of a block, for tests that need dropout off in a trained model."""

from __future__ import annotations

import contextlib

import keras

from dropout_tui.engine.model.layers import layer_attributes, stochastic_layers


def dropout_rate(model: keras.layers.Layer, rate: float) -> contextlib.AbstractContextManager:
    """Every Dropout-family layer's rate set to ``rate`` inside the block, restored after it."""
    layers = [layer for layer in stochastic_layers(model) if hasattr(layer, "rate")]
    return layer_attributes(layers, "rate", [rate] * len(layers))
