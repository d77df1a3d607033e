"""The Keras callback that connects ``fit`` to a Session.

It only forwards: one ``fit`` call with this callback is as fast as a bare
``fit`` (a callback per batch is a few microseconds; per-epoch ``fit`` calls
would each rebuild the data pipeline).
"""

from __future__ import annotations

import keras


class SessionCallback(keras.callbacks.Callback):
    def __init__(self, hooks) -> None:
        super().__init__()
        self._hooks = hooks

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self._hooks.epoch_begin(epoch + 1)

    def on_train_batch_end(self, batch, logs=None) -> None:
        # Keras 3 reports the running mean of the epoch so far as logs["loss"].
        self._hooks.batch_end(batch + 1, float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None) -> None:
        self._hooks.epoch_end(epoch + 1, logs or {})
