"""--devices N|all: training and evaluation under one tf.distribute.MirroredStrategy (TensorFlow only).

On a machine without GPUs, ``--devices N`` splits the CPU into N logical
devices (at most one per core), so the distributed path is the real one
wherever it runs (CI included). TensorFlow fixes its devices when it first runs an operation:
``configure`` must come before any model is built.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dropout_tui.engine.errors import ConfigError

if TYPE_CHECKING:
    from dropout_tui.engine.run.cluster import Cluster


class DeviceError(ConfigError):
    """--devices asks for devices this machine does not have."""


@dataclass(frozen=True)
class Devices:
    """The strategy a run uses and how the run describes it."""

    strategy: Any  # tf.distribute.Strategy: TensorFlow ships no types
    replicas: int
    names: list[str]  # the replicas' device names, e.g. "/job:localhost/replica:0/task:0/device:CPU:1"


def configure(spec: int | str | None, cluster: Cluster | None = None) -> Devices:
    """The devices ``--devices`` names: None keeps TensorFlow's default (one device, no strategy).

    With a ``cluster`` (engine.run.cluster) the strategy spans its workers, each on all of its GPUs or its CPU.
    """
    import tensorflow as tf

    if cluster is not None:
        if spec is not None:
            raise DeviceError("--devices and --workers: each worker already uses all its GPUs (or its CPU)")
        from dropout_tui.engine.run.cluster import start

        strategy = start(cluster)
        return Devices(strategy, strategy.num_replicas_in_sync, list(strategy.extended.worker_devices))
    if spec is None:
        return Devices(tf.distribute.get_strategy(), 1, [])
    gpus = tf.config.list_physical_devices("GPU")  # does not start the runtime
    count = (len(gpus) or 1) if spec == "all" else int(spec)
    if gpus:
        if count > len(gpus):
            raise DeviceError(f"--devices {spec}: only {len(gpus)} GPU(s) visible")
        names = [device.name for device in tf.config.list_logical_devices("GPU")][:count]
    else:
        cores = os.cpu_count() or 1
        if count > cores:
            raise DeviceError(f"--devices {spec}: this machine has no GPU and {cores} CPU core(s) to split")
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
        except RuntimeError:  # "Virtual devices cannot be modified after being initialized"
            existing = len(tf.config.list_logical_devices("CPU"))
            if existing != count:
                raise DeviceError(
                    f"--devices {spec}: TensorFlow already started in this process with {existing} CPU device(s)"
                ) from None
        names = [device.name for device in tf.config.list_logical_devices("CPU")][:count]
    strategy = tf.distribute.MirroredStrategy(names)
    return Devices(strategy, strategy.num_replicas_in_sync, list(strategy.extended.worker_devices))


def replica_aware_seeds(model: Any) -> None:
    """Make every dropout layer draw different masks on each replica during ``fit``.

    Keras's seed generator state is mirrored, so every replica reads the same seed
    and drops the same units of its share of the batch (keras-team/keras#18426):
    N replicas then train like one with an N-times smaller batch of masks. Each
    generator's ``next`` folds the replica id into the seed; replica 0 keeps it,
    so one device gives exactly the numbers it always gave.
    """
    from dropout_tui.engine.evaluation.backend import fold_replica

    generators: list = []  # keras.random.SeedGenerator (Keras ships no types)
    for layer in model._flatten_layers(include_self=True):
        generators.extend(getattr(layer, "_seed_generators", []))
    for generator in generators:
        if getattr(generator, "_replica_aware", False):
            continue
        original = generator.next

        def next_seed(self: Any, ordered: bool = True, _original: Callable[[bool], Any] = original) -> Any:
            import tensorflow as tf

            seed = _original(ordered)
            context = tf.distribute.get_replica_context()
            if context is None or context.num_replicas_in_sync == 1:
                return seed
            return fold_replica(seed, context.replica_id_in_sync_group)

        generator.next = types.MethodType(next_seed, generator)
        generator._replica_aware = True


class _NoStrategy:
    """The one-device default on a backend without tf.distribute: its scope changes nothing."""

    num_replicas_in_sync = 1

    def scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()


def for_backend(backend: str, spec: str | int | None, cluster: Cluster | None = None) -> Devices:
    """``configure`` on TensorFlow; JAX and PyTorch run on their one default device (--devices/--workers refused)."""
    if backend == "tensorflow":
        return configure(spec, cluster)
    return Devices(_NoStrategy(), 1, [])
