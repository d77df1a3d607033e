"""What a run works on: the model (built or loaded) and the data fitted to it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import Dataset
from dropout_tui.engine.data.ood import OodSet
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.model.heads import Head, regression_head, softmax_head
from dropout_tui.engine.run.inputs import ood_on_regression


@dataclass
class Prepared:
    """The model and the arrays it is trained and evaluated on, as the run uses them."""

    model: Any  # a keras.Model (Keras ships no types)
    head: Head  # what the outputs are and how they become probabilities
    x_train: np.ndarray | None
    y_train: np.ndarray | None  # int64 class indices, or float32 (samples, outputs) regression targets
    x_test: np.ndarray
    y_test: np.ndarray
    images: np.ndarray  # test samples as stored, for the probe's picture
    dataset: str
    epochs: int
    notes: list
    augmentation: list = field(default_factory=list)  # [{"name", "class"}]: random only in `training` mode
    ood: OodSet | None = None  # --ood inputs, fed like x_test (flattened / scaled / cast)

    @property
    def classes(self) -> int:
        """Classification: probability columns (2 for a one-unit binary head); regression: 0."""
        return self.head.classes or 0

    @property
    def n_train(self) -> int:
        return 0 if self.x_train is None else len(self.x_train)

    def training_split(self) -> tuple[np.ndarray, np.ndarray]:
        """(x_train, y_train) for the parts that train or measure the training set: set whenever epochs > 0."""
        if self.x_train is None or self.y_train is None:
            raise ConfigError(f"{self.dataset} has no training split to train or measure on")
        return self.x_train, self.y_train


def prepare(config: RunConfig, dataset: Dataset, ood: OodSet | None = None) -> Prepared:
    """The article's model for `train`, the user's model for `inspect` (imports Keras); ``ood`` from load_ood."""
    if config.command == "inspect":
        return _inspect(config, dataset, ood)
    return _train(config, dataset, ood)


def _inspect(config: RunConfig, dataset: Dataset, ood: OodSet | None) -> Prepared:
    from dropout_tui.engine.model.loading import prepare_inspect

    target = prepare_inspect(config, dataset)
    notes = list(target.notes)
    if ood is not None and target.head.task == "regression":
        raise ConfigError(ood_on_regression(config.ood or ood.source))
    if ood is not None:
        ood = dataclasses.replace(ood, x=target.feed(ood.x))
        notes.append(ood.note)
    if target.extra:
        notes.append("model details: " + ", ".join(f"{k}={v}" for k, v in target.extra.items()))
    return Prepared(
        model=target.model,
        head=target.head,
        x_train=target.x_train,
        y_train=target.y_train,
        x_test=target.x_test,
        y_test=target.y_test,
        images=dataset.x_test,
        dataset=dataset.name,
        epochs=config.fine_tune,
        notes=notes,
        augmentation=target.augmentation,
        ood=ood,
    )


def _train(config: RunConfig, dataset: Dataset, ood: OodSet | None) -> Prepared:
    from dropout_tui.engine.model.default import build_default_model, flatten

    x_train_raw, y_train = dataset.training_split()
    x_train, x_test = flatten(x_train_raw), flatten(dataset.x_test)
    regression = dataset.task == "regression"
    outputs = dataset.y_test.shape[1] if regression else dataset.classes
    model = build_default_model(
        x_train.shape[1], outputs, config.hidden, config.rate, config.lr, config.seed, task=dataset.task
    )
    if regression:
        head = regression_head(outputs, f"regression: Dense({outputs}) linear head trained with mean squared error")
    else:
        head = softmax_head(dataset.classes)
    notes = ["rate is 0: dropout never drops anything, so every mode must agree"] if config.rate == 0 else []
    if ood is not None:
        ood = dataclasses.replace(ood, x=flatten(ood.x))
        notes.append(ood.note)
    return Prepared(
        model=model,
        head=head,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=dataset.y_test,
        images=dataset.x_test,
        dataset=dataset.name,
        epochs=config.epochs,
        notes=notes,
        augmentation=[],
        ood=ood,
    )
