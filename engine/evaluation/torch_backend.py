"""PyTorch's evaluation calls: eager under torch.no_grad, the switches held at every call.

Nothing is traced, so what a TensorFlow or JAX backend bakes in at trace time
(BatchNorm in inference mode, augmentation off) must hold while each call
runs. torch.compile does not pay here: a call is a few small matrix products,
and recompiling after every rate change costs seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import keras
import numpy as np


class TorchBackend:
    name = "torch"
    maps_trainable = False  # eager: the weights are read when the call runs
    replicas = workers = 1  # --devices and --workers are TensorFlow's (tf.distribute)

    def __init__(self) -> None:
        import torch

        self._torch = torch

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
        torch = self._torch

        def call(rows: tuple, shared: tuple) -> Any:
            with torch.no_grad(), switch() if switch is not None else contextlib.nullcontext():
                return fn(rows, shared)

        return call

    def loop(self, count: int, body: Callable, carry: Any) -> Any:
        for index in range(count):
            carry = body(index, carry)
        return carry

    def tensor(self, array: np.ndarray) -> Any:
        return keras.ops.convert_to_tensor(array)

    def to_numpy(self, tree: Any) -> Any:
        return keras.tree.map_structure(keras.ops.convert_to_numpy, tree)

    def replica_seed(self, state: Any) -> Any:
        return state
