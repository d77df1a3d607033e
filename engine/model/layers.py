"""Which layers behave differently under ``training``, and switching them safely.

Discovery lives in ``discovery`` (by class), ``recurrent``, ``augmentation`` and
``empirical`` (by behaviour); this module re-exports it and holds the switches
the evaluation modes enter (also while tracing a ``tf.function``: each switch
changes what the next trace sees) and the rate handles the + and - keys move.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import keras
import numpy as np

from dropout_tui.engine.model.augmentation import augmentation_layers, augmentation_off, describe_augmentation
from dropout_tui.engine.model.discovery import (
    ATTENTION_CLASSES,
    KINDS,
    NORMALIZATION_CLASSES,
    STOCHASTIC_CLASSES,
    StochasticLayer,
    Survey,
    describe_normalization,
    describe_stochastic,
    has_attention_dropout,
    normalization_layers,
    stochastic_layers,
    survey,
)
from dropout_tui.engine.model.recurrent import RATES, as_recurrent, set_cell_rate
from dropout_tui.engine.model.walk import iter_layers

__all__ = [
    "ATTENTION_CLASSES",
    "KINDS",
    "NORMALIZATION_CLASSES",
    "STOCHASTIC_CLASSES",
    "StochasticLayer",
    "Survey",
    "augmentation_layers",
    "describe_augmentation",
    "describe_normalization",
    "describe_stochastic",
    "iter_layers",
    "normalization_layers",
    "stochastic_layers",
    "survey",
]


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
    """A bit-exact copy of every normalisation layer's non-trainable variables (explain's claim 6 moves them)."""

    def __init__(self, model: keras.layers.Layer) -> None:
        self._variables = [v for layer in normalization_layers(model) for v in layer.non_trainable_variables]
        self._saved = [np.array(v.numpy(), copy=True) for v in self._variables]

    def max_relative_shift(self) -> float:
        from dropout_tui.engine.evaluation.metrics import moving_stats_shift

        return moving_stats_shift(self._saved, [v.numpy() for v in self._variables])

    def restore(self) -> None:
        for variable, saved in zip(self._variables, self._saved):
            variable.assign(saved)


@contextlib.contextmanager
def dropout_only_switches(model: keras.layers.Layer) -> Iterator[None]:
    """The ``dropout_only`` (and MC) mode: stochastic layers on, nothing else that ``training`` changes.

    Inside the block, ``model(x, training=True)`` keeps BatchNormalization in
    inference mode (``trainable=False``) and every augmentation layer off (its
    ``call`` forced to ``training=False``); Dropout-family, recurrent and custom
    stochastic layers stay on. Enter it while calling eagerly or while tracing a
    ``tf.function`` (a function traced outside the block keeps what it saw).
    The ``training`` mode needs no switch: everything on, augmentation included.
    """
    with normalization_in_inference(model), augmentation_off(model):
        yield


@dataclass(frozen=True)
class RateHandle:
    """One rate the user can shift with + and -: a Dropout-family layer's ``rate``."""

    name: str  # how events and panes name it: the layer's name (recurrent: "<layer>.dropout" / ".recurrent_dropout")
    owner: object  # the object that holds the attribute
    attribute: str

    def get(self) -> float:
        return float(getattr(self.owner, self.attribute))

    def set(self, value: float) -> None:
        setattr(self.owner, self.attribute, value)


@dataclass(frozen=True)
class CellRateHandle(RateHandle):
    """A recurrent layer's ``dropout`` or ``recurrent_dropout``, held by its cell(s).

    Bidirectional: both directions' cells move together. Raising
    ``recurrent_dropout`` from 0 switches an LSTM/GRU cell off its fused
    implementation (which ignores recurrent dropout) and back at 0 (see
    ``recurrent.set_cell_rate``). Like any rate, a new value reaches compiled
    functions only when they are traced again (``model.predict_function`` is
    cached: set it to None after a change).
    """

    cells: tuple = ()

    def set(self, value: float) -> None:
        for cell in self.cells or (self.owner,):
            set_cell_rate(cell, self.attribute, value)


def rate_handles(model: keras.layers.Layer) -> list[RateHandle]:
    """Every rate the + and - keys move, in the model's layer order.

    Dropout-family layers: their ``rate`` (named after the layer). Attention
    layers with dropout: their ``dropout``. Recurrent layers with either rate
    above 0: two handles, ``<layer>.dropout`` and ``<layer>.recurrent_dropout``.
    """
    handles: list[RateHandle] = []
    settled: set[int] = set()
    for layer in iter_layers(model):
        if id(layer) in settled:
            continue
        recurrent = as_recurrent(layer)
        if recurrent is not None:
            settled |= recurrent.inner_ids()
            if recurrent.active:
                handles.extend(
                    CellRateHandle(f"{layer.name}.{attribute}", recurrent.cells[0], attribute, cells=recurrent.cells)
                    for attribute in RATES
                )
        elif isinstance(layer, STOCHASTIC_CLASSES) and hasattr(layer, "rate"):
            handles.append(RateHandle(layer.name, layer, "rate"))
        elif has_attention_dropout(layer):
            handles.append(RateHandle(layer.name, layer, "dropout"))
    return handles
