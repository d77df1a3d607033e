"""What a run works on: the model (built or loaded) and the data fitted to it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import Dataset


@dataclass
class Prepared:
    """The model and the arrays it is trained and evaluated on, as the run uses them."""

    model: object  # keras.Model
    outputs_are_logits: bool
    x_train: np.ndarray | None
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    images: np.ndarray  # test samples as stored, for the probe's picture
    dataset: str
    classes: int
    epochs: int
    notes: list

    @property
    def n_train(self) -> int:
        return 0 if self.x_train is None else len(self.x_train)


def prepare(config: RunConfig, dataset: Dataset) -> Prepared:
    """The article's model for `train`, the user's model for `inspect` (imports Keras)."""
    if config.command == "inspect":
        return _inspect(config, dataset)
    return _train(config, dataset)


def _inspect(config: RunConfig, dataset: Dataset) -> Prepared:
    from dropout_tui.engine.model.loading import prepare_inspect

    target = prepare_inspect(config, dataset)
    notes = list(target.notes)
    if target.extra:
        notes.append("model details: " + ", ".join(f"{k}={v}" for k, v in target.extra.items()))
    return Prepared(
        model=target.model,
        outputs_are_logits=target.outputs_are_logits,
        x_train=target.x_train,
        y_train=dataset.y_train,
        x_test=target.x_test,
        y_test=dataset.y_test,
        images=dataset.x_test,
        dataset=dataset.name,
        classes=target.classes,
        epochs=config.fine_tune,
        notes=notes,
    )


def _train(config: RunConfig, dataset: Dataset) -> Prepared:
    from dropout_tui.engine.model.default import build_default_model, flatten

    x_train, x_test = flatten(dataset.x_train), flatten(dataset.x_test)
    model = build_default_model(x_train.shape[1], dataset.classes, config.hidden, config.rate, config.lr, config.seed)
    return Prepared(
        model=model,
        outputs_are_logits=False,
        x_train=x_train,
        y_train=dataset.y_train,
        x_test=x_test,
        y_test=dataset.y_test,
        images=dataset.x_test,
        dataset=dataset.name,
        classes=dataset.classes,
        epochs=config.epochs,
        notes=["rate is 0: dropout never drops anything, so every mode must agree"] if config.rate == 0 else [],
    )
