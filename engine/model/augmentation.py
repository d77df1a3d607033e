"""Augmentation: Keras's random image preprocessing layers (RandomFlip, RandomTranslation, RandAugment, ...).

They are random in ``training`` mode only, like dropout, but MC dropout is not
test-time augmentation: ``dropout_only`` and ``mc`` switch them off. Keras has
no per-layer flag for that; :func:`augmentation_off` replaces ``call`` on the
instance with one that forces ``training=False`` (effective eagerly and in any
function traced inside the block) and deletes it on exit.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import keras
from keras.src.layers.preprocessing.image_preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)

from dropout_tui.engine.model.walk import descendants, iter_layers, keras_base


def is_augmentation(layer: keras.layers.Layer) -> bool:
    """A random image preprocessing layer: its Keras class takes a ``seed`` (Resizing, CenterCrop do not)."""
    if not isinstance(layer, BaseImagePreprocessingLayer):
        return False
    try:
        return "seed" in inspect.signature(keras_base(layer)).parameters
    except (TypeError, ValueError):
        return False


def augmentation_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    """The outermost augmentation layers: RandAugment and AugMix are listed, not the random layers they hold."""
    found, inside = [], set()
    for layer in iter_layers(model):
        if id(layer) in inside or not is_augmentation(layer):
            continue
        found.append(layer)
        inside |= descendants(layer)
    return found


def describe_augmentation(model: keras.layers.Layer) -> list[dict]:
    return [{"name": layer.name, "class": type(layer).__name__} for layer in augmentation_layers(model)]


@contextlib.contextmanager
def forced_training(layers: list[keras.layers.Layer], value: bool) -> Iterator[None]:
    """Inside: each layer's call runs with ``training=value`` whatever its caller passes; restored on exit."""
    swapped = []
    try:
        for layer in layers:
            if "call" in vars(layer):  # already swapped (a layer listed twice, or nested blocks)
                continue

            def forced(*args: Any, _original: Callable[..., Any] = layer.call, **kwargs: Any) -> Any:
                kwargs["training"] = value
                return _original(*args, **kwargs)

            layer.call = forced
            swapped.append(layer)
        yield
    finally:
        for layer in swapped:
            del layer.call  # back to the class's method


def augmentation_off(model: keras.layers.Layer) -> contextlib.AbstractContextManager:
    """Inside this block, every augmentation layer is the identity even under ``training=True``."""
    return forced_training(augmentation_layers(model), False)
