"""Shared, module-scoped tiny models: real TensorFlow, trained for seconds."""

from __future__ import annotations

import pytest

from dropout_tui.engine.data.datasets import load_digits
from dropout_tui.engine.model.default import build_default_model, flatten


@pytest.fixture(scope="session")
def digits():
    return load_digits()


@pytest.fixture(scope="session")
def flat(digits):
    return flatten(digits.x_train), flatten(digits.x_test)


@pytest.fixture(scope="session")
def trained(digits, flat):
    """The article's MLP, small and briefly trained (rate 0.5 so passes visibly differ)."""
    x_train, _ = flat
    model = build_default_model(x_train.shape[1], digits.classes, hidden=32, rate=0.5, lr=1e-2, seed=0)
    model.fit(x_train, digits.y_train, batch_size=64, epochs=2, verbose=0)
    return model


@pytest.fixture(scope="session")
def bn_model(digits, flat):
    import keras

    x_train, _ = flat
    model = keras.Sequential(
        [
            keras.Input((x_train.shape[1],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.3, seed=3),
            keras.layers.Dense(digits.classes, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, digits.y_train, batch_size=64, epochs=1, verbose=0)
    return model
