"""The shared material of the experiments: the embedded digits and one trained article model.

Claims 2, 3, 4, 5 and 8 are all statements about "a trained model with
Dropout", so they honestly share one; training it once is most of the budget.
Claims 1, 6 and 7 need models of their own and build them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np

from dropout_tui.engine.data.datasets import load_digits
from dropout_tui.engine.model.default import build_default_model, flatten

HIDDEN = 128
RATE = 0.2
LR = 1e-3
BATCH = 32
# Ten epochs is still early in training, where the article's "training loss
# above test loss" shows up; the model reaches about 95% test accuracy.
EPOCHS = 10


@dataclass
class TrainedModel:
    """The shared article model and fit's per-epoch training losses (claim 5 reads them)."""

    model: keras.Model
    fit_losses: list[float]


class Lab:
    """The material every experiment works on: the embedded digits, flattened, and the model trained on demand."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        data = load_digits()
        x_train, self.y_train = data.training_split()
        self.x_train = flatten(x_train)
        self.x_test = flatten(data.x_test)
        self.y_test = data.y_test
        self.classes = data.classes

    def reseed(self, offset: int) -> None:
        """Each experiment starts from its own seed, so its numbers do not depend on what ran before."""
        keras.utils.set_random_seed(self.seed + offset)

    @cached_property
    def trained(self) -> TrainedModel:
        self.reseed(0)
        model = build_default_model(self.x_train.shape[1], self.classes, HIDDEN, RATE, LR, self.seed)
        history = model.fit(self.x_train, self.y_train, epochs=EPOCHS, batch_size=BATCH, verbose=0)
        return TrainedModel(model, [float(v) for v in history.history["loss"]])

    def probs(self, model: keras.Model, x: np.ndarray, *, training: bool | None) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(x, training=training)).astype(np.float64)

    def stochastic_passes(self, model: keras.Model, x: np.ndarray, passes: int, stream: int) -> np.ndarray:
        """(passes, n, classes): dropout_only passes from the app's own evaluator, drawn from stream ``stream``.

        The same compiled, tiled passes the app's MC mode uses (one implementation
        of MC dropout), with BatchNorm in inference mode and every copy its own mask.
        """
        from dropout_tui.engine.evaluation.evaluator import Evaluator
        from dropout_tui.engine.model.heads import softmax_head

        evaluator = Evaluator(model, head=softmax_head(self.classes), batch_size=BATCH, seed=self.seed + stream)
        return evaluator.passes(x, passes)[1].astype(np.float64)
