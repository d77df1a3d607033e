"""JAX's compiled evaluation calls: jax.jit over a stateless call, the weights and the seed state as arguments.

jax.jit of ``model(x, training=True)`` would bake the weights read at trace
time into the function and freeze the dropout masks (the seed state becomes a
constant, and a tracer is left in the layer: ``predict`` fails afterwards). So
the traced function reads every model variable from a ``keras.StatelessScope``
filled from its arguments, and returns the advanced seed state, which the next
call takes: the masks are fresh per call and the model's own state is never
touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import keras
import numpy as np


class JaxBackend:
    name = "jax"
    maps_trainable = True
    replicas = workers = 1  # --devices and --workers are TensorFlow's (tf.distribute)

    def __init__(self) -> None:
        import jax

        self._jax = jax

    def compile(
        self,
        fn: Callable,
        rows: tuple,
        shared: tuple,
        *,
        switch: Callable | None = None,
        distribute: bool = True,
        variables: list | None = None,
    ) -> Callable:
        """Lower and compile ``fn`` now (inside ``switch``), for these shapes; weights are read at each call."""
        mapped = list(variables or [])

        def pure(values: list, rows: tuple, shared: tuple) -> Any:
            with keras.StatelessScope(state_mapping=list(zip(mapped, values)), initialize_variables=False):
                return fn(rows, shared)

        with switch() if switch is not None else contextlib.nullcontext():
            compiled = self._jax.jit(pure).lower(_values(mapped), rows, shared).compile()
        return lambda rows, shared: compiled(_values(mapped), rows, shared)

    def loop(self, count: int, body: Callable, carry: Any) -> Any:
        if count == 1:
            return body(0, carry)
        return self._jax.lax.fori_loop(0, count, body, carry)

    def tensor(self, array: np.ndarray) -> Any:
        # The seeds come back from the last call as device arrays: converting them again costs more than the call.
        return array if isinstance(array, self._jax.Array) else self._jax.numpy.asarray(array)

    def to_numpy(self, tree: Any) -> Any:
        return keras.tree.map_structure(lambda value: np.asarray(value), tree)

    def replica_seed(self, state: Any) -> Any:
        return state


def _values(variables: list) -> list:
    return [variable.value for variable in variables]
