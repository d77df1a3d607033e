"""Load the user's saved model safely and fit their data to it (``dropout-tui inspect``).

The user's file is only ever opened for reading (its sha256 does not change),
loading stays in Keras's safe mode unless ``--unsafe``, the user's own Python
is imported only when named with ``--custom-objects``, inputs are fed exactly
as stored (cast to the model's dtype, scaled only on request), and every
problem becomes one ``ConfigError`` line for the CLI.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import Dataset, regression_targets
from dropout_tui.engine.model.files import (
    ModelDataMismatch,
    ModelFileError,
    UnsafeModelError,
    check_model_file,
    load_user_model,
    saved_compile_loss,
)
from dropout_tui.engine.model.heads import Head, final_activation
from dropout_tui.engine.model.notes import discovery_notes, predict_note, range_hint, rescales, token_ids_reason

__all__ = [
    "ModelDataMismatch",
    "ModelFileError",
    "UnsafeModelError",
    "check_model_file",
    "load_user_model",
    "saved_compile_loss",
]

PROBE_ROWS = 256


@dataclass
class InspectTarget:
    """The user's model as loaded, its head and layers, and the data fed the way the model takes it."""

    model: object  # keras.Model
    head: Head
    x_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray  # int64 class indices, or float32 (samples, outputs) regression targets
    y_train: np.ndarray | None = None  # as y_test; None: the data has no training split
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    augmentation: list[dict] = field(default_factory=list)  # [{"name", "class"}]
    input_dtype: np.dtype | None = None
    input_scale: float | None = None

    @property
    def classes(self) -> int:
        """Classification: probability columns (2 for a one-unit binary head); regression: 0."""
        return self.head.classes or 0

    def feed(self, x: np.ndarray) -> np.ndarray:
        """Inputs as this model is fed (scaled on request, cast to its dtype): for OOD sets, like x_test."""
        return _fed(x, self.input_dtype or x.dtype, self.input_scale)


def prepare_inspect(config: RunConfig, dataset: Dataset) -> InspectTarget:
    from dropout_tui.engine.model.augmentation import describe_augmentation
    from dropout_tui.engine.model.discovery import survey
    from dropout_tui.engine.model.heads import detect_head

    model = load_user_model(config.model_path, unsafe=config.unsafe, custom_objects=config.custom_objects)
    input_shape, input_dtype = _single_input(model)
    _check_single_output(model)
    _check_shape(input_shape, dataset.x_test.shape[1:])
    if config.fine_tune > 0 and dataset.x_train is None:
        raise ModelDataMismatch("--fine-tune needs x_train and y_train in the data")

    x_test = _fed(dataset.x_test, input_dtype, config.input_scale)
    x_train = None if dataset.x_train is None else _fed(dataset.x_train, input_dtype, config.input_scale)

    probe = x_test[:PROBE_ROWS]
    first = np.asarray(model.predict(probe, verbose=0))
    second = np.asarray(model.predict(probe, verbose=0))
    labels = dataset.raw_y_test if dataset.raw_y_test is not None else dataset.y_test
    head = detect_head(model, first, labels, task=config.task, saved_loss=saved_compile_loss(config.model_path))
    y_train, y_test = _targets(head, dataset)
    predict_deterministic = bool(np.array_equal(first, second))
    found = survey(model)
    baked = baked_training_layers(model)

    # Most telling first: a narrow pane shows only the first few.
    notes = [predict_note(predict_deterministic, found, baked), head.note]
    if config.input_scale is not None:
        notes.append(f"inputs multiplied by {config.input_scale:g} (--input-scale), then cast to {input_dtype}")
    notes.extend(range_hint(x_test, config.input_scale, rescales=rescales(model), token_ids=token_ids_reason(model)))
    notes.extend(discovery_notes(found))

    if config.fine_tune > 0:
        _compile_for(model, head, config.lr)
    return InspectTarget(
        model=model,
        head=head,
        x_train=x_train,
        x_test=x_test,
        notes=notes,
        extra={
            "predict_deterministic": predict_deterministic,
            "task": head.task,
            "head": head.activation,
            "logits": head.logits,
            "final_activation": final_activation(model),
            "baked_training": [layer.name for layer in baked],
            "input_shape": [None if d is None else int(d) for d in input_shape],
            "input_dtype": str(input_dtype),
        },
        y_train=y_train,
        y_test=y_test,
        augmentation=describe_augmentation(model),
        input_dtype=input_dtype,
        input_scale=config.input_scale,
    )


