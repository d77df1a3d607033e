"""The two events that describe a whole run: what it is (run_started) and how it ended (summary)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dropout_tui.engine import backends
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import RunStarted, Summary
from dropout_tui.engine.run.preparation import Prepared

if TYPE_CHECKING:
    from dropout_tui.engine.run.devices import Devices


def stochastic_layers(prepared: Prepared) -> list[dict]:
    from dropout_tui.engine.model.layers import describe_stochastic

    return [layer.to_json() for layer in describe_stochastic(prepared.model)]


def run_started(config: RunConfig, prepared: Prepared, devices: Devices, rates: dict, **workers: Any) -> RunStarted:
    """The run's configuration and what the model, the data and the devices turned out to be.

    ``workers``: a multi-worker run's fields (engine.run.workers.Workers.introduce), every replica's name included.
    """
    from dropout_tui.engine.model.layers import describe_normalization
    from dropout_tui.engine.run import versions

    keras_version, tf_version = versions.versions()
    return RunStarted(
        command=config.command,
        config=config.to_dict(),
        dataset=prepared.dataset,
        n_train=prepared.n_train,
        n_test=len(prepared.x_test),
        input_shape=[int(d) for d in prepared.x_test.shape[1:]],
        classes=prepared.classes,
        stochastic_layers=stochastic_layers(prepared),
        normalization_layers=describe_normalization(prepared.model),
        keras_version=keras_version,
        tensorflow_version=tf_version,
        devices=versions.devices(),
        steps_per_epoch=math.ceil(prepared.n_train / config.batch_size) if prepared.epochs else 0,
        notes=prepared.notes,
        task=prepared.head.task,
        augmentation_layers=prepared.augmentation,
        replicas=devices.replicas,
        rates=rates,
        backend=config.backend,
        backend_version=backends.version(config.backend),
        **{"device_names": devices.names, **workers},
    )


def summary(prepared: Prepared, epochs_run: int, seconds: float, history: list[dict], backend: str) -> Summary:
    """The last round's numbers (and every round, for exports); the layers as they are now."""
    return Summary(
        dataset=prepared.dataset,
        n_train=prepared.n_train,
        n_test=len(prepared.x_test),
        epochs_run=epochs_run,
        seconds=seconds,
        stochastic_layers=stochastic_layers(prepared),
        modes=history[-1]["modes"],
        task=prepared.head.task,
        uncertainty=history[-1]["uncertainty"],
        augmentation_layers=prepared.augmentation,
        history=list(history),
        backend=backend,
        backend_version=backends.version(backend),
    )
