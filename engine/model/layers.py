"""Which layers behave differently under ``training``, and switching them safely.

Stochastic layers draw random noise when called with ``training=True``;
normalisation layers (BatchNormalization) use batch statistics and update their
moving statistics. Discovery walks nested models and layers inside layers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import keras
import numpy as np

STOCHASTIC_CLASSES = (
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.GaussianNoise,
)
NORMALIZATION_CLASSES = (keras.layers.BatchNormalization,)


def iter_layers(model: keras.layers.Layer) -> Iterator[keras.layers.Layer]:
    """Every layer reachable from ``model`` (depth first, each once), model excluded."""
    seen: set[int] = {id(model)}
    stack = list(reversed(_children(model)))
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(reversed(_children(layer)))


def _children(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    # Keras 3 tracks sub-layers of models and of custom layers in `_layers`.
    return [child for child in getattr(layer, "_layers", []) if isinstance(child, keras.layers.Layer)]


@dataclass(frozen=True)
class StochasticLayer:
    name: str
    cls: str
    rate: float | None  # Dropout family
    stddev: float | None  # GaussianNoise
    noise_shape: list | None

    def to_json(self) -> dict:
        data = {"name": self.name, "class": self.cls, "rate": self.rate, "noise_shape": self.noise_shape}
        if self.stddev is not None:
            data["stddev"] = self.stddev
        return data


def stochastic_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    return [layer for layer in iter_layers(model) if isinstance(layer, STOCHASTIC_CLASSES)]


def normalization_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    return [layer for layer in iter_layers(model) if isinstance(layer, NORMALIZATION_CLASSES)]


def describe_stochastic(model: keras.layers.Layer) -> list[StochasticLayer]:
    described = []
    for layer in stochastic_layers(model):
        noise_shape = _noise_shape(layer)
        described.append(
            StochasticLayer(
                name=layer.name,
                cls=type(layer).__name__,
                rate=_float_or_none(getattr(layer, "rate", None)),
                stddev=_float_or_none(getattr(layer, "stddev", None)),
                noise_shape=None if noise_shape is None else [None if d is None else int(d) for d in noise_shape],
            )
        )
    return described


def _noise_shape(layer: keras.layers.Layer) -> tuple | None:
    # Spatial dropout keeps noise_shape=None and builds its mask shape inside call();
    # report that effective shape (None = the input's size along that axis).
    spatial_rank = {
        keras.layers.SpatialDropout1D: 1,
        keras.layers.SpatialDropout2D: 2,
        keras.layers.SpatialDropout3D: 3,
    }
    for cls, rank in spatial_rank.items():
        if isinstance(layer, cls):
            if getattr(layer, "data_format", "channels_last") == "channels_first":
                return (None, None) + (1,) * rank
            return (None,) + (1,) * rank + (None,)
    return getattr(layer, "noise_shape", None)


def describe_normalization(model: keras.layers.Layer) -> list[dict]:
    return [{"name": layer.name, "class": type(layer).__name__} for layer in normalization_layers(model)]


def _float_or_none(value) -> float | None:
    return None if value is None else float(value)


@contextlib.contextmanager
def layer_attributes(layers: list[keras.layers.Layer], name: str, values: list) -> Iterator[None]:
    """Set ``layer.<name>`` to the matching value on each layer; restore them all on exit."""
    saved = [getattr(layer, name) for layer in layers]
    try:
        for layer, value in zip(layers, values):
            setattr(layer, name, value)
        yield
    finally:
        for layer, old in zip(layers, saved):
            setattr(layer, name, old)


def normalization_in_inference(model: keras.layers.Layer) -> contextlib.AbstractContextManager:
    """Inside this block, ``model(x, training=True)`` runs dropout but not BatchNorm.

    Keras documents that a BatchNormalization layer with ``trainable=False``
    runs in inference mode even when called with ``training=True``; that is the
    per-layer switch Keras offers. Flags are restored on exit.
    """
    layers = normalization_layers(model)
    return layer_attributes(layers, "trainable", [False] * len(layers))


def trainable_stochastic_layers(model: keras.layers.Layer) -> contextlib.AbstractContextManager:
    """The article's remedy: trainable=True on every stochastic layer (restored after)."""
    layers = stochastic_layers(model)
    return layer_attributes(layers, "trainable", [True] * len(layers))


class NormalizationState:
    """A bit-exact copy of every normalisation layer's non-trainable variables."""

    def __init__(self, model: keras.layers.Layer) -> None:
        self._variables = [v for layer in normalization_layers(model) for v in layer.non_trainable_variables]
        self._saved = [np.array(v.numpy(), copy=True) for v in self._variables]

    def max_relative_shift(self) -> float:
        """Largest change of any moving statistic, relative to that variable's scale.

        Per variable: max|now - saved| / max(max|saved|, max|now|). Taking the
        larger of the two scales keeps a freshly initialised moving_mean (all
        zeros) from giving an unbounded ratio: the result lies in [0, 2], and a
        statistic that moved off zero reads as 1 (a 100% change).
        """
        worst = 0.0
        for variable, saved in zip(self._variables, self._saved):
            if saved.size == 0:
                continue
            now = variable.numpy()
            scale = max(float(np.max(np.abs(saved))), float(np.max(np.abs(now))))
            if scale > 0.0:
                worst = max(worst, float(np.max(np.abs(now - saved))) / scale)
        return worst

    def restore(self) -> None:
        for variable, saved in zip(self._variables, self._saved):
            variable.assign(saved)


def per_sample_noise(model: keras.layers.Layer) -> contextlib.AbstractContextManager:
    """Inside this block, no stochastic layer shares its mask across batch rows.

    A ``noise_shape`` whose batch axis is fixed (e.g. ``(1, 1, C)``) draws one
    mask for the whole batch, so the T copies of a sample in one vectorised MC
    call would all get the same mask. With the batch axis set to None every row
    draws its own; sharing along the other axes of size 1 is kept.
    """
    layers = [
        layer
        for layer in stochastic_layers(model)
        if getattr(layer, "noise_shape", None) is not None and layer.noise_shape[0] is not None
    ]
    return layer_attributes(layers, "noise_shape", [(None, *tuple(layer.noise_shape)[1:]) for layer in layers])


def dropout_rate(model: keras.layers.Layer, rate: float) -> contextlib.AbstractContextManager:
    """Temporarily set every Dropout-family layer's rate (explain/test helper)."""
    layers = [layer for layer in stochastic_layers(model) if hasattr(layer, "rate")]
    return layer_attributes(layers, "rate", [rate] * len(layers))


@dataclass(frozen=True)
class RateHandle:
    """One rate the user can shift with + and -: a Dropout-family layer's ``rate``."""

    name: str  # how events and panes name it: the layer's name
    owner: object  # the object that holds the attribute
    attribute: str

    def get(self) -> float:
        return float(getattr(self.owner, self.attribute))

    def set(self, value: float) -> None:
        setattr(self.owner, self.attribute, value)


def rate_handles(model: keras.layers.Layer) -> list[RateHandle]:
    return [RateHandle(layer.name, layer, "rate") for layer in stochastic_layers(model) if hasattr(layer, "rate")]
