"""Data sets: the embedded digits, Keras's cached MNIST/Fashion-MNIST, or a user's .npz.

Everything that can be wrong with user data becomes one ``DataError`` line
(the CLI prints it and exits 2). Classification labels come out as int64
class indices; regression targets (``--task regression``, or float labels that
cannot be class labels) as float32 of shape (samples, outputs). Nothing here
imports TensorFlow. MNIST and Fashion-MNIST are read from the files
keras.datasets caches, directly; a missing file is downloaded from where
keras.datasets gets it, with a short timeout (``download``), and offline the
error says where to copy it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.download import DownloadError, download
from dropout_tui.engine.data.embedded import DIGITS_SHA256, digits_bytes
from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.files import readable_file

KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_CLASSES = 10_000  # a label beyond this is a data error, not a 10^6-unit output layer

# Where keras.datasets downloads from (tests point it at a local server), and how long we wait.
DOWNLOAD_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT = 10.0  # seconds for the connection and for each read
DOWNLOAD_DEADLINE = 300.0  # seconds for one whole file
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"  # what keras.datasets checks
# Fashion-MNIST: keras.datasets checks no hash, so neither do we.
KNOWN_SHA256 = {"mnist.npz": MNIST_SHA256}

# keras.datasets name -> files it caches, relative to <keras home>/datasets
KERAS_CACHE = {
    "mnist": ("mnist.npz",),
    "fashion_mnist": tuple(
        f"fashion-mnist/{name}"
        for name in (
            "train-labels-idx1-ubyte.gz",
            "train-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
        )
    ),
}


class DataError(ConfigError):
    """The data could not be loaded or is invalid; one line for the user."""


@dataclass
class Dataset:
    """The arrays of one data set as a run uses them: labels as class indices, or regression targets."""

    name: str
    x_train: np.ndarray | None
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int  # regression: 0
    image_shape: tuple
    task: str = "classification"  # or "regression": y_* are float32 (samples, outputs)
    raw_y_train: np.ndarray | None = None  # the labels as stored (validated), for heads that read them
    raw_y_test: np.ndarray | None = None
    scale_uint8: bool = False  # uint8 inputs were divided by 255 (train), as OOD inputs must be

    @property
    def n_train(self) -> int:
        return 0 if self.x_train is None else len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    def training_split(self) -> tuple[np.ndarray, np.ndarray]:
        """(x_train, y_train) for a run that trains: load_dataset(require_train=True) guarantees them."""
        if self.x_train is None or self.y_train is None:
            raise DataError(f"{self.name} has no training split (x_train, y_train)")
        return self.x_train, self.y_train


def load_dataset(config: RunConfig, *, require_train: bool = True, scale_uint8: bool = True) -> Dataset:
    """The data a run asks for. ``scale_uint8=False`` keeps pixels exactly as stored (inspect)."""
    task = config.task
    if config.data_path:
        arrays = _read_npz(config.data_path, require_train)
        name = Path(config.data_path).name
    elif config.dataset == "digits":
        return load_digits(task=task)
    elif config.dataset in KERAS_CACHE:
        arrays = _read_keras_cache(config.dataset)
        name = config.dataset
    else:
        raise DataError(f"unknown dataset {config.dataset!r}: use digits, mnist, fashion_mnist or --data FILE.npz")
    return _validated(name, arrays, require_train=require_train, scale_uint8=scale_uint8, task=task)


def load_digits(task: str | None = None) -> Dataset:
    """The embedded UCI digits (8x8, pixels already in [0, 1]); checksum verified."""
    raw = digits_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DIGITS_SHA256:
        raise DataError(f"embedded digits.npz is corrupt: sha256 {digest[:12]}... expected {DIGITS_SHA256[:12]}...")
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in KEYS}
    return _validated("digits", arrays, require_train=True, scale_uint8=False, task=task)


def keras_cache_dir() -> Path:
    # Where keras.utils.get_file caches: $KERAS_HOME or ~/.keras, /tmp/.keras if unwritable.
    base = Path(os.path.expanduser(os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))))
    if base.exists() and not os.access(base, os.W_OK):
        base = Path("/tmp/.keras")
    return base / "datasets"


def _read_keras_cache(name: str) -> dict[str, np.ndarray]:
    """Read the files keras.datasets caches, the way its loaders do; download the missing ones first."""
    cache = keras_cache_dir()
    paths = [cache / file for file in KERAS_CACHE[name]]
    for file, path in zip(KERAS_CACHE[name], paths):
        if not path.is_file():
            _fetch(name, file, path)
    try:
        if name == "mnist":
            with np.load(paths[0], allow_pickle=False) as archive:
                return {key: archive[key] for key in KEYS}
        # fashion-mnist: gzipped idx files (8-byte label header, 16-byte image header)
        labels_train, images_train, labels_test, images_test = (gzip.decompress(path.read_bytes()) for path in paths)
        y_train = np.frombuffer(labels_train, np.uint8, offset=8)
        y_test = np.frombuffer(labels_test, np.uint8, offset=8)
        return {
            "x_train": np.frombuffer(images_train, np.uint8, offset=16).reshape(len(y_train), 28, 28),
            "y_train": y_train,
            "x_test": np.frombuffer(images_test, np.uint8, offset=16).reshape(len(y_test), 28, 28),
            "y_test": y_test,
        }
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise DataError(f"could not read {name} from the Keras cache in {cache}: {one_line(error)}") from error


def _fetch(name: str, file: str, path: Path) -> None:
    url = DOWNLOAD_BASE_URL + Path(file).name
    try:
        download(url, path, sha256=KNOWN_SHA256.get(file), timeout=DOWNLOAD_TIMEOUT, deadline=DOWNLOAD_DEADLINE)
    except DownloadError as error:
        raise DataError(
            f"{name} is not in the Keras cache and the download from {url} failed ({error}): "
            f"copy the file to {path} or use --data FILE.npz"
        ) from None


def check_npz_file(option: str, path_text: str, expected: str, missing_hint: str = "") -> Path:
    """A readable .npz archive at ``path_text``, or a one-line DataError naming ``option``."""
    label = f"{option} {path_text}"
    if missing_hint and not Path(path_text).exists():
        raise DataError(f"{label}: no such file{missing_hint}")
    path = readable_file(label, path_text, DataError, "a .npz file")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{label}: not a .npz archive (expected {expected})")
    return path


def read_npz_arrays(label: str, path: Path, choose: Callable[[set[str]], list[str]]) -> dict[str, np.ndarray]:
    """The arrays ``choose`` picks from the archive's keys (it raises the DataError when one is missing).

    Numeric arrays only (no pickles: loading one would run code), and any failure to read is one
    DataError line starting with ``label``.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {}
            for key in choose(set(archive.files)):
                try:
                    arrays[key] = archive[key]
                except ValueError as error:
                    if "allow_pickle" in str(error):
                        raise DataError(
                            f"{label}: {key} is an object array; only numeric arrays are accepted"
                        ) from None
                    raise
            return arrays
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise DataError(f"{label}: corrupt or unreadable .npz: {one_line(error)}") from error


