"""``fit`` under MultiWorkerMirroredStrategy: fed so that a step is one compiled call with one all-reduce.

Three things make a cluster's epoch slow or make it fail, only across workers (Keras 3.15 and
TensorFlow 2.21: keras/src/backend/tensorflow/trainer.py, tensorflow/python/distribute/input_lib.py):

- A finite dataset under the strategy is read with ``get_next_as_optional``, which adds a
  cross-worker all-reduce to every step (do all workers still have data?), and Keras makes a
  new distributed iterator each epoch and calls the step once more at its end to find it
  empty. On two workers on one box that was 0.2-0.6 s per epoch outside the steps and a second
  collective in every step. An endless dataset read ``steps_per_epoch`` steps at a time needs
  neither: one iterator for the whole fit, and the step's only collective is the optimizer's
  all-reduce of the (packed) gradients. The data are the same: the repeat comes after the
  batching, so every epoch is one reshuffled pass ending with its short batch.
- ``_maybe_symbolic_build`` reduces the first distributed batch with ``strategy.reduce`` in eager
  mode, which MultiWorkerMirroredStrategy refuses ("Attempt to convert a value (PerReplica...)"):
  the build only needs the batch's shapes, so it is given a local batch instead.
- ``reduce_per_replica`` means the per-replica metrics with ``axis=0``, which fails on the scalar
  loss ("Invalid reduction dimension 0 for input with 0 dimensions"): scalars are meant with
  ``axis=None``, the mean over replicas, as every other strategy does.
"""

from __future__ import annotations

import math
from typing import Any


def fit_inputs(model: Any, batches: Any, n_train: int, batch_size: int) -> dict[str, Any]:
    """``model.fit``'s data arguments for ``batches`` (one epoch) under the current MultiWorkerMirroredStrategy."""
    _patch_reduce()
    first = next(iter(batches))
    build = model._maybe_symbolic_build
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: build(data_batch=first)
    return {"x": batches.repeat(), "steps_per_epoch": math.ceil(n_train / batch_size)}


def _patch_reduce() -> None:
    """Keras's ``reduce_per_replica``, with the scalars of a multi-worker step meant over replicas (once)."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "_multiworker", False):
        return
    original = trainer.reduce_per_replica

    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(
                lambda v: (
                    strategy.reduce("MEAN", v, axis=None) if isinstance(v, tf.distribute.DistributedValues) else v
                ),
                values,
            )
        return original(values, strategy, reduction)

    reduce_per_replica._multiworker = True  # type: ignore[attr-defined]  # a mark on the function: patched once
    trainer.reduce_per_replica = reduce_per_replica