def _targets(head: Head, dataset: Dataset) -> tuple[np.ndarray | None, np.ndarray]:
    """The labels as the head needs them: class indices, or float32 (samples, outputs) targets."""
    if head.task == "regression":
        if dataset.task == "regression":
            y_train, y_test = dataset.y_train, dataset.y_test
        else:  # integer labels that the model reads as values (e.g. compiled with mse)
            raw_train = dataset.raw_y_train if dataset.raw_y_train is not None else dataset.y_train
            raw_test = dataset.raw_y_test if dataset.raw_y_test is not None else dataset.y_test
            y_train = None if raw_train is None else regression_targets(dataset.name, "y_train", raw_train)
            y_test = regression_targets(dataset.name, "y_test", raw_test)
        if y_test.shape[1] != head.units:
            raise ModelDataMismatch(
                f"the data has {y_test.shape[1]} regression target(s) per sample but the model outputs {head.units}"
            )
        return y_train, y_test
    if dataset.task == "regression":
        raise ModelDataMismatch("the data's targets are regression values but the model's head is a classifier")
    if head.classes is not None and dataset.classes > head.classes:
        outputs = "only 1 (a binary classifier: labels 0 and 1)" if head.units == 1 else f"only {head.classes}"
        raise ModelDataMismatch(
            f"the data has {dataset.classes} classes (labels 0..{dataset.classes - 1}) but the model outputs {outputs}"
        )
    return dataset.y_train, dataset.y_test


def _compile_for(model: Any, head: Head, lr: float) -> None:
    """Compile for --fine-tune with the loss that matches the head."""
    import keras

    if head.task == "regression":
        loss, metrics = keras.losses.MeanSquaredError(), []
    elif head.units == 1:
        loss = keras.losses.BinaryCrossentropy(from_logits=head.activation == "binary_logits")
        metrics = [keras.metrics.BinaryAccuracy(threshold=0.0 if head.activation == "binary_logits" else 0.5)]
    else:
        loss, metrics = keras.losses.SparseCategoricalCrossentropy(from_logits=head.logits), ["accuracy"]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss, metrics=metrics)


def _single_input(model: Any) -> tuple[tuple, np.dtype]:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ModelDataMismatch("the model has no defined input shape (it was saved before being built)")
    if len(inputs) != 1:
        raise ModelDataMismatch(f"the model has {len(inputs)} inputs; dropout-tui needs exactly one")
    return tuple(inputs[0].shape), np.dtype(inputs[0].dtype)


def _check_single_output(model: Any) -> None:
    outputs = model.outputs
    if len(outputs) != 1:
        raise ModelDataMismatch(f"the model has {len(outputs)} outputs; dropout-tui needs exactly one")
    shape = tuple(outputs[0].shape)
    if len(shape) != 2 or shape[-1] is None:
        raise ModelDataMismatch(
            f"the model's output has shape {shape}; expected (None, units): classes, one binary unit or values"
        )


def _check_shape(model_shape: tuple, sample_shape: tuple) -> None:
    expected = model_shape[1:]
    fits = len(expected) == len(sample_shape) and all(e is None or e == s for e, s in zip(expected, sample_shape))
    if not fits:
        raise ModelDataMismatch(
            f"input shape mismatch: the model expects {_shape_text(model_shape)} "
            f"but the data's samples have shape {_shape_text((None, *sample_shape))}"
        )


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(int(d)) for d in shape) + ")"


def _fed(x: np.ndarray, dtype: np.dtype, scale: float | None) -> np.ndarray:
    if scale is not None:
        x = x * np.float64(scale) if not np.issubdtype(x.dtype, np.floating) else x * x.dtype.type(scale)
    return np.asarray(x, dtype=dtype)


def baked_training_layers(model: Any) -> list:
    """Layers wired into a functional graph with an explicit ``training=True`` call argument.

    Keras records the call's default ``training`` in the node too, so a layer
    whose ``call`` defaults to ``training=True`` (the augmentation layers) shows
    True without anyone baking it in: such layers are not reported.
    """
    from dropout_tui.engine.model.walk import iter_layers

    baked = []
    for layer in iter_layers(model):
        if _training_default(layer) is True:
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            arguments = getattr(node, "arguments", None)
            if arguments is not None and arguments.kwargs.get("training") is True:
                baked.append(layer)
                break
    return baked


def _training_default(layer: Any) -> object:
    try:
        parameter = inspect.signature(layer.call).parameters.get("training")
    except (TypeError, ValueError):
        return None
    return None if parameter is None else parameter.default
