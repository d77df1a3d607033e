"""A deep ensemble (Lakshminarayanan et al. 2017) beside MC dropout: `--ensemble K`, after the main run.

The main run's model is member 0 (seed S); members 1..K-1 are the same architecture trained the
same way on the same data with seeds S+1..S+K-1, one after another in the worker. Each member's
dropout-off outputs are added to running totals and the member is released before the next one
is built, so memory stays flat in K.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.run.preparation import Prepared


@dataclass(frozen=True)
class Member:
    """One trained member's dropout-off outputs on the test set (and the OOD inputs), and what it took."""

    index: int  # 1..K-1 (0 is the main run's model)
    seed: int
    test: np.ndarray  # (n, units) outputs
    ood: np.ndarray | None
    seconds: float


def member_seeds(config: RunConfig) -> list[int]:
    """The seeds of the members trained after the main run: S+1 .. S+K-1."""
    return [config.seed + index for index in range(1, config.ensemble or 0)]


def train_members(
    config: RunConfig, prepared: Prepared, strategy: Any, should_cancel: Callable[[], bool]
) -> Iterator[Member]:
    """Each member in turn: built and trained as the main run's model was, with its own seed, then released."""
    import keras

    from dropout_tui.engine.model.default import build_default_model
    from dropout_tui.engine.run.training import fit_data

    x_train, y_train = prepared.x_train, prepared.y_train
    assert x_train is not None and y_train is not None, "train always has training data"
    for index, seed in enumerate(member_seeds(config), start=1):
        if should_cancel():
            raise Cancelled()
        began = time.perf_counter()
        keras.utils.set_random_seed(seed)
        with strategy.scope():
            model = build_default_model(
                x_train.shape[1],
                prepared.head.units,
                config.hidden,
                config.rate,
                config.lr,
                seed,
                task=prepared.head.task,
            )
        data = fit_data(model, x_train, y_train, config.batch_size, seed)
        model.fit(**data, epochs=prepared.epochs, verbose=0, callbacks=[_cancel_check(should_cancel)])
        if should_cancel():
            raise Cancelled()
        test = model.predict(prepared.x_test, batch_size=config.batch_size, verbose=0)
        ood = None if prepared.ood is None else model.predict(prepared.ood.x, batch_size=config.batch_size, verbose=0)
        del model, data
        gc.collect()  # the member's weights and traced graphs go before the next member is built
        seconds = time.perf_counter() - began
        yield Member(index, seed, np.asarray(test), None if ood is None else np.asarray(ood), seconds)


def _cancel_check(should_cancel: Callable[[], bool]) -> Any:
    import keras

    class CancelCheck(keras.callbacks.Callback):
        """Stops a member's fit at the next batch once the run is cancelled."""

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if should_cancel():
                self.model.stop_training = True

    return CancelCheck()
