"""A zoo of tiny, seeded, briefly trained Keras models for the inspect tests.

Every builder returns ``(model, data)``: a compiled model trained for 1-3 epochs on
``data``, a dict of numpy arrays ``x_train, y_train, x_test, y_test`` drawn from a
seeded RNG with structure the model can learn. Classification labels are int64
class indices; regression targets are float32 shaped like the model's output.
Tests save the model to a tmp path (``save_pair``) and load it back through the app.

Two custom classes are registered under the package ``dropout_tui_zoo`` so that a
save/load round trip works while they are registered:

- ``AlwaysOnDropout``: a Dropout subclass whose call forces ``training=True``
  (MC dropout baked into the model; ``predict`` is stochastic).
- ``FeatureJitter``: a plain ``Layer`` (not a Dropout/GaussianNoise subclass) that
  adds ``keras.random.normal`` noise in training mode only, from its own
  ``SeedGenerator``; only an empirical check can tell that it is stochastic.

``write_custom_objects_file`` writes the user's ``--custom-objects`` file with the
very same class source; ``unregistered`` hides the registration, as in a fresh
process that never imported this module. ``untrained`` builds the same models
compiled but not fitted (discovery and head tests need no training: ~10x faster).
Nothing here imports the app.
"""

from __future__ import annotations

import contextlib
import inspect
import textwrap
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np

PACKAGE = "dropout_tui_zoo"
N_TRAIN = 240
N_TEST = 80
CLASSES = 3


@keras.saving.register_keras_serializable(package=PACKAGE)
class AlwaysOnDropout(keras.layers.Dropout):
    """Dropout that stays on in predict/evaluate: call always passes training=True."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


@keras.saving.register_keras_serializable(package=PACKAGE)
class FeatureJitter(keras.layers.Layer):
    """Adds N(0, stddev^2) noise in training mode only, drawn from its own seed generator."""

    def __init__(self, stddev=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training:
            return inputs
        noise = keras.random.normal(
            keras.ops.shape(inputs), stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator
        )
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


CUSTOM_CLASSES = {"AlwaysOnDropout": AlwaysOnDropout, "FeatureJitter": FeatureJitter}


def registered_name(class_name: str) -> str:
    """The key Keras stores in the .keras archive (``registered_name``) for one of the zoo's classes."""
    return f"{PACKAGE}>{class_name}"


def write_custom_objects_file(path, classes: tuple[str, ...] = ("AlwaysOnDropout",)) -> str:
    """Write a standalone .py file (the user's ``--custom-objects`` file) defining and registering ``classes``.

    The class bodies are this module's own source, so the file registers exactly
    what the zoo's models were saved with (same package, same names).
    """
    unknown = [name for name in classes if name not in CUSTOM_CLASSES]
    if unknown:
        raise ValueError(f"unknown zoo class(es) {unknown}; choose from {sorted(CUSTOM_CLASSES)}")
    header = (
        '"""Custom layers for dropout-tui --custom-objects (written by tests/support/zoo.py)."""\n\n'
        f"import keras\n\nPACKAGE = {PACKAGE!r}\n"
    )
    bodies = [textwrap.dedent(inspect.getsource(CUSTOM_CLASSES[name])) for name in classes]
    Path(path).write_text(header + "".join(f"\n\n{body}" for body in bodies), encoding="utf-8")
    return str(path)


@contextlib.contextmanager
def unregistered(*class_names: str) -> Iterator[None]:
    """Inside: Keras cannot find the named zoo classes by their registered name (as in a fresh process).

    Keras 3.15 looks custom classes up only in the registry (never by importing a
    non-Keras module), so removing the entries is enough; they are restored on exit.
    """
    registry = keras.saving.get_custom_objects()
    names = class_names or tuple(CUSTOM_CLASSES)
    saved = {registered_name(name): registry.pop(registered_name(name), None) for name in names}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is not None:
                registry[key] = value


