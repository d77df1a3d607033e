"""Load the user's saved model safely and fit their data to it (``dropout-tui inspect``).

The user's file is only ever opened for reading, inputs are fed exactly as
stored (cast to the model's dtype, scaled only on request), and every problem
becomes one ``ConfigError`` line for the CLI.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import Dataset
from dropout_tui.engine.errors import ConfigError, one_line

KERAS_SUFFIXES = (".keras",)
H5_SUFFIXES = (".h5", ".hdf5")
PROBE_ROWS = 256


class ModelFileError(ConfigError):
    """The model file is missing, not a Keras model, or unreadable."""


class UnsafeModelError(ModelFileError):
    """Loading would run Python code stored in the file (e.g. a Lambda layer)."""


class ModelDataMismatch(ConfigError):
    """The data does not fit the model (input shape, number of classes)."""


@dataclass
class InspectTarget:
    model: object  # keras.Model
    outputs_are_logits: bool
    x_train: np.ndarray | None
    x_test: np.ndarray
    classes: int  # the model's output units (the data may use fewer)
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def prepare_inspect(config: RunConfig, dataset: Dataset) -> InspectTarget:
    from dropout_tui.engine.model import layers as discovery
    from dropout_tui.engine.model.outputs import classify_outputs

    model = load_user_model(config.model_path, unsafe=config.unsafe)
    input_shape, input_dtype = _single_input(model)
    classes = _output_units(model)
    if dataset.classes > classes:
        raise ModelDataMismatch(
            f"the data has {dataset.classes} classes (labels 0..{dataset.classes - 1}) "
            f"but the model outputs only {classes}"
        )
    _check_shape(input_shape, dataset.x_test.shape[1:])
    if config.fine_tune > 0 and dataset.x_train is None:
        raise ModelDataMismatch("--fine-tune needs x_train and y_train in the data")

    x_test = _fed(dataset.x_test, input_dtype, config.input_scale)
    x_train = None if dataset.x_train is None else _fed(dataset.x_train, input_dtype, config.input_scale)

    probe = x_test[:PROBE_ROWS]
    first = np.asarray(model.predict(probe, verbose=0))
    second = np.asarray(model.predict(probe, verbose=0))
    if first.ndim != 2:
        raise ModelDataMismatch(f"the model's output has shape {(None, *first.shape[1:])}; expected (None, classes)")
    kind = classify_outputs(model, first)
    predict_deterministic = bool(np.array_equal(first, second))
    stochastic = discovery.stochastic_layers(model)
    baked = baked_training_layers(model)

    # Most telling first: a narrow pane shows only the first few.
    notes = [_predict_note(predict_deterministic, stochastic, baked), kind.note()]
    if config.input_scale is not None:
        notes.append(f"inputs multiplied by {config.input_scale:g} (--input-scale), then cast to {input_dtype}")
    notes.extend(_range_hint(model, x_test, config.input_scale))
    notes.extend(_stochastic_notes(stochastic, discovery.normalization_layers(model)))

    if config.fine_tune > 0:
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=kind.logits),
            metrics=["accuracy"],
        )
    return InspectTarget(
        model=model,
        outputs_are_logits=kind.logits,
        x_train=x_train,
        x_test=x_test,
        classes=classes,
        notes=notes,
        extra={
            "predict_deterministic": predict_deterministic,
            "logits": kind.logits,
            "final_activation": kind.final_activation,
            "baked_training": [layer.name for layer in baked],
            "input_shape": [None if d is None else int(d) for d in input_shape],
            "input_dtype": str(input_dtype),
        },
    )


def load_user_model(path_text: str | None, *, unsafe: bool):
    """The model in ``path_text``, loaded uncompiled with safe_mode unless ``unsafe``."""
    path = check_model_file(path_text)

    import keras

    try:
        # compile=False: the file's optimizer and loss may need the user's own code.
        model = keras.saving.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as error:  # Keras surfaces a bad file as many exception types
        raise _load_error(path_text, error) from error
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"--model {path_text}: holds a {type(model).__name__}, not a Keras model")
    return model


def check_model_file(path_text: str | None) -> Path:
    """Reject a missing, unreadable or wrong-format file without importing TensorFlow."""
    if not path_text:
        raise ModelFileError("inspect needs --model FILE.keras")
    path = Path(path_text)
    if not path.exists():
        raise ModelFileError(f"--model {path_text}: no such file")
    if path.is_dir():
        raise ModelFileError(f"--model {path_text}: is a directory; expected a .keras or .h5 file")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        # The format checks below would mistake an unreadable file for a wrong format.
        raise ModelFileError(f"--model {path_text}: cannot read: {error.strerror or error}") from None
    suffix = path.suffix.lower()
    if suffix in KERAS_SUFFIXES:
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"--model {path_text}: not a Keras archive (not a zip file: truncated or another format)"
            )
    elif suffix in H5_SUFFIXES:
        if not _is_hdf5(path):
            raise ModelFileError(f"--model {path_text}: not an HDF5 file (truncated or another format)")
    else:
        raise ModelFileError(
            f"--model {path_text}: expected a .keras or legacy .h5 file, got {suffix or 'no extension'!r}"
        )
    return path


def _is_hdf5(path: Path) -> bool:
    with path.open("rb") as handle:
        # The HDF5 signature sits at offset 0 for files Keras writes.
        return handle.read(8) == b"\x89HDF\r\n\x1a\n"


def _load_error(path_text: str, error: Exception) -> ConfigError:
    text, full = one_line(error), str(error)
    if "safe_mode" in full or "arbitrary code execution" in full:
        return UnsafeModelError(
            f"--model {path_text}: loading it would run Python code stored in the file (a Lambda layer or lambda "
            "function), which safe mode refuses; pass --unsafe only if you trust where the file came from"
        )
    if "Could not locate" in full or "Unknown layer" in full or "Unknown object" in full:
        return ModelFileError(
            f"--model {path_text}: uses a custom class Keras cannot find ({text}); "
            "dropout-tui loads built-in Keras layers only"
        )
    return ModelFileError(f"--model {path_text}: could not load the model (corrupt or not a Keras model): {text}")


def _single_input(model) -> tuple[tuple, np.dtype]:
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ModelDataMismatch("the model has no defined input shape (it was saved before being built)")
    if len(inputs) != 1:
        raise ModelDataMismatch(f"the model has {len(inputs)} inputs; dropout-tui needs exactly one")
    return tuple(inputs[0].shape), np.dtype(inputs[0].dtype)


def _output_units(model) -> int:
    outputs = model.outputs
    if len(outputs) != 1:
        raise ModelDataMismatch(f"the model has {len(outputs)} outputs; dropout-tui needs exactly one")
    shape = tuple(outputs[0].shape)
    if len(shape) != 2 or shape[-1] is None:
        raise ModelDataMismatch(f"the model's output has shape {shape}; expected (None, classes)")
    if shape[-1] < 2:
        raise ModelDataMismatch(
            f"the model's output has shape {shape}: one unit; dropout-tui needs one output per class (2 or more)"
        )
    return int(shape[-1])


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


def _range_hint(model, x: np.ndarray, scale: float | None) -> list[str]:
    import keras

    from dropout_tui.engine.model.layers import iter_layers

    if scale is not None or not np.issubdtype(x.dtype, np.number) or x.size == 0:
        return []
    low, high = float(np.min(x)), float(np.max(x))
    rescales = any(
        isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization)) for layer in iter_layers(model)
    )
    if low >= 0.0 and 2.0 < high <= 255.0 and not rescales:
        return [
            f"inputs range from {low:g} to {high:g} and the model has no Rescaling layer: fed as stored; "
            "if it was trained on [0, 1] inputs, pass --input-scale 0.00392156862745098 (1/255)"
        ]
    return [f"inputs fed as stored: values from {low:g} to {high:g}"]


def _stochastic_notes(stochastic: list, normalization: list) -> list[str]:
    notes = []
    if not stochastic:
        notes.append("no stochastic layers: every mode must agree with inference")
    if normalization:
        notes.append(
            f"{len(normalization)} BatchNormalization layer(s): `training` mode normalises with batch statistics "
            "and moves their moving statistics (measured, then restored exactly); `dropout_only` keeps them in "
            "inference mode"
        )
    return notes


def _predict_note(deterministic: bool, stochastic: list, baked: list) -> str:
    if baked and deterministic:
        names = ", ".join(repr(layer.name) for layer in baked)
        return (
            f"predict() is deterministic although the model was built with Dropout(...)(x, training=True) "
            f"in {names}: "
            "Keras 3 ignores a baked training=True in functional models (predict and evaluate pass training=False)"
        )
    if not deterministic:
        return (
            "predict() is NOT deterministic: a layer forces training=True inside its call (e.g. an MC-dropout "
            "subclass), so even `inference` mode is stochastic for this model"
        )
    if stochastic:
        return "predict() is deterministic: dropout is off in predict and evaluate, as Keras documents"
    return "predict() is deterministic"


def baked_training_layers(model) -> list:
    """Layers wired into a functional graph with an explicit ``training=True`` call argument."""
    from dropout_tui.engine.model.layers import iter_layers

    baked = []
    for layer in iter_layers(model):
        for node in getattr(layer, "_inbound_nodes", []):
            arguments = getattr(node, "arguments", None)
            if arguments is not None and arguments.kwargs.get("training") is True:
                baked.append(layer)
                break
    return baked
