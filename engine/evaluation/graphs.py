"""The functions the evaluator traces: one block of rows per call, copies tiled inside, reductions inside.

Written with keras.ops only; the backend compiles them. Each returns the
advanced random states with its results, so the evaluation stream carries on
from call to call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

from dropout_tui.engine.evaluation.metrics import EPS
from dropout_tui.engine.evaluation.results import totals_keys
from dropout_tui.engine.evaluation.split import Split
from dropout_tui.engine.evaluation.stream import StateMap


@dataclass(frozen=True)
class Shapes:
    """The static shapes one family of traced functions is built for."""

    copies: int  # stochastic copies per call
    units: int  # the model's output units
    per_copy_calls: bool  # a noise_shape shares one mask across the batch: one model call per copy


def entropy(p: Any) -> Any:
    return -ops.sum(ops.where(p > 0, p * ops.log(ops.where(p > 0, p, 1.0)), 0.0), axis=-1)


class Graphs:
    """Builders of the traced functions for one model, one split and one way of reading its outputs."""

    def __init__(
        self,
        model: keras.Model,
        split: Split,
        states: StateMap,
        probabilities: Callable,
        regression: bool,
        replica_seed: Callable,
        loop: Callable,
    ) -> None:
        self.model = model
        self.split = split
        self.states = states
        self.probabilities = probabilities  # model outputs -> class probabilities (identity for regression)
        self.regression = regression
        self._replica_seed = replica_seed
        self._loop = loop

    def _start(self, seeds: list) -> list:
        return self.states.initial([self._replica_seed(seed) for seed in seeds])

    def _finish(self, states: list) -> list:
        return self.states.seeds_of(states)

    # --- dropout off ------------------------------------------------------
    def deterministic(self, with_flag: Callable | None) -> Callable[[tuple, tuple], dict[str, Any]]:
        """(x block,), (seeds,) -> the outputs, the flagged outputs, and the activations at the cut.

        ``with_flag`` is the trainable_flag switch: the flagged forward is traced
        inside it, so what it returns is measured, not inherited from a trace
        made before the flag was set.
        """
        split, states = self.split, self.states

        def fn(rows: tuple, shared: tuple) -> dict[str, Any]:
            (x,), (seeds,) = rows, shared
            current = self._start(seeds)
            cut, current = states.call(lambda z: split.prefix(z, False), current, x)
            outputs, current = states.call(lambda h: split.suffix(h, False), current, cut)
            per_row = {"outputs": ops.cast(outputs, "float32"), "cut": cut}
            if with_flag is not None:
                with with_flag():
                    flagged, current = states.call(lambda z: self.model(z, training=False), current, x)
                per_row["flagged"] = ops.cast(flagged, "float32")
            return {"rows": per_row, "totals": {}, "seeds": self._finish(current)}

        return fn

    # --- copies of each row, dropout on -------------------------------------
    def tiled(self, shapes: Shapes, collect: bool) -> Callable[[tuple, tuple], dict[str, Any]]:
        """(cut block, targets, row weights), (seeds, valid copies) -> per-row and per-copy reductions.

        Copies are tiled sample-major inside the call, so every copy of every row
        draws its own mask. Classification: the summed probabilities and entropies
        per row, and per copy the correct count and the summed NLL. Regression: per
        copy the summed squared and absolute errors; ``collect`` keeps every copy's
        outputs (MC's interval needs them, and the probe shows them).
        """
        copies = shapes.copies
        split, states = self.split, self.states

        def one_call(cut: list, current: list) -> tuple[Any, list]:
            tiled = [ops.repeat(t, copies, axis=0) for t in cut]
            return states.call(lambda h: split.suffix(h, True), current, tiled)

        def per_copy_calls(cut: list, current: list) -> tuple[Any, list]:
            # One call per copy, the whole block in it: a batch-shared noise_shape keeps Keras's meaning.
            def body(index: Any, carry: tuple[Any, list]) -> tuple[Any, list]:
                buffer, current = carry
                out, current = states.call(lambda h: split.suffix(h, True), current, cut)
                out = ops.reshape(ops.cast(out, "float32"), (-1, 1, shapes.units))
                return ops.slice_update(buffer, [0, index, 0], out), current

            block = ops.zeros((ops.shape(cut[0])[0], copies, shapes.units))
            return self._loop(copies, body, (block, current))

        def fn(rows: tuple, shared: tuple) -> dict[str, Any]:
            (cut, targets, weights), (seeds, valid) = rows, shared
            current = self._start(seeds)
            out, current = (per_copy_calls if shapes.per_copy_calls else one_call)(cut, current)
            out = ops.reshape(ops.cast(out, "float32"), (-1, copies, shapes.units))
            copy_on = ops.cast(ops.arange(copies) < valid, "float32")
            per_row, totals = self._reduce(out, targets, weights, copy_on)
            if collect:
                per_row["outputs"] = out
            return {"rows": per_row, "totals": totals, "seeds": self._finish(current)}

        return fn

    def _reduce(self, out: Any, targets: Any, weights: Any, copy_on: Any) -> tuple[dict, dict]:
        """(per-row sums over copies, per-copy totals over rows) of one call's outputs (rows, copies, units)."""
        if self.regression:
            error = out - ops.expand_dims(targets, 1)
            per_copy = lambda values: ops.sum(values * weights[:, None], axis=0) * copy_on  # noqa: E731
            return {}, {
                "squared": per_copy(ops.sum(error * error, axis=-1)),
                "absolute": per_copy(ops.sum(ops.abs(error), axis=-1)),
            }
        p = self.probabilities(out)
        classes = ops.shape(p)[-1]
        p_true = ops.sum(p * ops.one_hot(targets, classes)[:, None, :], axis=-1)
        right = ops.cast(ops.argmax(p, axis=-1) == targets[:, None], "float32")
        loss = -ops.log(ops.clip(p_true, EPS, 1.0))
        on = copy_on[None, :]
        per_row = {
            "probabilities": ops.sum(p * on[:, :, None], axis=1),
            "summed_entropy": ops.sum(entropy(p) * on, axis=1),
        }
        totals = {
            "correct": ops.sum(right * weights[:, None], axis=0) * copy_on,
            "nll": ops.sum(loss * weights[:, None], axis=0) * copy_on,
        }
        return per_row, totals

    # --- training mode with BatchNorm: real batches --------------------------
    def batches(self, batch_size: int, full: int, rest: int) -> Callable[[tuple, tuple], dict[str, Any]]:
        """One training-mode pass over x in batches of ``batch_size``; BatchNorm normalises each batch.

        Moving statistics are threaded from batch to batch inside the scope (never
        written), so the pass also says how far they would have moved.
        """
        model, states = self.model, self.states

        def fn(rows: tuple, shared: tuple) -> dict[str, Any]:
            (x, targets), (seeds,) = rows, shared
            current = self._start(seeds)

            def batch(start: Any, size: int, carry: tuple[dict[str, Any], list]) -> tuple[dict[str, Any], list]:
                totals, current = carry
                xb = ops.slice(x, [start] + [0] * (len(x.shape) - 1), [size, *x.shape[1:]])
                yb = ops.slice(targets, [start] + [0] * (len(targets.shape) - 1), [size, *targets.shape[1:]])
                out, current = states.call(lambda z: model(z, training=True), current, xb)
                out = ops.reshape(ops.cast(out, "float32"), (size, 1, -1))
                _, reduced = self._reduce(out, yb, ops.ones((size,)), ops.ones((1,)))
                return {key: totals[key] + reduced[key][0] for key in totals}, current

            keys = totals_keys(self.regression)
            carry = ({key: ops.zeros(()) for key in keys}, current)
            if full:
                carry = self._loop(full, lambda i, c: batch(i * batch_size, batch_size, c), carry)
            if rest:
                carry = batch(full * batch_size, rest, carry)
            totals, current = carry
            return {"rows": {}, "totals": totals, "seeds": self._finish(current), "others": states.others_of(current)}

        return fn