def keys_found(present: set[str]) -> str:
    return ", ".join(sorted(present)) or "none"


def _read_npz(path_text: str, require_train: bool) -> dict[str, np.ndarray]:
    label = f"--data {path_text}"
    path = check_npz_file("--data", path_text, f"keys {', '.join(KEYS)}")

    def choose(present: set[str]) -> list[str]:
        needed = list(KEYS if require_train or "x_train" in present or "y_train" in present else KEYS[2:])
        missing = [key for key in needed if key not in present]
        if missing:
            raise DataError(f"{label}: missing key(s) {', '.join(missing)} (found: {keys_found(present)})")
        return needed

    return read_npz_arrays(label, path, choose)


def _validated(
    name: str, arrays: dict[str, np.ndarray], *, require_train: bool, scale_uint8: bool, task: str | None = None
) -> Dataset:
    splits = ("train", "test") if "x_train" in arrays else ("test",)
    if require_train and splits == ("test",):
        raise DataError(f"{name}: training needs x_train and y_train")
    for split in splits:
        _check_inputs(name, f"x_{split}", arrays[f"x_{split}"])
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise DataError(f"{name}: x_{split} has {len(x)} samples but y_{split} has {len(y)}")
    if "x_train" in arrays and arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DataError(
            f"{name}: x_train samples have shape {arrays['x_train'].shape[1:]} "
            f"but x_test samples have shape {arrays['x_test'].shape[1:]}"
        )
    raw = {split: arrays[f"y_{split}"] for split in splits}
    if task == "regression":
        _refuse_class_labels_as_targets(name, raw)
    task = task or infer_task(list(raw.values()))
    if task == "regression":
        labels = {split: regression_targets(name, f"y_{split}", raw[split]) for split in splits}
        widths = {split: labels[split].shape[1] for split in splits}
        if len(set(widths.values())) > 1:
            raise DataError(
                f"{name}: y_train has {widths['train']} target(s) per sample but y_test has {widths['test']}"
            )
        classes = 0
    else:
        for split in splits:
            _check_label_array(name, f"y_{split}", raw[split])
        classes = _class_count(name, {f"y_{s}": raw[s] for s in splits})
        labels = {split: _as_indices(raw[split]) for split in splits}
        present = np.unique(np.concatenate([labels[split] for split in splits]))
        if len(present) < 2:
            raise DataError(f"{name}: every label is {present[0]}: one class; need at least 2")
        for split in splits:
            if labels[split].max(initial=0) >= classes:
                raise DataError(
                    f"{name}: y_{split} has label {labels[split].max()} but one-hot labels have only {classes} classes"
                )
    inputs = {split: _scaled(arrays[f"x_{split}"], scale_uint8) for split in splits}
    return Dataset(
        name=name,
        x_train=inputs.get("train"),
        y_train=labels.get("train"),
        x_test=inputs["test"],
        y_test=labels["test"],
        classes=classes,
        image_shape=tuple(int(d) for d in arrays["x_test"].shape[1:]),
        task=task,
        raw_y_train=raw.get("train"),
        raw_y_test=raw["test"],
        scale_uint8=scale_uint8,
    )


