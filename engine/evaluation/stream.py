"""The evaluation's own random stream, and running the model without writing any of its state.

Every forward call of the evaluator runs inside ``keras.StatelessScope``: the
seed generators read the evaluator's stream and BatchNorm's moving statistics
read the real values, and whatever the layers assign stays in the scope. So
evaluating never moves the model's own seeds or statistics, and the training
trajectory is the same whatever is evaluated, probed or re-drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import ops

# Keras reduces seeds modulo int32's maximum minus one before drawing, so a stream is told apart by its seed
# word: an offset on the counter (2**40 once) is reduced away and lands on one of training's own masks.
SEED_MODULUS = 2**31 - 2
_GOLDEN, _MIX, _OFFSET = 0x9E3779B1, 0x85EBCA77, 0x2545F491


def _is_seed_state(variable: keras.Variable) -> bool:
    return variable.path.rsplit("/", 1)[-1] == "seed_generator_state"


class StateMap:
    """Which model variables a stateless call maps, and the seed words of the evaluation stream."""

    def __init__(self, model: keras.Model, seed: int, *, trainable: bool = False) -> None:
        """``trainable``: map the weights too, for a backend whose compiled calls take them as arguments (JAX)."""
        from keras.src.random.seed_generator import global_seed_generator

        fixed = {id(v): v for v in model.non_trainable_variables}
        variables = list(fixed.values()) + [v for v in model.trainable_variables if trainable and id(v) not in fixed]
        # keras.random.* with seed=None (custom layers) draws from the global generator, which is no model
        # variable: unmapped, its advance would vanish with the scope and every evaluation repeat its masks.
        shared = global_seed_generator().state
        if all(v is not shared for v in variables):
            variables.append(shared)
        self.variables = variables
        self.seed_variables = [v for v in variables if _is_seed_state(v)]
        self.other_variables = [v for v in fixed.values() if not _is_seed_state(v)]
        self._other_ids = {id(v) for v in self.other_variables}
        self.seeds = self._stream(seed)

    def _stream(self, seed: int) -> list[np.ndarray]:
        states = []
        for index, variable in enumerate(self.seed_variables):
            word = (seed * _GOLDEN + (index + 1) * _MIX + _OFFSET) % SEED_MODULUS
            if word == int(variable.numpy()[0]) % SEED_MODULUS:
                word = (word + 1) % SEED_MODULUS
            states.append(np.array([word, 0], dtype=variable.dtype))
        return states

    def initial(self, seeds: list) -> list:
        """Inside a traced function: the stream's seeds, and every other variable's current value."""
        by_id = {id(v): s for v, s in zip(self.seed_variables, seeds)}
        return [by_id[id(v)] if id(v) in by_id else ops.convert_to_tensor(v.value) for v in self.variables]

    def seeds_of(self, states: list) -> list:
        return [s for v, s in zip(self.variables, states) if _is_seed_state(v)]

    def others_of(self, states: list) -> list:
        return [s for v, s in zip(self.variables, states) if id(v) in self._other_ids]

    def call(self, fn: Callable[..., Any], states: list, *args: Any) -> tuple[Any, list]:
        """``fn(*args)`` with every mapped variable reading ``states``; returns (outputs, states after)."""
        with keras.StatelessScope(state_mapping=list(zip(self.variables, states)), initialize_variables=False) as scope:
            outputs = fn(*args)
        return outputs, [scope.get_current_value(v) for v in self.variables]

    def largest_shift(self, states_after: list[np.ndarray]) -> float:
        """How far the moving statistics would have moved had the states been written."""
        from dropout_tui.engine.evaluation.metrics import moving_stats_shift

        return moving_stats_shift([v.numpy() for v in self.other_variables], states_after)