def save_pair(model: keras.Model, data: dict, directory, stem: str = "model") -> tuple[str, str]:
    """Save ``model`` as ``<stem>.keras`` and ``data`` as ``<stem>.npz`` in ``directory``; return both paths."""
    directory = Path(directory)
    model_path, data_path = directory / f"{stem}.keras", directory / f"{stem}.npz"
    model.save(model_path)
    np.savez(data_path, **data)
    return str(model_path), str(data_path)


# ---------------------------------------------------------------------------------------------- data


def _rng(seed: int) -> np.random.Generator:
    keras.utils.set_random_seed(seed)  # initialisers, dropout masks and fit's shuffling
    return np.random.default_rng(seed)


def _split(x: np.ndarray, y: np.ndarray, n_test: int = N_TEST) -> dict[str, np.ndarray]:
    return {"x_train": x[:-n_test], "y_train": y[:-n_test], "x_test": x[-n_test:], "y_test": y[-n_test:]}


def _labels(rng: np.random.Generator, n: int, classes: int = CLASSES) -> np.ndarray:
    return rng.integers(0, classes, size=n).astype(np.int64)


def _blobs(rng: np.random.Generator, features: int = 6, classes: int = CLASSES) -> dict[str, np.ndarray]:
    """Gaussian clusters, one per class."""
    n = N_TRAIN + N_TEST
    centers = rng.normal(scale=1.5, size=(classes, features))
    y = _labels(rng, n, classes)
    x = centers[y] + rng.normal(scale=0.7, size=(n, features))
    return _split(x.astype(np.float32), y)


