"""What the evaluator's passes return: raw totals and outputs, before scoring turns them into the modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # calls imports this module
    from dropout_tui.engine.evaluation.calls import Block

CLASSIFICATION_KEYS = ("correct", "nll")
REGRESSION_KEYS = ("squared", "absolute")


def totals_keys(regression: bool) -> tuple[str, str]:
    """What the graph sums per copy: squared and absolute errors, or hits and NLL."""
    return REGRESSION_KEYS if regression else CLASSIFICATION_KEYS


@dataclass
class MonteCarlo:
    """T dropout_only copies of every row: per-row moments (classification) or every output (regression)."""

    samples: int
    per_copy: dict[str, np.ndarray]  # key -> (T,) totals over the rows
    mean: np.ndarray | None = None  # (n, classes) mean probabilities
    expected_entropy: np.ndarray | None = None  # (n,) mean entropy of the copies
    outputs: np.ndarray | None = None  # (T, n, k) regression outputs


@dataclass
class Round:
    """The raw passes of one evaluation round; engine.evaluation.scoring turns them into the modes."""

    n: int
    inference: np.ndarray  # (n, units) outputs, dropout off
    flagged: np.ndarray  # (n, units) outputs with trainable=True set on the stochastic layers
    training: dict[str, np.ndarray]  # key -> (R,) totals: every layer in training mode
    dropout_only: dict[str, np.ndarray]  # key -> (R,) totals: stochastic layers only
    mc: MonteCarlo
    bn_shift: float = 0.0
    probe: tuple[np.ndarray, np.ndarray] | None = None  # the probe row: outputs (units,), T passes (T, units)


class CopyTotals:
    """Per-copy totals (correct/NLL or squared/absolute errors) gathered across calls and blocks."""

    def __init__(self, copies: int, keys: tuple[str, str]) -> None:
        self.totals = {key: np.zeros(copies, np.float64) for key in keys}
        self._next = {key: 0 for key in keys}  # the copy the next call starts at; wraps for the next block

    def add(self, result: dict, count: int) -> None:
        for key in self.totals:
            values = np.asarray(result[key])[:count]
            start = self._next[key]
            self.totals[key][start : start + count] += values
            self._next[key] = (start + count) % len(self.totals[key])


class MonteCarloTotals:
    """MC moments (classification) or every output (regression), row block by row block."""

    def __init__(self, n: int, samples: int, regression: bool) -> None:
        self.n, self.samples, self.regression = n, samples, regression
        self.copies = CopyTotals(samples, totals_keys(regression))
        self.probabilities: np.ndarray | None = None
        self.entropy = np.zeros(n, np.float64)
        self.outputs: np.ndarray | None = None

    def add(self, block: Block) -> Callable:
        cursor = {"copy": 0}

        def consume(result: dict, count: int) -> None:
            self.copies.add(result, count)
            rows = slice(block.start, block.start + block.rows)
            if self.regression:
                out = np.asarray(result["outputs"])[: block.rows, :count]  # (rows, count, k)
                if self.outputs is None:
                    self.outputs = np.zeros((self.samples, self.n, out.shape[-1]), np.float32)
                self.outputs[cursor["copy"] : cursor["copy"] + count, rows] = np.swapaxes(out, 0, 1)
            else:
                probabilities = np.asarray(result["probabilities"])[: block.rows]
                if self.probabilities is None:
                    self.probabilities = np.zeros((self.n, probabilities.shape[-1]), np.float64)
                self.probabilities[rows] += probabilities
                self.entropy[rows] += np.asarray(result["summed_entropy"])[: block.rows]
            cursor["copy"] += count

        return consume

    def result(self) -> MonteCarlo:
        if self.regression:
            return MonteCarlo(self.samples, self.copies.totals, outputs=self.outputs)
        if self.probabilities is None:  # set by the first block; a test set has at least one row
            raise ValueError("MC accumulator received no block")
        return MonteCarlo(
            self.samples,
            self.copies.totals,
            mean=self.probabilities / self.samples,
            expected_entropy=self.entropy / self.samples,
        )
