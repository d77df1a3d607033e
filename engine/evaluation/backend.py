"""The backend-specific part of evaluation, behind a small interface; TensorFlow's is here.

Everything else in engine/evaluation is written with keras.ops and
keras.StatelessScope, which every Keras 3 backend runs. Each backend adds one
class with the same methods (compile, loop, tensor, to_numpy, replica_seed):
TensorFlow here (tf.function, tf.distribute), JAX in jax_backend.py (jax.jit
over a stateless call) and PyTorch in torch_backend.py (eager under no_grad).
``for_keras`` picks the one Keras runs on.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable
from typing import Any, Protocol

import keras
import numpy as np


class EvaluationBackend(Protocol):
    """What CompiledCalls asks of a backend."""

    name: str
    maps_trainable: bool  # the compiled calls take the trainable weights as arguments (else they read them live)

    @property
    def replicas(self) -> int: ...

    @property
    def workers(self) -> int: ...

    def compile(
        self,
        fn: Callable,
        rows: tuple,
        shared: tuple,
        *,
        switch: Callable | None = None,
        distribute: bool = True,
        variables: list | None = None,
    ) -> Callable: ...

    def loop(self, count: int, body: Callable, carry: Any) -> Any: ...

    def tensor(self, array: np.ndarray) -> Any: ...

    def to_numpy(self, tree: Any) -> Any: ...

    def replica_seed(self, state: Any) -> Any: ...


def for_keras(strategy: Any = None) -> EvaluationBackend:
    """The evaluation backend for the backend Keras was imported with (``strategy``: TensorFlow's only)."""
    name = keras.backend.backend()
    if name == "jax":
        from dropout_tui.engine.evaluation.jax_backend import JaxBackend

        return JaxBackend()
    if name == "torch":
        from dropout_tui.engine.evaluation.torch_backend import TorchBackend

        return TorchBackend()
    return TensorFlowBackend(strategy)


class TensorFlowBackend:
    """Compiles traced functions with tf.function and runs them on one device or under a tf.distribute strategy."""

    name = "tensorflow"
    maps_trainable = False

    def __init__(self, strategy: Any = None) -> None:
        import tensorflow as tf

        self._tf = tf
        self.strategy = strategy or tf.distribute.get_strategy()

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def workers(self) -> int:
        """Processes the strategy spans: more than one only under MultiWorkerMirroredStrategy (--workers)."""
        return int(getattr(self.strategy.extended, "_num_workers", 1))  # tf.distribute keeps it private

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
        """Trace ``fn(rows, shared)`` now, for exactly these shapes; returns ``call(rows, shared)``.

        ``fn`` returns {"rows": per-row tensors, "totals": per-copy sums, "seeds":
        the advanced random states}. Tracing happens here, inside whatever
        trace-time switches the caller holds (BatchNorm in inference mode,
        augmentation off): a later lazy retrace outside them would silently change
        what the function computes: ``switch`` (a context manager factory) is held
        while tracing. ``variables`` are the model's, which a tf.function reads
        live (JAX needs them as arguments). With several replicas the rows are split
        between them by tf.distribute, per-row results gathered back in order and
        totals summed.
        """
        with switch() if switch is not None else contextlib.nullcontext():
            return self._trace(fn, rows, shared, distribute)

    def _trace(self, fn: Callable, rows: tuple, shared: tuple, distribute: bool) -> Callable:
        tf = self._tf
        if self.replicas == 1 or not distribute:
            traced = tf.function(fn, autograph=False).get_concrete_function(_specs(tf, rows), _specs(tf, shared))
            return lambda rows, shared: traced(rows, shared)
        strategy = self.strategy

        def step(per_replica_rows: Any, shared: tuple) -> dict[str, Any]:
            out = strategy.run(fn, args=(per_replica_rows, shared))
            return {
                "rows": tf.nest.map_structure(lambda value: strategy.gather(value, axis=0), out["rows"]),
                "totals": tf.nest.map_structure(
                    lambda value: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None), out["totals"]
                ),
                # Replica 0 keeps the stream's seeds (replica_seed): its advanced states carry the stream on.
                "seeds": [strategy.experimental_local_results(seed)[0] for seed in out["seeds"]],
            }

        traced = tf.function(step, autograph=False).get_concrete_function(self._split_rows(rows), shared)
        return lambda rows, shared: traced(self._split_rows(rows), shared)

    def _split_rows(self, rows: tuple) -> Any:
        """Each replica gets its own contiguous slice of every per-row tensor (rows are padded to divide evenly)."""
        tf, replicas = self._tf, self.replicas

        def part(context: Any) -> Any:
            index = context.replica_id_in_sync_group
            return tf.nest.map_structure(
                lambda value: value[index * (value.shape[0] // replicas) : (index + 1) * (value.shape[0] // replicas)],
                rows,
            )

        return self.strategy.experimental_distribute_values_from_function(part)

    def loop(self, count: int, body: Callable, carry: Any) -> Any:
        """``body(i, carry)`` for i in range(count) inside the graph, one iteration at a time.

        tf.while_loop's default of ten parallel iterations lets the executor start
        later chunks early, so peak memory grows with the number of chunks; one
        at a time keeps it flat in T.
        """
        if count == 1:
            return body(0, carry)
        tf = self._tf
        start = tf.constant(0, "int32")
        return tf.while_loop(
            lambda i, _: i < count, lambda i, state: (i + 1, body(i, state)), (start, carry), parallel_iterations=1
        )[1]

    def tensor(self, array: np.ndarray) -> Any:
        return self._tf.convert_to_tensor(array)

    def to_numpy(self, tree: Any) -> Any:
        return keras.tree.map_structure(lambda value: np.asarray(value), tree)

    def replica_seed(self, state: Any) -> Any:
        """A seed state for this replica: replica 0 keeps it, the others get their own stream.

        Under MirroredStrategy every replica reads the same seed variable, so without
        this every replica would draw the same dropout masks (keras-team/keras#18426).
        """
        context = self._tf.distribute.get_replica_context()
        if context is None or self.replicas == 1:
            return state
        return fold_replica(state, context.replica_id_in_sync_group)


def fold_replica(state: Any, replica_id: Any) -> Any:
    """[seed, counter] -> this replica's [seed', counter]; replica 0 keeps its seed, so one device is unchanged."""
    import tensorflow as tf

    replica = tf.cast(replica_id, state.dtype)
    hashed = tf.random.stateless_uniform(
        [], seed=tf.stack([state[0], replica]), minval=0, maxval=2**31 - 2, dtype=state.dtype
    )
    return tf.stack([tf.where(replica == 0, state[0], hashed), state[1]])


def _specs(tf: types.ModuleType, tree: Any) -> Any:
    return tf.nest.map_structure(lambda value: tf.TensorSpec(value.shape, value.dtype), tree)
