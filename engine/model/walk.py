"""Walking a model's layers: nested models, layers inside layers, wrappers and RNN cells."""

from __future__ import annotations

from collections.abc import Iterator

import keras

from dropout_tui.engine.model.custom_objects import is_keras_module


def iter_layers(model: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    """Every layer reachable from ``model`` (depth first, each once), model excluded.

    A parent always comes before its children, so reversing the list puts every
    layer after all of its descendants.
    """
    seen: set[int] = {id(model)}
    stack = list(reversed(_children(model)))
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(reversed(_children(layer)))


def descendants(layer: keras.layers.Layer) -> set[int]:
    """The ids of every layer inside ``layer`` (itself excluded)."""
    return {id(child) for child in iter_layers(layer)}


def _children(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    # Keras 3 tracks sub-layers of models and of custom layers in `_layers`.
    return [child for child in getattr(layer, "_layers", []) if isinstance(child, keras.layers.Layer)]


def is_keras_class(layer: object) -> bool:
    """True for a layer whose class comes from Keras itself (not a user's subclass)."""
    return is_keras_module(type(layer).__module__)


def keras_base(layer: object) -> type:
    """The first class in ``layer``'s MRO that Keras defines (the layer's own class when it is a Keras one)."""
    for cls in type(layer).__mro__:
        if is_keras_module(cls.__module__):
            return cls
    return type(layer)
