"""Every evaluation mode in a few compiled calls per block of rows, memory flat in T.

A block of test rows goes through one deterministic call (inference, the
trainable_flag forward, and the activations where randomness starts), then
through tiled calls that run many stochastic copies at once and reduce them
inside the graph (engine.evaluation.calls runs them; graphs.py traces them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from dropout_tui.engine.evaluation.backend import EvaluationBackend, for_keras
from dropout_tui.engine.evaluation.calls import Block, CompiledCalls
from dropout_tui.engine.evaluation.modes import DROPOUT_ONLY, TRAINING
from dropout_tui.engine.evaluation.results import CopyTotals, MonteCarlo, MonteCarloTotals, Round

if TYPE_CHECKING:
    import keras

    from dropout_tui.engine.evaluation.stream import StateMap
    from dropout_tui.engine.model.heads import Head

# Values of the tiled activations per call: bounds memory for any T (8 MiB of float32).
MAX_CHUNK_ELEMENTS = 1 << 21


class Evaluator:
    """Compiled evaluation passes over one model, rebuilt whenever something baked into them changes."""

    def __init__(
        self,
        model: keras.Model,
        *,
        head: Head,
        batch_size: int,
        seed: int,
        budget: int = MAX_CHUNK_ELEMENTS,
        backend: EvaluationBackend | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> None:
        self.calls = CompiledCalls(
            model,
            head,
            batch_size=batch_size,
            seed=seed,
            budget=budget,
            backend=backend or for_keras(),
            should_cancel=should_cancel or (lambda: False),
        )

    @property
    def traces(self) -> int:
        return self.calls.traces

    @property
    def states(self) -> StateMap:
        return self.calls.states

    def evaluate(
        self, x: np.ndarray, targets: np.ndarray, *, repeats: int, samples: int, probe_row: int | None = None
    ) -> Round:
        """Every mode's passes over (x, targets); with ``probe_row``, that row's T passes too (the probe).

        The probe row's dropout-off outputs come from the same deterministic call as
        every other row's, and its passes start from the activations that call made.
        """
        rows, copies = self.calls.layout(x, max(samples, repeats))
        units = self.calls.units()
        inference, flagged = np.zeros((len(x), units), np.float32), np.zeros((len(x), units), np.float32)
        mc = MonteCarloTotals(len(x), samples, self.calls.regression)
        training = CopyTotals(repeats, self.calls.keys())
        only = CopyTotals(repeats, self.calls.keys()) if repeats > samples else None
        batch_training = self.calls.switches.has_batch_statistics
        shift = self.calls.training_in_batches(x, targets, repeats, training) if batch_training else 0.0
        for block in self.calls.blocks(x, targets, rows):
            outputs, flags, cut = self.calls.deterministic(block, rows, with_flag=True)
            inference[block.start : block.start + block.rows] = outputs
            flagged[block.start : block.start + block.rows] = flags
            if not batch_training:
                training_cut = cut if self.calls.same_cut() else [block.x]
                self.calls.tiled(TRAINING, block, training_cut, rows, copies, repeats, training.add)
            self.calls.tiled(DROPOUT_ONLY, block, cut, rows, copies, samples, mc.add(block))
            if only is not None:
                self.calls.tiled(DROPOUT_ONLY, block, cut, rows, copies, repeats, only.add)
            if probe_row is not None and block.start <= probe_row < block.start + block.rows:
                probe_passes = self._probe_passes(block, cut, probe_row, samples)
        result = mc.result()
        dropout_only = only.totals if only is not None else {k: v[:repeats] for k, v in result.per_copy.items()}
        probe = None if probe_row is None else (inference[probe_row], probe_passes)
        return Round(len(x), inference, flagged, training.totals, dropout_only, result, shift, probe)

    def _probe_passes(self, block: Block, cut: list, row: int, samples: int) -> np.ndarray:
        one, one_cut, rows = self._one_row(block, cut, row - block.start)
        _, copies = self.calls.layout_rows(rows, samples)
        collected = np.zeros((samples, 1, self.calls.units()), np.float32)
        self._collect(one, one_cut, rows, copies, samples, collected)
        return collected[:, 0]

    def inference(self, x: np.ndarray) -> np.ndarray:
        """Outputs with dropout off, (n, units), in as few calls as the budget allows."""
        rows, _ = self.calls.layout(x, 1)
        out = np.zeros((len(x), self.calls.units()), np.float32)
        for block in self.calls.blocks(x, None, rows):
            outputs, _, _ = self.calls.deterministic(block, rows, with_flag=False)
            out[block.start : block.start + block.rows] = outputs
        return out

    def training_pass(self, x: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """Dropout off (outputs) and one training-mode pass (totals) over the same rows: the epoch's loss gap."""
        rows, copies = self.calls.layout(x, 1)
        out = np.zeros((len(x), self.calls.units()), np.float32)
        totals = CopyTotals(1, self.calls.keys())
        for block in self.calls.blocks(x, targets, rows):
            outputs, _, cut = self.calls.deterministic(block, rows, with_flag=False)
            out[block.start : block.start + block.rows] = outputs
            if not self.calls.switches.has_batch_statistics:
                training_cut = cut if self.calls.same_cut() else [block.x]
                self.calls.tiled(TRAINING, block, training_cut, rows, 1, 1, totals.add)
        if self.calls.switches.has_batch_statistics:
            self.calls.training_in_batches(x, targets, 1, totals)
        return out, {key: float(value[0]) for key, value in totals.totals.items()}

    def monte_carlo(self, x: np.ndarray, samples: int) -> tuple[np.ndarray, MonteCarlo]:
        """Every row of x (the OOD set, the most-uncertain search): dropout-off outputs and T dropout_only copies."""
        rows, copies = self.calls.layout(x, samples)
        inference = np.zeros((len(x), self.calls.units()), np.float32)
        mc = MonteCarloTotals(len(x), samples, self.calls.regression)
        for block in self.calls.blocks(x, None, rows):
            outputs, _, cut = self.calls.deterministic(block, rows, with_flag=False)
            inference[block.start : block.start + block.rows] = outputs
            self.calls.tiled(DROPOUT_ONLY, block, cut, rows, copies, samples, mc.add(block))
        return inference, mc.result()

    def passes(self, x: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """A few rows: their dropout-off outputs (n, units) and every dropout_only copy (T, n, units)."""
        rows, copies = self.calls.layout(x, samples)
        inference = np.zeros((len(x), self.calls.units()), np.float32)
        collected = np.zeros((samples, len(x), self.calls.units()), np.float32)
        for block in self.calls.blocks(x, None, rows):
            outputs, _, cut = self.calls.deterministic(block, rows, with_flag=False)
            inference[block.start : block.start + block.rows] = outputs
            self._collect(block, cut, rows, copies, samples, collected)
        return inference, collected

    def _one_row(self, block: Block, cut: list, local: int) -> tuple[Block, list, int]:
        """Row ``local`` of ``block`` as a block of its own (padded so every replica gets a share), and its cut."""
        from keras import ops

        calls = self.calls
        rows = calls.divisible(1)
        one_cut = [ops.concatenate([t[local : local + 1], ops.zeros((rows - 1, *t.shape[1:]), t.dtype)]) for t in cut]
        weights = np.zeros((rows,), np.float32)
        weights[0] = 1.0
        targets = np.zeros((rows, *calls.target_shape()), calls.target_dtype())
        return Block(0, 1, None, calls.backend.tensor(targets), calls.backend.tensor(weights)), one_cut, rows

    def _collect(self, block: Block, cut: list, rows: int, copies: int, samples: int, into: np.ndarray) -> None:
        """Every dropout_only copy of the block's rows, written into ``into`` (T, n, units)."""
        cursor = [0]

        def keep(result: dict, count: int) -> None:
            taken = np.swapaxes(np.asarray(result["outputs"])[: block.rows, :count], 0, 1)
            into[cursor[0] : cursor[0] + count, block.start : block.start + block.rows] = taken
            cursor[0] += count

        self.calls.tiled(DROPOUT_ONLY, block, cut, rows, copies, samples, keep, collect=True)
