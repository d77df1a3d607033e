"""Keep evaluation's random draws from shifting training's.

Every ``training=True`` call advances the stochastic layers' seed-generator
counters, so measuring dropout between epochs would otherwise change every
later training mask and the whole trajectory (background.md). Evaluation
therefore draws from its own counter stream and training's counters are put
back afterwards: the run trains identically whatever is evaluated or probed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

# Evaluation counters start this far past training's; stateless dropout draws
# from (seed, counter), and training advances the counter by one per step.
EVAL_COUNTER_OFFSET = 1 << 40


def seed_state_variables(model) -> list:
    return [v for v in model.non_trainable_variables if v.path.rsplit("/", 1)[-1] == "seed_generator_state"]


class EvaluationStream:
    """A second, persistent random stream for everything that is not training."""

    def __init__(self, model) -> None:
        self._variables = seed_state_variables(model)
        self._states = [self._offset(v.numpy()) for v in self._variables]

    @staticmethod
    def _offset(state: np.ndarray) -> np.ndarray:
        shifted = np.array(state, copy=True)
        shifted[-1] = shifted[-1] + EVAL_COUNTER_OFFSET
        return shifted

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        training_states = [np.array(v.numpy(), copy=True) for v in self._variables]
        for variable, state in zip(self._variables, self._states):
            variable.assign(state)
        try:
            yield
        finally:
            self._states = [np.array(v.numpy(), copy=True) for v in self._variables]
            for variable, state in zip(self._variables, training_states):
                variable.assign(state)


@contextlib.contextmanager
def seeded(model, seed: int) -> Iterator[None]:
    """Draw from streams fixed by ``seed``; the model's own RNG state is left as it was."""
    variables = seed_state_variables(model)
    saved = [np.array(v.numpy(), copy=True) for v in variables]
    for index, variable in enumerate(variables):
        state = np.array(saved[index], copy=True)
        state[0], state[-1] = seed + index, EVAL_COUNTER_OFFSET
        variable.assign(state)
    try:
        yield
    finally:
        for variable, state in zip(variables, saved):
            variable.assign(state)
