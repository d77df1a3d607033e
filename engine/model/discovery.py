"""Discovery: every layer that is random or normalising under ``training``, in the model's layer order.

Stochastic layers draw random noise when called with ``training=True``: the
Dropout family and GaussianNoise (by class), recurrent layers with dropout
(``recurrent``), and layers of unknown classes that a call-twice check finds
random (``custom``, see ``empirical``). Augmentation layers are random too but
listed apart (see ``augmentation``). Normalisation layers (BatchNormalization)
use batch statistics and update their moving statistics. Discovery walks nested
models, wrappers and layers inside layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras

from dropout_tui.engine.model.augmentation import is_augmentation
from dropout_tui.engine.model.empirical import check_layer
from dropout_tui.engine.model.recurrent import RecurrentLayer, as_recurrent, is_cell
from dropout_tui.engine.model.walk import descendants, is_keras_class, iter_layers

STOCHASTIC_CLASSES = (
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.GaussianNoise,
)
NOISE_CLASSES = (keras.layers.GaussianNoise,)
ATTENTION_CLASSES = (keras.layers.Attention,)  # and AdditiveAttention: dropout on the attention scores
NORMALIZATION_CLASSES = (keras.layers.BatchNormalization,)
KINDS = ("dropout", "noise", "recurrent", "custom")


@dataclass(frozen=True)
class StochasticLayer:
    """One layer that is random in training mode, as run_started and the summary list it."""

    name: str
    cls: str
    rate: float | None  # Dropout family (None for noise, recurrent and most custom layers)
    stddev: float | None  # GaussianNoise
    noise_shape: list | None
    kind: str = "dropout"  # one of KINDS
    dropout: float | None = None  # recurrent: the input dropout rate
    recurrent_dropout: float | None = None  # recurrent: the state dropout rate
    always_on: bool = False  # random even with training=False: predict() is stochastic

    def to_json(self) -> dict:
        data = {
            "name": self.name,
            "class": self.cls,
            "kind": self.kind,
            "rate": self.rate,
            "noise_shape": self.noise_shape,
        }
        if self.stddev is not None:
            data["stddev"] = self.stddev
        if self.kind == "recurrent":
            data["dropout"], data["recurrent_dropout"] = self.dropout, self.recurrent_dropout
        if self.always_on:
            data["always_on"] = True
        return data


@dataclass
class Survey:
    """Everything random or normalising in a model, in the model's layer order."""

    stochastic: list[StochasticLayer] = field(default_factory=list)
    stochastic_layers: list = field(default_factory=list)  # the Keras layers behind ``stochastic``
    recurrent: list[RecurrentLayer] = field(default_factory=list)
    augmentation: list = field(default_factory=list)
    normalization: list = field(default_factory=list)
    unchecked: list[tuple] = field(default_factory=list)  # (layer, why the empirical check could not run)

    def of_kind(self, kind: str) -> list[StochasticLayer]:
        return [entry for entry in self.stochastic if entry.kind == kind]


def has_attention_dropout(layer: keras.layers.Layer) -> bool:
    """An attention layer that drops attention scores (its ``dropout`` above 0)."""
    return isinstance(layer, ATTENTION_CLASSES) and (_float_or_none(getattr(layer, "dropout", None)) or 0) > 0


def survey(model: keras.layers.Layer) -> Survey:
    """Walk the model once: known classes first, then an empirical check of unknown ones (children first)."""
    result = Survey()
    layers = list(iter_layers(model))
    entries: dict[int, StochasticLayer] = {}
    settled: set[int] = set()  # layers inside augmentation or recurrent layers: not listed again
    for layer in layers:
        if id(layer) in settled:
            continue
        if is_augmentation(layer):
            result.augmentation.append(layer)
            settled |= descendants(layer)
            continue
        recurrent = as_recurrent(layer)
        if recurrent is not None:
            settled |= recurrent.inner_ids()
            if recurrent.active:
                result.recurrent.append(recurrent)
                entries[id(layer)] = _recurrent_entry(recurrent)
            continue
        if isinstance(layer, STOCHASTIC_CLASSES):
            entries[id(layer)] = _class_entry(layer)
        elif has_attention_dropout(layer):
            entries[id(layer)] = StochasticLayer(layer.name, type(layer).__name__, float(layer.dropout), None, None)
        elif isinstance(layer, NORMALIZATION_CLASSES):
            result.normalization.append(layer)
    random_ids = set(entries) | {id(layer) for layer in result.augmentation}
    for layer in reversed(layers):  # every layer after its descendants
        if id(layer) in settled or id(layer) in entries or is_keras_class(layer) or is_cell(layer):
            continue
        if descendants(layer) & random_ids:
            continue  # a container of layers already found: listing it too would count them twice
        verdict = check_layer(layer)
        if verdict.stochastic is None:
            result.unchecked.insert(0, (layer, verdict.problem))
        elif verdict.stochastic:
            entries[id(layer)] = _custom_entry(layer, verdict.always_on)
            random_ids.add(id(layer))
    for layer in layers:
        if id(layer) in entries:
            result.stochastic.append(entries[id(layer)])
            result.stochastic_layers.append(layer)
    return result


def _class_entry(layer: keras.layers.Layer) -> StochasticLayer:
    noise_shape = _noise_shape(layer)
    # A user's subclass may force training=True (MC dropout baked in): only a call tells.
    always_on = not is_keras_class(layer) and check_layer(layer).always_on
    return StochasticLayer(
        name=layer.name,
        cls=type(layer).__name__,
        rate=_float_or_none(getattr(layer, "rate", None)),
        stddev=_float_or_none(getattr(layer, "stddev", None)),
        noise_shape=None if noise_shape is None else [None if d is None else int(d) for d in noise_shape],
        kind="noise" if isinstance(layer, NOISE_CLASSES) else "dropout",
        always_on=always_on,
    )


def _recurrent_entry(recurrent: RecurrentLayer) -> StochasticLayer:
    return StochasticLayer(
        name=recurrent.name,
        cls=recurrent.cls,
        rate=None,
        stddev=None,
        noise_shape=None,
        kind="recurrent",
        dropout=recurrent.rate("dropout"),
        recurrent_dropout=recurrent.rate("recurrent_dropout"),
    )


def _custom_entry(layer: keras.layers.Layer, always_on: bool) -> StochasticLayer:
    return StochasticLayer(
        name=layer.name,
        cls=type(layer).__name__,
        rate=_float_or_none(getattr(layer, "rate", None)),
        stddev=_float_or_none(getattr(layer, "stddev", None)),
        noise_shape=None,
        kind="custom",
        always_on=always_on,
    )


def stochastic_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    return [layer for layer in iter_layers(model) if isinstance(layer, STOCHASTIC_CLASSES)]


def normalization_layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    return [layer for layer in iter_layers(model) if isinstance(layer, NORMALIZATION_CLASSES)]


def describe_stochastic(model: keras.layers.Layer) -> list[StochasticLayer]:
    """Every stochastic layer (kinds dropout, noise, recurrent, custom); ``.to_json()`` gives the summary entry."""
    return survey(model).stochastic


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


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
