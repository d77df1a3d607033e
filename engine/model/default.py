"""The article's default model: Dense(hidden, relu) -> Dropout(rate) -> Dense(classes, softmax).

For regression targets the same body ends in a linear Dense(outputs), trained with MSE.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def flatten(x: np.ndarray) -> np.ndarray:
    """Images of any shape become feature vectors for the MLP."""
    return x.reshape(len(x), -1)


def build_default_model(
    input_dim: int, classes: int, hidden: int, rate: float, lr: float, seed: int, *, task: str = "classification"
) -> Any:
    """Compiled with Adam and sparse categorical cross-entropy, as in the article.

    ``task="regression"``: ``classes`` is the number of target values; the head
    is a linear Dense(classes) named "values" and the loss is mean squared error.
    Every initialiser and the Dropout layer get explicit seeds derived from
    ``seed`` so the model is the same whatever ran before in the process.
    """
    import keras

    regression = task == "regression"

    inputs = keras.Input(shape=(input_dim,), name="pixels")
    hidden_out = keras.layers.Dense(
        hidden,
        activation="relu",
        name="hidden",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
    )(inputs)
    dropped = keras.layers.Dropout(rate, seed=seed + 1, name="dropout")(hidden_out)
    outputs = keras.layers.Dense(
        classes,
        activation=None if regression else "softmax",
        name="values" if regression else "probs",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
    )(dropped)
    model = keras.Model(inputs, outputs, name="article_regressor" if regression else "article_mlp")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="mean_squared_error" if regression else "sparse_categorical_crossentropy",
        metrics=[] if regression else ["accuracy"],
    )
    return model
