"""Opening the user's model file: checked before TensorFlow loads, loaded safely, never written to.

Loading stays in Keras's safe mode unless ``--unsafe``; the user's own Python
is imported only when named with ``--custom-objects``. Every problem becomes one
``ConfigError`` line for the CLI.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.files import readable_file
from dropout_tui.engine.model.custom_objects import (
    archive_config,
    import_custom_objects,
    missing_classes,
    missing_from_error,
    missing_message,
)

KERAS_SUFFIXES = (".keras",)
H5_SUFFIXES = (".h5", ".hdf5")


class ModelFileError(ConfigError):
    """The model file is missing, not a Keras model, or unreadable."""


class UnsafeModelError(ModelFileError):
    """Loading would run Python code stored in the file (e.g. a Lambda layer)."""


class ModelDataMismatch(ConfigError):
    """The data does not fit the model (input shape, number of classes)."""


def saved_compile_loss(path_text: str | None) -> object:
    """``compile_config["loss"]`` from a .keras archive (plain JSON), or None."""
    if not path_text or Path(path_text).suffix.lower() not in KERAS_SUFFIXES:
        return None
    config = archive_config(path_text)  # None when unreadable: the loader says what is wrong
    compile_config = config.get("compile_config") if config is not None else None
    return compile_config.get("loss") if isinstance(compile_config, dict) else None


def load_user_model(path_text: str | None, *, unsafe: bool, custom_objects: str | None = None) -> Any:
    """The model in ``path_text``, loaded uncompiled with safe_mode unless ``unsafe``.

    ``custom_objects``: the user's .py file, imported first (it registers their
    classes). Without it a model that needs an unregistered class is refused
    with the class's name.
    """
    path = check_model_file(path_text)
    if custom_objects:
        import_custom_objects(custom_objects)

    import keras

    if path.suffix.lower() in KERAS_SUFFIXES:
        missing = missing_classes(path)
        if missing:
            raise ModelFileError(missing_message(f"--model {path_text}", missing, custom_objects))
    try:
        # compile=False: the file's optimizer and loss may need the user's own code.
        model = keras.saving.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as error:  # Keras surfaces a bad file as many exception types
        raise _load_error(path_text, error, custom_objects) from error
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"--model {path_text}: holds a {type(model).__name__}, not a Keras model")
    return model


def check_model_file(path_text: str | None) -> Path:
    """Reject a missing, unreadable or wrong-format file without importing TensorFlow."""
    if not path_text:
        raise ModelFileError("inspect needs --model FILE.keras")
    path = readable_file(f"--model {path_text}", path_text, ModelFileError, "a .keras or .h5 file")
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


def _load_error(path_text: str | None, error: Exception, custom_objects: str | None) -> ConfigError:
    text, full = one_line(error), str(error)
    missing = missing_from_error(full)
    if missing is not None:
        return ModelFileError(missing_message(f"--model {path_text}", [missing], custom_objects))
    if "safe_mode" in full or "arbitrary code execution" in full:
        return UnsafeModelError(
            f"--model {path_text}: loading it would run Python code stored in the file (a Lambda layer or lambda "
            "function), which safe mode refuses; pass --unsafe only if you trust where the file came from"
        )
    if "Unknown layer" in full or "Unknown object" in full:
        return ModelFileError(
            f"--model {path_text}: uses a custom class Keras cannot find ({text}); "
            "pass --custom-objects FILE.py that defines and registers it"
        )
    return ModelFileError(f"--model {path_text}: could not load the model (corrupt or not a Keras model): {text}")