def _refuse_class_labels_as_targets(name: str, raw: dict[str, np.ndarray]) -> None:
    """--task regression on integer labels would report errors against class indices: say so instead."""
    for split, y in raw.items():
        if np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
            raise DataError(
                f"{name}: --task regression, but y_{split} holds integer class labels ({y.dtype}); "
                "regression needs float targets (store them as floats if they are values)"
            )


def infer_task(labels: list[np.ndarray]) -> str:
    """'regression' when float labels cannot be class labels (non-integer, negative, or 2-D but not one-hot)."""
    for y in labels:
        y = np.asarray(y)
        if not np.issubdtype(y.dtype, np.floating) or y.size == 0 or not np.all(np.isfinite(y)) or y.ndim > 2:
            continue  # not floats, or invalid anyway: the classification checks say what is wrong
        if _is_one_hot(y):
            if not _rows_are_one_hot(y):
                return "regression"
        elif not np.all(y == np.round(y)) or np.any(y < 0):
            return "regression"
    return "classification"


def regression_targets(name: str, key: str, y: np.ndarray) -> np.ndarray:
    """Float32 targets of shape (samples, outputs) from (samples,) or (samples, outputs) numbers."""
    if y.dtype == object:
        raise DataError(f"{name}: {key} is an object array; regression targets must be numbers")
    if not _is_real_numeric(y):
        raise DataError(f"{name}: {key} has dtype {y.dtype}; regression targets must be numbers")
    if len(y) == 0:
        raise DataError(f"{name}: {key} is empty")
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
        raise DataError(
            f"{name}: {key} has shape {y.shape}; regression targets must be (samples,) or (samples, outputs)"
        )
    targets = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
    if not np.all(np.isfinite(targets)):
        bad = int(np.count_nonzero(~np.isfinite(targets)))
        raise DataError(f"{name}: {key} contains {bad} NaN/inf value(s) (or values too large for float32)")
    return targets