def _stripe_images(rng: np.random.Generator, size: int, channels: int, n: int | None = None) -> dict[str, np.ndarray]:
    """Class 0: horizontal stripes, 1: vertical stripes, 2: checkerboard; period 4, random phase, noise.

    Every class maps to itself under flips and small translations, so augmentation keeps labels.
    """
    n = n or N_TRAIN + N_TEST
    y = _labels(rng, n)
    grid = np.arange(size)
    x = np.empty((n, size, size, channels), dtype=np.float32)
    for i in range(n):
        rows = ((grid + rng.integers(0, 4)) // 2 % 2)[:, None] * np.ones(size)[None, :]
        cols = ((grid + rng.integers(0, 4)) // 2 % 2)[None, :] * np.ones(size)[:, None]
        pattern = (rows, cols, (rows + cols) % 2)[y[i]]
        image = 0.2 + 0.6 * pattern[:, :, None] + rng.normal(scale=0.1, size=(size, size, channels))
        x[i] = np.clip(image, 0.0, 1.0)
    return _split(x, y, n_test=min(N_TEST, n // 4))


def _sequences(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """(n, *shape) with shape[-1] >= 3 features: class k has an offset and a rising ramp on feature k."""
    n = N_TRAIN + N_TEST
    y = _labels(rng, n)
    x = rng.normal(scale=0.8, size=(n, *shape))
    steps = shape[-2]
    ramp = np.linspace(0.5, 1.5, steps)
    x[np.arange(n), ..., y] += ramp  # broadcast over the time axis (and any outer axes)
    return _split(x.astype(np.float32), y)


def _tokens(rng: np.random.Generator, vocab: int, length: int) -> dict[str, np.ndarray]:
    """Integer token ids in [1, vocab): class k favours its own third of the vocabulary."""
    n = N_TRAIN + N_TEST
    y = _labels(rng, n)
    band = (vocab - 1) // CLASSES
    own = 1 + y[:, None] * band + rng.integers(0, band, size=(n, length))
    anywhere = rng.integers(1, vocab, size=(n, length))
    x = np.where(rng.random((n, length)) < 0.6, own, anywhere)
    return _split(x.astype(np.int32), y)


def _regression(rng: np.random.Generator, outputs: int, features: int = 6) -> dict[str, np.ndarray]:
    n = N_TRAIN + N_TEST
    x = rng.normal(size=(n, features))
    targets = [np.sin(x[:, 0]) + 0.5 * x[:, 1], x[:, 2] - 0.3 * x[:, 3], np.tanh(x[:, 4] + x[:, 5])]
    y = np.stack(targets[:outputs], axis=1) + rng.normal(scale=0.05, size=(n, outputs))
    return _split(x.astype(np.float32), y.astype(np.float32))


def _binary(rng: np.random.Generator, features: int = 6) -> dict[str, np.ndarray]:
    n = N_TRAIN + N_TEST
    x = rng.normal(size=(n, features))
    w = rng.normal(size=features)
    y = (x @ w + rng.normal(scale=0.3, size=n) > 0).astype(np.int64)
    return _split(x.astype(np.float32), y)


# ------------------------------------------------------------------------------------------- models


_TRAINING = {"fit": True}


@contextlib.contextmanager
def untrained() -> Iterator[None]:
    """Inside: builders compile their models (the loss is saved with them) but do not fit them."""
    saved = _TRAINING["fit"]
    _TRAINING["fit"] = False
    try:
        yield
    finally:
        _TRAINING["fit"] = saved


def _fit(model: keras.Model, data: dict, loss, epochs: int = 2, lr: float = 0.01) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss, jit_compile=False)
    if not _TRAINING["fit"]:
        return
    model.fit(data["x_train"], data["y_train"], epochs=epochs, batch_size=32, shuffle=True, verbose=0)


def _softmax_fit(model: keras.Model, data: dict, epochs: int = 2, lr: float = 0.01) -> tuple[keras.Model, dict]:
    _fit(model, data, "sparse_categorical_crossentropy", epochs=epochs, lr=lr)
    return model, data


def _softmax(name: str = "probs") -> keras.layers.Dense:
    return keras.layers.Dense(CLASSES, activation="softmax", name=name)


def cnn_bn_spatial(seed: int = 0) -> tuple[keras.Model, dict]:
    """Conv2D + BatchNormalization + SpatialDropout2D, softmax; 8x8x1 stripe images."""
    data = _stripe_images(_rng(seed), size=8, channels=1)
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.9, name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.SpatialDropout2D(0.25, name="spatial_dropout")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = _softmax()(keras.layers.Flatten()(x))
    return _softmax_fit(keras.Model(inputs, outputs, name="cnn_bn_spatial"), data, epochs=8)


def lstm_classifier(seed: int = 0) -> tuple[keras.Model, dict]:
    """LSTM(dropout=0.2, recurrent_dropout=0.3) on (T=8, F=4) sequences, softmax."""
    data = _sequences(_rng(seed), (8, 4))
    inputs = keras.Input((8, 4), name="sequence")
    x = keras.layers.LSTM(12, dropout=0.2, recurrent_dropout=0.3, seed=seed, name="lstm")(inputs)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="lstm_classifier"), data)


def gru_classifier(seed: int = 0) -> tuple[keras.Model, dict]:
    """GRU(dropout=0.1, recurrent_dropout=0.25) on (T=8, F=4) sequences, softmax (Sequential)."""
    data = _sequences(_rng(seed), (8, 4))
    model = keras.Sequential(
        [
            keras.Input((8, 4), name="sequence"),
            keras.layers.GRU(12, dropout=0.1, recurrent_dropout=0.25, seed=seed, name="gru"),
            _softmax(),
        ],
        name="gru_classifier",
    )
    return _softmax_fit(model, data)


def bidirectional_gru(seed: int = 0) -> tuple[keras.Model, dict]:
    """Bidirectional(GRU(dropout=0.15, recurrent_dropout=0.2)): layers forward_bigru / backward_bigru."""
    data = _sequences(_rng(seed), (8, 4))
    inputs = keras.Input((8, 4), name="sequence")
    gru = keras.layers.GRU(8, dropout=0.15, recurrent_dropout=0.2, seed=seed, name="bigru")
    x = keras.layers.Bidirectional(gru, name="bidirectional")(inputs)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="bidirectional_gru"), data)


