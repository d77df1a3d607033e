"""Tiny models for the inspect tests, built from scratch (seeded) and saved to tmp paths."""

from __future__ import annotations

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="dropout_tui_tests")
class DropoutHolder(keras.layers.Layer):
    """A custom layer that owns a Dropout: discovery must look inside layers."""

    def __init__(self, units: int = 8, rate: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.dense = keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed=5))
        self.held = keras.layers.Dropout(rate, name="held_dropout")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x, training=None):
        return self.held(self.dense(x), training=training)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rate": self.rate}


def _init(seed: int):
    return keras.initializers.GlorotUniform(seed=seed)


def all_stochastic_mlp() -> keras.Model:
    """Every stochastic layer class, each where its input rank fits."""
    inputs = keras.Input((12,), name="x")
    x = keras.layers.Dense(12, activation="relu", kernel_initializer=_init(1))(inputs)
    x = keras.layers.Dropout(0.2, name="plain_dropout")(x)
    x = keras.layers.GaussianDropout(0.1, name="gauss_dropout")(x)
    x = keras.layers.AlphaDropout(0.15, name="alpha_dropout")(x)
    x = keras.layers.GaussianNoise(0.05, name="gauss_noise")(x)
    x = keras.layers.Reshape((3, 4))(x)
    x = keras.layers.Dropout(0.25, noise_shape=(None, 1, 4), name="shared_dropout")(x)
    x = keras.layers.SpatialDropout1D(0.3, name="spatial_1d")(x)
    x = keras.layers.Reshape((2, 2, 3))(x)
    x = keras.layers.SpatialDropout2D(0.35, name="spatial_2d")(x)
    x = keras.layers.Reshape((1, 2, 2, 3))(x)
    x = keras.layers.SpatialDropout3D(0.4, name="spatial_3d")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=_init(2))(x)
    return keras.Model(inputs, outputs, name="all_stochastic")


def bn_cnn(classes: int = 10) -> keras.Model:
    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", kernel_initializer=_init(3))(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.SpatialDropout2D(0.3, name="spatial")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(classes, activation="softmax", kernel_initializer=_init(4))(x)
    return keras.Model(inputs, outputs, name="bn_cnn")


def nested_model() -> keras.Model:
    """A Sequential inside a functional model, plus a custom layer holding a Dropout."""
    inner = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, kernel_initializer=_init(6)),
            keras.layers.Dropout(0.1, name="inner_dropout"),
            keras.layers.BatchNormalization(name="inner_bn"),
        ],
        name="inner",
    )
    inputs = keras.Input((6,))
    x = inner(inputs)
    x = DropoutHolder(8, 0.3, name="holder")(x)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=_init(7))(x)
    return keras.Model(inputs, outputs, name="nested")


def lambda_model() -> keras.Model:
    inputs = keras.Input((6,))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="doubler")(inputs)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=_init(8))(x)
    return keras.Model(inputs, outputs, name="with_lambda")


def logits_model() -> keras.Model:
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu", kernel_initializer=_init(9))(inputs)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(3, kernel_initializer=_init(10), name="logits")(x)
    return keras.Model(inputs, outputs, name="logits")


def plain_model() -> keras.Model:
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu", kernel_initializer=_init(11))(inputs)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=_init(12))(x)
    return keras.Model(inputs, outputs, name="plain")


def baked_training_model() -> keras.Model:
    inputs = keras.Input((6,))
    x = keras.layers.Dense(16, activation="relu", kernel_initializer=_init(13))(inputs)
    x = keras.layers.Dropout(0.5, name="baked")(x, training=True)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=_init(14))(x)
    return keras.Model(inputs, outputs, name="baked")


def save_npz(path, x_test, y_test, x_train=None, y_train=None) -> str:
    arrays = {"x_test": x_test, "y_test": y_test}
    if x_train is not None:
        arrays.update(x_train=x_train, y_train=y_train)
    np.savez(path, **arrays)
    return str(path)


def random_data(shape: tuple, classes: int, n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)).astype(np.float32)
    y = np.arange(n) % classes
    return x, y
