"""Is a layer of an unknown class random? Call it twice on the same input and compare.

Only layers whose class is not Keras's own are checked (Keras's classes are
known). Both calls run inside ``keras.StatelessScope``, so no variable is
written: seed counters and BatchNorm statistics stay exactly as they were. The
input is random data shaped like the layer's first call (its inbound node), or
like the shape it was built with; integer inputs get 0/1 values.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from dropout_tui.engine.errors import one_line

PROBE_ROWS = 8


@dataclass(frozen=True)
class Verdict:
    stochastic: bool | None  # None: the check could not run (see ``problem``)
    always_on: bool = False  # random even with training=False (predict() is stochastic)
    problem: str = ""


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_layer(layer: keras.layers.Layer) -> Verdict:
    """Two ``training=True`` calls differ: stochastic; two ``training=False`` calls differ too: always on."""
    try:
        return _cache[layer]
    except (KeyError, TypeError):
        pass
    verdict = _check(layer)
    try:
        _cache[layer] = verdict
    except TypeError:
        pass
    return verdict


def _check(layer: keras.layers.Layer) -> Verdict:
    takes_training = bool(getattr(layer, "_call_has_training_arg", False))
    try:
        arguments = _probe_arguments(layer)
        if arguments is None:
            return Verdict(None, problem="its input shape is unknown")
        args, kwargs = arguments
        if not _differs(layer, args, kwargs, True if takes_training else None):
            return Verdict(False)
        if not takes_training:
            return Verdict(True, always_on=True)
        return Verdict(True, always_on=_differs(layer, args, kwargs, False))
    except Exception as error:  # a user's layer may fail on random data in any way
        return Verdict(None, problem=_reason(error))


def _reason(error: Exception) -> str:
    """The user's own message: Keras wraps it in 'Exception encountered when calling ...' with ANSI bold."""
    text = str(error)
    bold = re.search(r"\x1b\[1m(.*?)\x1b\[0m", text, re.DOTALL)
    if bold:
        text = bold.group(1)
    return one_line(ValueError(re.sub(r"\x1b\[[0-9;]*m", "", text)), 120)


def _differs(layer: keras.layers.Layer, args: tuple[Any, ...], kwargs: dict[str, Any], training: bool | None) -> bool:
    call_kwargs = dict(kwargs)
    if training is None:
        call_kwargs.pop("training", None)
    else:
        call_kwargs["training"] = training
    with keras.StatelessScope():  # every assign (seed counters, moving statistics) stays in the scope
        first = _numpy(layer(*args, **call_kwargs))
        second = _numpy(layer(*args, **call_kwargs))
    return any(
        a.shape != b.shape or not np.array_equal(a, b, equal_nan=True) for a, b in zip(first, second, strict=True)
    )


def _numpy(outputs: Any) -> list[np.ndarray]:
    return [np.asarray(keras.ops.convert_to_numpy(value)) for value in keras.tree.flatten(outputs)]


def _probe_arguments(layer: keras.layers.Layer) -> tuple[tuple, dict] | None:
    rng = np.random.default_rng(0)
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes and getattr(nodes[0], "arguments", None) is not None:
        arguments = nodes[0].arguments

        def fill(value: Any) -> Any:
            if isinstance(value, keras.KerasTensor):
                return _random(rng, tuple(value.shape), value.dtype)
            return value

        return keras.tree.map_structure(fill, arguments.args), keras.tree.map_structure(fill, arguments.kwargs)
    config = layer.get_build_config() or {}
    dtype = getattr(layer, "input_dtype", None) or "float32"
    if "input_shape" in config:
        return (_random(rng, tuple(config["input_shape"]), dtype),), {}
    if "shapes_dict" in config:
        shapes = list(config["shapes_dict"].values())
        return ([_random(rng, tuple(shape), dtype) for shape in shapes],), {}
    return None


def _random(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    full = tuple(PROBE_ROWS if index == 0 or size is None else int(size) for index, size in enumerate(shape))
    kind = np.dtype(keras.backend.standardize_dtype(dtype))
    if kind == np.bool_:
        return rng.integers(0, 2, size=full).astype(bool)
    if np.issubdtype(kind, np.integer):
        return rng.integers(0, 2, size=full).astype(kind)
    return rng.normal(size=full).astype(kind)