def time_distributed_dropout(seed: int = 0) -> tuple[keras.Model, dict]:
    """(S=3 segments, T=6 steps, F=4): TimeDistributed(SimpleRNN with both rates), TimeDistributed(Dropout)."""
    data = _sequences(_rng(seed), (3, 6, 4))
    inputs = keras.Input((3, 6, 4), name="segments")
    rnn = keras.layers.SimpleRNN(8, dropout=0.1, recurrent_dropout=0.2, seed=seed, name="segment_rnn")
    x = keras.layers.TimeDistributed(rnn, name="td_rnn")(inputs)
    x = keras.layers.TimeDistributed(keras.layers.Dropout(0.3, name="step_dropout"), name="td_dropout")(x)
    outputs = _softmax()(keras.layers.Flatten(name="flatten")(x))
    return _softmax_fit(keras.Model(inputs, outputs, name="time_distributed_dropout"), data)


def nested_model_with_recurrent(seed: int = 0) -> tuple[keras.Model, dict]:
    """A Sequential holding SimpleRNN(dropout, recurrent_dropout) + BatchNormalization, inside a functional model."""
    data = _sequences(_rng(seed), (8, 4))
    inner = keras.Sequential(
        [
            keras.Input((8, 4)),
            keras.layers.SimpleRNN(12, dropout=0.2, recurrent_dropout=0.35, seed=seed, name="inner_rnn"),
            keras.layers.BatchNormalization(momentum=0.9, name="inner_bn"),
        ],
        name="encoder",
    )
    inputs = keras.Input((8, 4), name="sequence")
    x = keras.layers.Dropout(0.1, name="outer_dropout")(inner(inputs))
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="nested_model_with_recurrent"), data, epochs=3)


def conv_lstm_classifier(seed: int = 0) -> tuple[keras.Model, dict]:
    """ConvLSTM1D(dropout=0.2, recurrent_dropout=0.1) on (T=4, W=6, C=3) inputs (extra: the ConvLSTM family)."""
    data = _sequences(_rng(seed), (4, 6, 3))
    data = {key: np.swapaxes(value, 1, 2) if key.startswith("x") else value for key, value in data.items()}
    inputs = keras.Input((6, 4, 3), name="frames")  # (time, width, channels) after the swap
    x = keras.layers.ConvLSTM1D(4, 3, padding="same", dropout=0.2, recurrent_dropout=0.1, seed=seed, name="conv_lstm")(
        inputs
    )
    outputs = _softmax()(keras.layers.GlobalAveragePooling1D(name="pool")(x))
    return _softmax_fit(keras.Model(inputs, outputs, name="conv_lstm_classifier"), data, epochs=3)


def augmented_cnn(seed: int = 0) -> tuple[keras.Model, dict]:
    """RandomFlip + RandomTranslation + RandomContrast before a small CNN; no dropout, no BatchNorm."""
    data = _stripe_images(_rng(seed), size=12, channels=1)
    inputs = keras.Input((12, 12, 1), name="image")
    x = keras.layers.RandomFlip(seed=seed, name="flip")(inputs)
    x = keras.layers.RandomTranslation(0.1, 0.1, seed=seed + 1, name="translate")(x)
    x = keras.layers.RandomContrast(0.3, seed=seed + 2, name="contrast")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="augmented_cnn"), data, epochs=8)


def mobilenet_like(seed: int = 0, *, applications: bool = False, fit: bool = False) -> tuple[keras.Model, dict]:
    """BatchNormalization only (no dropout, no augmentation), softmax over 3 classes.

    Default: a tiny Conv + BN stack with MobileNet's depthwise/pointwise pattern (~2 s with training).
    ``applications=True``: keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35,
    classes=3), 52 BatchNorm layers, 414k parameters. It builds in ~0.9 s but one epoch of fit costs ~23 s
    on 2 cores (tracing the gradient graph), so by default it is compiled, not trained (``fit=True`` trains
    one epoch): its predictions are then near uniform, fine for discovery, not for accuracy checks.
    """
    if applications:
        data = _stripe_images(_rng(seed), size=32, channels=3, n=128)
        model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35, classes=CLASSES)
        if fit:
            return _softmax_fit(model, data, epochs=1, lr=0.003)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=False)
        return model, data
    data = _stripe_images(_rng(seed), size=12, channels=3)
    inputs = keras.Input((12, 12, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = keras.layers.ReLU(6.0, name="stem_relu")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="dw_bn")(x)
    x = keras.layers.ReLU(6.0, name="dw_relu")(x)
    x = keras.layers.Conv2D(12, 1, use_bias=False, name="pw_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="pw_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="mobilenet_like"), data, epochs=8)


