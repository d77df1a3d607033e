"""What ``fit`` is fed, and the Keras callback that connects it to a Session.

The callback only forwards: one ``fit`` call with it is as fast as a bare
``fit`` (a callback per batch is a few microseconds; per-epoch ``fit`` calls
would each rebuild the data pipeline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import keras
import numpy as np

if TYPE_CHECKING:
    from dropout_tui.engine.run.fit_loop import FitLoop


class SessionCallback(keras.callbacks.Callback):
    """Forwards fit's epoch and batch edges to the fit loop (engine.run.fit_loop), nothing more."""

    def __init__(self, hooks: FitLoop) -> None:
        super().__init__()
        self._hooks = hooks

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._hooks.epoch_begin(epoch + 1)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        # Any, not dict | None: fit always passes its logs here; None is only the base class's default.
        # Keras 3 reports the running mean of the epoch so far as logs["loss"].
        self._hooks.batch_end(batch + 1, float(logs["loss"]))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._hooks.epoch_end(epoch + 1, logs or {})


def fit_data(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> dict[str, Any]:
    """``model.fit``'s data arguments: TensorFlow's own pipeline (below); the arrays on JAX and PyTorch.

    On JAX and PyTorch Keras feeds arrays through a NumPy iterator or a torch
    DataLoader, with no tf.data (and no TensorFlow import) behind them. A model
    under MultiWorkerMirroredStrategy is fed as engine.run.multiworker_fit says.
    """
    if keras.backend.backend() != "tensorflow":
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
    import tensorflow as tf

    batches = training_batches(x, y, batch_size, seed)
    # shuffle=False: the pipeline reshuffles itself each epoch (Keras warns that shuffle=True would be ignored).
    if not isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return {"x": batches, "shuffle": False}
    from dropout_tui.engine.run.multiworker_fit import fit_inputs

    return {**fit_inputs(model, batches, len(x), batch_size), "shuffle": False}


def training_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> object:
    """Shuffled batches of (x, y), reshuffled every epoch, from a pipeline without tf.data autotuning.

    fit over NumPy arrays builds an autotuned tf.data iterator per epoch. When
    Keras drops the old iterator (at the next epoch's first batch, or when fit
    returns) its destructor waits for the autotuning thread, which sleeps up to a
    minute between wake-ups: after an evaluation between epochs the process sat
    idle for seconds (5-10 s at MNIST size, measured with py-spy in
    RootDataset::Iterator::~Iterator). Without autotuning there is no thread to wait for.
    """
    import tensorflow as tf

    features, labels = tf.convert_to_tensor(x), tf.convert_to_tensor(y)

    def gather(indices: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return tf.gather(features, indices), tf.gather(labels, indices)

    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    batches = order.batch(batch_size).map(gather, num_parallel_calls=2).prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False  # as Keras's own adapter does
    return batches.with_options(options)