def _check_inputs(name: str, key: str, x: np.ndarray) -> None:
    if x.dtype == object:
        raise DataError(f"{name}: {key} is an object array; only numeric arrays are accepted")
    if not _is_real_numeric(x):
        raise DataError(f"{name}: {key} has dtype {x.dtype}; expected numbers")
    if x.ndim < 2:
        raise DataError(f"{name}: {key} has shape {x.shape}; expected (samples, features...)")
    if len(x) == 0:
        raise DataError(f"{name}: {key} is empty")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise DataError(f"{name}: {key} contains {bad} NaN/inf value(s)")


def _check_label_array(name: str, key: str, y: np.ndarray) -> None:
    if y.dtype == object:
        raise DataError(f"{name}: {key} is an object array; labels must be integers or one-hot")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating) or y.dtype == np.bool_):
        raise DataError(f"{name}: {key} has dtype {y.dtype}; labels must be integers or one-hot")
    if len(y) == 0:
        raise DataError(f"{name}: {key} is empty")
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
        raise DataError(f"{name}: {key} contains NaN/inf")
    if _is_one_hot(y):
        if not _rows_are_one_hot(y):
            raise DataError(f"{name}: {key} looks one-hot (shape {y.shape}) but rows are not a single 1 among 0s")
        return
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        raise DataError(
            f"{name}: {key} has shape {y.shape}; expected (samples,) class indices or (samples, classes) one-hot"
        )
    if np.issubdtype(y.dtype, np.floating) and not np.all(y == np.round(y)):
        raise DataError(f"{name}: {key} has non-integer labels, e.g. {flat[flat != np.round(flat)][0]}")
    if flat.min() < 0:
        raise DataError(f"{name}: {key} has negative label {flat.min()}")
    if flat.max() >= MAX_CLASSES:
        raise DataError(f"{name}: {key} has label {flat.max()}, out of range (at most {MAX_CLASSES} classes)")


def _is_real_numeric(a: np.ndarray) -> bool:
    return (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) and not np.issubdtype(a.dtype, np.complexfloating)


def _is_one_hot(y: np.ndarray) -> bool:
    """Shaped like one-hot labels (samples, classes); _rows_are_one_hot says whether the values are."""
    return y.ndim == 2 and y.shape[1] > 1


def _rows_are_one_hot(y: np.ndarray) -> bool:
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))


def _as_indices(y: np.ndarray) -> np.ndarray:
    if _is_one_hot(y):
        return np.argmax(y, axis=1).astype(np.int64)
    return y.reshape(len(y)).astype(np.int64)


def _class_count(name: str, labels: dict[str, np.ndarray]) -> int:
    widths = {int(y.shape[1]) for y in labels.values() if _is_one_hot(y)}
    if len(widths) > 1:
        raise DataError(f"{name}: one-hot labels disagree on the number of classes ({sorted(widths)})")
    if widths:
        classes = widths.pop()
    else:
        classes = max(int(_as_indices(y).max()) for y in labels.values()) + 1
    if classes < 2:
        raise DataError(f"{name}: labels name only {classes} class; need at least 2")
    return classes


def _scaled(x: np.ndarray, scale_uint8: bool) -> np.ndarray:
    if not scale_uint8:
        return x
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    return x.astype(np.float32, copy=False)