def binary_sigmoid(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> Dropout -> Dense(1, sigmoid) (Sequential); int 0/1 labels. p = [1 - s, s]."""
    data = _binary(_rng(seed))
    model = keras.Sequential(
        [
            keras.Input((6,), name="features"),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.Dropout(0.3, name="dropout"),
            keras.layers.Dense(1, activation="sigmoid", name="prob"),
        ],
        name="binary_sigmoid",
    )
    _fit(model, data, "binary_crossentropy", epochs=3)
    return model, data


def binary_logit(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> Dropout -> Dense(1) linear trained on 0/1 labels with from_logits=True: one logit."""
    data = _binary(_rng(seed))
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(1, name="logit")(x)
    model = keras.Model(inputs, outputs, name="binary_logit")
    _fit(model, data, keras.losses.BinaryCrossentropy(from_logits=True), epochs=3)
    return model, data


def regressor(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> Dropout -> Dense(1) linear; float32 targets of shape (n, 1)."""
    data = _regression(_rng(seed), outputs=1)
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(1, name="value")(x)
    model = keras.Model(inputs, outputs, name="regressor")
    _fit(model, data, "mse", epochs=3)
    return model, data


def multi_output_regressor(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> Dropout -> Dense(3) linear; float32 targets of shape (n, 3) (not logits: the targets are floats)."""
    data = _regression(_rng(seed), outputs=3)
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(3, name="values")(x)
    model = keras.Model(inputs, outputs, name="multi_output_regressor")
    _fit(model, data, "mse", epochs=3)
    return model, data


def embedding_classifier(seed: int = 0) -> tuple[keras.Model, dict]:
    """int32 token ids (vocab 50, length 12) -> Embedding -> GlobalAveragePooling1D -> Dropout -> softmax."""
    data = _tokens(_rng(seed), vocab=50, length=12)
    inputs = keras.Input((12,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 8, name="embedding")(inputs)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="embedding_classifier"), data, epochs=3, lr=0.02)


def always_on_dropout_model(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> AlwaysOnDropout(0.3) -> softmax: predict() differs from call to call."""
    data = _blobs(_rng(seed))
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    x = AlwaysOnDropout(0.3, seed=seed, name="mc_dropout")(x)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="always_on_dropout"), data)


def custom_noise_model(seed: int = 0) -> tuple[keras.Model, dict]:
    """Dense -> FeatureJitter(0.5) (custom, training-only noise) -> softmax; predict() is deterministic."""
    data = _blobs(_rng(seed))
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    x = FeatureJitter(0.5, seed=seed, name="jitter")(x)
    outputs = _softmax()(x)
    return _softmax_fit(keras.Model(inputs, outputs, name="custom_noise"), data)


BUILDERS = {
    builder.__name__: builder
    for builder in (
        cnn_bn_spatial,
        lstm_classifier,
        gru_classifier,
        bidirectional_gru,
        time_distributed_dropout,
        nested_model_with_recurrent,
        conv_lstm_classifier,
        augmented_cnn,
        mobilenet_like,
        binary_sigmoid,
        binary_logit,
        regressor,
        multi_output_regressor,
        embedding_classifier,
        always_on_dropout_model,
        custom_noise_model,
    )
}
# What the head is: "classification" (softmax over CLASSES), "binary" (one unit), "regression" (float targets).
TASKS = {name: "classification" for name in BUILDERS} | {
    "binary_sigmoid": "binary",
    "binary_logit": "binary",
    "regressor": "regression",
    "multi_output_regressor": "regression",
}
