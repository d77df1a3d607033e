"""Claim 6: does a training=True call at test time affect later training?

Three separate effects are measured: the weights right after the call, the
trajectory of a later seeded training run (through the dropout RNG state), and
BatchNormalization's moving statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import keras
import numpy as np

from dropout_tui.engine.explain.lab import LR, Lab
from dropout_tui.engine.explain.report import Measurement
from dropout_tui.engine.model.default import build_default_model
from dropout_tui.engine.model.layers import NormalizationState, normalization_in_inference, stochastic_layers

SUBSET = 256  # training samples per run: the effect does not need more, and five runs must be quick
HIDDEN = 32
RATE = 0.5
BATCH = 32

Insertion = Callable[[keras.Model, np.ndarray, np.ndarray], object]


def _training_call(model: keras.Model, x: np.ndarray, y: np.ndarray) -> object:
    return model(x, training=True)


# Calls that run the model with dropout off: expected to leave training bit-identical.
CONTROLS: dict[str, Insertion] = {
    "predict": lambda model, x, y: model.predict(x, verbose=0),
    "evaluate": lambda model, x, y: model.evaluate(x, y, verbose=0),
    "inference_call": lambda model, x, y: model(x, training=False),
}


def later_training(lab: Lab) -> Measurement:
    baseline, _ = _seeded_run(lab, None)
    called, (weights_diff, seed_advanced) = _seeded_run(lab, _training_call)
    measured = {
        "weights_max_abs_diff_after_call": weights_diff,
        "seed_state_advanced": float(seed_advanced),
        "final_weights_diff_training_call": _max_diff(baseline, called),
        **{
            f"final_weights_diff_{name}": _max_diff(baseline, _seeded_run(lab, control)[0])
            for name, control in CONTROLS.items()
        },
        **_batch_norm_shift(lab),
    }
    return Measurement(measured, {})


def _seeded_run(lab: Lab, insertion: Insertion | None) -> tuple[list[np.ndarray], tuple[float, bool]]:
    """fit one epoch, optionally do something at "test time", fit one more epoch; same seed every run.

    Returns the final weights and, for the inserted call, how much it moved
    the weights and whether it advanced the dropout layer's seed generator.
    """
    lab.reseed(6)
    model = build_default_model(lab.x_train.shape[1], lab.classes, HIDDEN, RATE, LR, lab.seed)
    x, y = lab.x_train[:SUBSET], lab.y_train[:SUBSET]
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    around = (0.0, False)
    if insertion is not None:
        weights, seeds = _snapshot(model.weights), _seed_states(model)
        insertion(model, lab.x_test, lab.y_test)
        around = (_max_diff(weights, _snapshot(model.weights)), _max_diff(seeds, _seed_states(model)) > 0)
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    return _snapshot(model.weights), around


def _batch_norm_shift(lab: Lab) -> dict[str, float]:
    """A trained BN model: does a training=True call move the moving statistics and change inference?"""
    lab.reseed(60)
    inputs = keras.Input(shape=(lab.x_train.shape[1],))
    hidden = keras.layers.Dense(
        HIDDEN, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=lab.seed)
    )(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    hidden = keras.layers.Dropout(RATE, seed=lab.seed)(hidden)
    outputs = keras.layers.Dense(
        lab.classes, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=lab.seed + 1)
    )(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy")
    model.fit(lab.x_train[:SUBSET], lab.y_train[:SUBSET], epochs=1, batch_size=BATCH, verbose=0)
    before = lab.probs(model, lab.x_test, training=False)
    state = NormalizationState(model)
    with normalization_in_inference(model):
        model(lab.x_test, training=True)
    dropout_only = state.max_relative_shift()
    model(lab.x_test, training=True)
    shift = state.max_relative_shift()
    after = lab.probs(model, lab.x_test, training=False)
    return {
        "bn_moving_stats_shift": shift,
        "bn_inference_max_abs_diff": float(np.max(np.abs(after - before))),
        "bn_shift_dropout_only": dropout_only,
    }


def _snapshot(variables: Iterable[keras.Variable]) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]


def _seed_states(model: keras.Model) -> list[np.ndarray]:
    generators = [getattr(layer, "seed_generator", None) for layer in stochastic_layers(model)]
    return _snapshot(g.state for g in generators if g is not None)


def _max_diff(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    return max((float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(first, second) if a.size), default=0.0)
