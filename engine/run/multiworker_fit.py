"""``fit`` under MultiWorkerMirroredStrategy: two places where Keras 3's TensorFlow trainer fails across workers.

Both are in keras/src/backend/tensorflow/trainer.py (Keras 3.15, TensorFlow 2.21) and only on the
multi-worker path, so they are worked around here for a cluster run and nowhere else:
- ``_maybe_symbolic_build`` reduces the first distributed batch with ``strategy.reduce`` in eager
  mode, which MultiWorkerMirroredStrategy refuses ("Attempt to convert a value (PerReplica...)"):
  the build only needs the batch's shapes, so it is given a local batch instead.
- ``reduce_per_replica`` means the per-replica metrics with ``axis=0``, which fails on the scalar
  loss ("Invalid reduction dimension 0 for input with 0 dimensions"): scalars are meant with
  ``axis=None``, the mean over replicas, as every other strategy does.
"""

from __future__ import annotations

from typing import Any


def patch_fit(model: Any, batches: Any) -> None:
    """Make ``model.fit(batches)`` run under the current MultiWorkerMirroredStrategy (see the module's note)."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    if not getattr(trainer.reduce_per_replica, "_multiworker", False):
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
    first = next(iter(batches))
    build = model._maybe_symbolic_build
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: build(data_batch=first)
