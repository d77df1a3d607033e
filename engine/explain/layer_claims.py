"""Claims about what the Dropout layer and the Keras API do: 1, 2, 3 and 7."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from dropout_tui.engine.errors import one_line
from dropout_tui.engine.explain.lab import Lab
from dropout_tui.engine.explain.report import Measurement
from dropout_tui.engine.model.layers import stochastic_layers


def scaling(lab: Lab) -> Measurement:
    """Claim 1: a Dropout layer on known positive inputs, in both modes."""
    rate, units = 0.5, 10_000
    # Inputs bounded away from 0, so output/input is exactly the mask times the scale.
    x = np.random.default_rng(lab.seed).uniform(0.5, 1.5, size=(1, units)).astype(np.float32)
    layer = keras.layers.Dropout(rate, seed=lab.seed)
    inference = keras.ops.convert_to_numpy(layer(x, training=False)).astype(np.float64)
    training = keras.ops.convert_to_numpy(layer(x, training=True)).astype(np.float64)
    ratio = training / x
    kept = ratio != 0.0
    scale = 1.0 / (1.0 - rate)
    on_grid = np.isclose(ratio, 0.0, atol=1e-6) | np.isclose(ratio, scale, rtol=1e-5)
    return Measurement(
        {
            "rate": rate,
            "units": units,
            "inference_max_abs_diff_from_input": float(np.max(np.abs(inference - x))),
            "inference_max_abs_diff_from_scaled": float(np.max(np.abs(inference - (1.0 - rate) * x))),
            "training_zero_fraction": float(np.mean(~kept)),
            "training_kept_scale": float(np.mean(ratio[kept])) if kept.any() else 0.0,
            "training_off_grid": int(np.count_nonzero(~on_grid)),
            "training_mean_ratio": float(np.mean(training) / np.mean(x)),
        },
        {},
    )


def trainable_flag(lab: Lab) -> Measurement:
    """Claim 2: predict and evaluate with every Dropout's `trainable` set to False, then to True."""
    model = lab.trained.model
    dropouts = stochastic_layers(model)
    saved = [layer.trainable for layer in dropouts]
    try:
        frozen = _outputs_with_trainable(lab, dropouts, False)
        unfrozen = _outputs_with_trainable(lab, dropouts, True)
    finally:
        _set_trainable(model, dropouts, saved)
    lab.reseed(2)
    dropped = lab.probs(model, lab.x_test, training=True)
    return Measurement(
        {
            "trainable_by_default": float(all(saved)),
            "predict_max_abs_diff": float(np.max(np.abs(unfrozen.probs - frozen.probs))),
            "evaluate_loss_diff": float(abs(unfrozen.loss - frozen.loss)),
            "evaluate_accuracy_diff": float(abs(unfrozen.accuracy - frozen.accuracy)),
            "training_call_max_abs_diff": float(np.max(np.abs(dropped - frozen.probs))),
        },
        {},
    )


@dataclass(frozen=True)
class _Outputs:
    """What predict and evaluate return for one setting of the flag."""

    probs: np.ndarray
    loss: float
    accuracy: float


def _outputs_with_trainable(lab: Lab, dropouts: list[keras.layers.Layer], flag: bool) -> _Outputs:
    model = lab.trained.model
    _set_trainable(model, dropouts, [flag] * len(dropouts))
    scores = model.evaluate(lab.x_test, lab.y_test, verbose=0, return_dict=True)
    probs = model.predict(lab.x_test, verbose=0)
    return _Outputs(np.asarray(probs, dtype=np.float64), float(scores["loss"]), float(scores["accuracy"]))


def _set_trainable(model: keras.Model, dropouts: list[keras.layers.Layer], flags: list[bool]) -> None:
    for layer, flag in zip(dropouts, flags):
        layer.trainable = flag
    # Keras caches the traced predict/test functions, and a layer that read `trainable` while tracing would keep
    # the old value: retrace, or the measurement would only repeat the first trace's answer.
    model.make_predict_function(force=True)
    model.make_test_function(force=True)


def multiprocessing_flag(lab: Lab) -> Measurement:
    """Claim 3: pass the Keras 2 argument and see what this Keras does with it."""
    model = lab.trained.model
    error = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.evaluate(lab.x_test, lab.y_test, use_multiprocessing=True, verbose=0)
        except Exception as exc:  # whatever this version raises is the finding
            error = f"{type(exc).__name__}: {one_line(exc, limit=160)}"
    about_it = [w for w in caught if "multiprocessing" in str(w.message)]
    pydataset = getattr(keras.utils, "PyDataset", None)
    parameters = inspect.signature(pydataset.__init__).parameters if pydataset is not None else {}
    return Measurement(
        {
            "raised": float(bool(error)),
            "warnings": len(about_it),
            "pydataset_exists": float(pydataset is not None),
            "pydataset_has_workers": float("workers" in parameters and "use_multiprocessing" in parameters),
        },
        {"error": error} if error else {},
    )


class _AlwaysDropout(keras.layers.Dropout):
    """The recipe that works in every Keras version: force training=True inside call."""

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        return super().call(inputs, training=True)


def functional_training(lab: Lab) -> Measurement:
    """Claim 7: bake training=True into a functional model and call predict twice."""
    baked = _small_model(lab, lambda h: keras.layers.Dropout(0.5, seed=lab.seed)(h, training=True))
    first, second = (baked.predict(lab.x_test, verbose=0) for _ in range(2))
    losses = [baked.evaluate(lab.x_test, lab.y_test, verbose=0, return_dict=True)["loss"] for _ in range(2)]
    calls = [lab.probs(baked, lab.x_test, training=None) for _ in range(2)]
    subclassed = _small_model(lab, lambda h: _AlwaysDropout(0.5, seed=lab.seed)(h))
    sub_first, sub_second = (subclassed.predict(lab.x_test, verbose=0) for _ in range(2))
    return Measurement(
        {
            "predict_max_abs_diff": float(np.max(np.abs(first - second))),
            "evaluate_loss_diff": float(abs(losses[0] - losses[1])),
            "direct_call_max_abs_diff": float(np.max(np.abs(calls[0] - calls[1]))),
            "subclass_predict_max_abs_diff": float(np.max(np.abs(sub_first - sub_second))),
        },
        {},
    )


def _small_model(lab: Lab, dropout: Callable[[keras.KerasTensor], keras.KerasTensor]) -> keras.Model:
    inputs = keras.Input(shape=(lab.x_train.shape[1],))
    hidden = keras.layers.Dense(
        32, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=lab.seed)
    )(inputs)
    outputs = keras.layers.Dense(
        lab.classes, activation="softmax", kernel_initializer=keras.initializers.GlorotUniform(seed=lab.seed + 1)
    )(dropout(hidden))
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
