"""Every evaluation mode in a few compiled calls per block of rows, memory flat in T.

The Evaluator owns compiled functions for one model. A block of test rows
goes through one deterministic call (inference, the trainable_flag forward,
and the activations at the cut), then through tiled calls that run many
stochastic copies at once and reduce them inside the graph. Blocks and
copies per call are sized on an element budget, and the loop over them is
Python's, so a quit is seen between two calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.evaluation.backend import TensorFlowBackend
from dropout_tui.engine.evaluation.graphs import Graphs, Shapes
from dropout_tui.engine.evaluation.split import split_model
from dropout_tui.engine.evaluation.stream import StateMap
from dropout_tui.engine.evaluation.switches import ModeSwitches

# Values of the tiled activations per call: bounds memory for any T (8 MiB of float32).
MAX_CHUNK_ELEMENTS = 1 << 21
CLASSIFICATION_KEYS = ("correct", "nll")
REGRESSION_KEYS = ("squared", "absolute")


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


@dataclass
class _Block:
    start: int  # first row of the data in this block
    rows: int  # real rows (the rest of the block is padding)
    x: object  # device tensor, padded to the block size
    targets: object
    weights: object  # 1 for real rows, 0 for padding


@dataclass
class _Compiled:
    key: tuple
    functions: dict = field(default_factory=dict)


class Evaluator:
    """Compiled evaluation passes over one model, rebuilt whenever something baked into them changes."""

    def __init__(
        self,
        model,
        *,
        head,
        batch_size: int,
        seed: int,
        budget: int = MAX_CHUNK_ELEMENTS,
        backend: TensorFlowBackend | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> None:
        self.model = model
        self.head = head
        self.regression = head.task == "regression"
        self.batch_size = batch_size
        self.budget = budget
        self.backend = backend or TensorFlowBackend()
        self.should_cancel = should_cancel or (lambda: False)
        self.switches = ModeSwitches(model)
        self.states = StateMap(model, seed)
        self.traces = 0  # functions compiled so far: a test reads it to see a retrace
        self._compiled = _Compiled(key=())
        self._splits: dict[str, object] = {}
        self._row_shape: tuple | None = None  # an input row's shape, learnt from the first data
        self._counts: dict[int, object] = {}
        inputs = getattr(model, "inputs", None)  # a subclassed model has none: the data's dtype then
        self._input_dtype = inputs[0].dtype if inputs else None

    # --- public passes -----------------------------------------------------
    def evaluate(self, x: np.ndarray, targets: np.ndarray, *, repeats: int, samples: int) -> Round:
        """Every mode's passes over (x, targets)."""
        rows, copies = self._layout(x, max(samples, repeats))
        units = self._units()
        inference, flagged = np.zeros((len(x), units), np.float32), np.zeros((len(x), units), np.float32)
        mc = _MonteCarloTotals(len(x), samples, self.regression)
        training = _CopyTotals(repeats, self._keys())
        only = _CopyTotals(repeats, self._keys()) if repeats > samples else None
        batch_training = self.switches.has_batch_statistics
        shift = self._training_in_batches(x, targets, repeats, training) if batch_training else 0.0
        for block in self._blocks(x, targets, rows):
            outputs, flags, cut = self._deterministic(block, rows, with_flag=True)
            inference[block.start : block.start + block.rows] = outputs
            flagged[block.start : block.start + block.rows] = flags
            if not batch_training:
                training_cut = cut if self._same_cut() else [block.x]
                self._tiled("training", block, training_cut, rows, copies, repeats, training.add)
            self._tiled("dropout_only", block, cut, rows, copies, samples, mc.add(block))
            if only is not None:
                self._tiled("dropout_only", block, cut, rows, copies, repeats, only.add)
        result = mc.result()
        dropout_only = only.totals if only is not None else {k: v[:repeats] for k, v in result.per_copy.items()}
        return Round(len(x), inference, flagged, training.totals, dropout_only, result, shift)

    def inference(self, x: np.ndarray) -> np.ndarray:
        """Outputs with dropout off, (n, units), in as few calls as the budget allows."""
        rows, _ = self._layout(x, 1)
        out = np.zeros((len(x), self._units()), np.float32)
        for block in self._blocks(x, None, rows):
            outputs, _, _ = self._deterministic(block, rows, with_flag=False)
            out[block.start : block.start + block.rows] = outputs
        return out

    def training_pass(self, x: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """Dropout off (outputs) and one training-mode pass (totals) over the same rows: the epoch's loss gap."""
        rows, copies = self._layout(x, 1)
        out = np.zeros((len(x), self._units()), np.float32)
        totals = _CopyTotals(1, self._keys())
        for block in self._blocks(x, targets, rows):
            outputs, _, cut = self._deterministic(block, rows, with_flag=False)
            out[block.start : block.start + block.rows] = outputs
            if not self.switches.has_batch_statistics:
                self._tiled("training", block, cut if self._same_cut() else [block.x], rows, 1, 1, totals.add)
        if self.switches.has_batch_statistics:
            self._training_in_batches(x, targets, 1, totals)
        return out, {key: float(value[0]) for key, value in totals.totals.items()}

    def monte_carlo(self, x: np.ndarray, samples: int) -> MonteCarlo:
        """T dropout_only copies of every row of x (the OOD set, the most-uncertain search)."""
        rows, copies = self._layout(x, samples)
        mc = _MonteCarloTotals(len(x), samples, self.regression)
        dummy = np.zeros((len(x), *self._target_shape()), self._target_dtype())
        for block in self._blocks(x, dummy, rows):
            _, _, cut = self._deterministic(block, rows, with_flag=False)
            self._tiled("dropout_only", block, cut, rows, copies, samples, mc.add(block))
        return mc.result()

    def passes(self, x: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """A few rows: their dropout-off outputs (n, units) and every dropout_only copy (T, n, units)."""
        dummy = np.zeros((len(x), *self._target_shape()), self._target_dtype())
        rows, copies = self._layout(x, samples)
        inference = np.zeros((len(x), self._units()), np.float32)
        collected = np.zeros((samples, len(x), self._units()), np.float32)
        for block in self._blocks(x, dummy, rows):
            outputs, _, cut = self._deterministic(block, rows, with_flag=False)
            inference[block.start : block.start + block.rows] = outputs
            cursor = [0]

            def keep(result: dict, count: int, block=block, cursor=cursor) -> None:
                taken = np.swapaxes(np.asarray(result["outputs"])[: block.rows, :count], 0, 1)
                collected[cursor[0] : cursor[0] + count, block.start : block.start + block.rows] = taken
                cursor[0] += count

            self._tiled("dropout_only", block, cut, rows, copies, samples, keep, collect=True)
        return inference, collected

    # --- plans ----------------------------------------------------------------
    def _layout(self, x: np.ndarray, copies: int) -> tuple[int, int]:
        """(rows per block, copies per call) with rows x copies x width within the budget."""
        self._row_shape = tuple(x.shape[1:])
        self._input_dtype = self._input_dtype or np.asarray(x[:1]).dtype
        n = len(x)
        width = self._width()
        if self.switches.shares_mask_across_batch:
            # One mask per pass for the whole data, as Keras means it: every row in one call.
            return self._divisible(n), max(1, min(copies, self.budget // max(1, n * width)))
        per_row = self.budget // (width * copies)
        if per_row >= 1:
            return self._divisible(min(n, per_row)), copies
        return self._divisible(1), max(1, self.budget // width)

    def _divisible(self, rows: int) -> int:
        """Rows per block rounded up so tf.distribute can give every replica the same number (padding)."""
        replicas = self.backend.replicas
        return -(-rows // replicas) * replicas

    def _width(self) -> int:
        split = self._split("dropout_only")
        widths = [self._units()]
        if split.whole:
            widths.append(_row_width((None, *self._row_shape)))
        for layer in self.model.layers:
            if split.whole or not _is_input(layer):
                widths.append(_output_width(layer))
        return max(widths)

    def _units(self) -> int:
        return int(self.head.units)

    def _keys(self) -> tuple[str, str]:
        return REGRESSION_KEYS if self.regression else CLASSIFICATION_KEYS

    def _target_shape(self) -> tuple:
        return (self._units(),) if self.regression else ()

    def _target_dtype(self):
        return np.float32 if self.regression else np.int32

    def _split(self, mode: str):
        self._refresh()
        if mode not in self._splits:
            sample = np.zeros((2, *self._row_shape), self._input_dtype)
            random_in = self.switches.is_random if mode == "dropout_only" else self.switches.is_random_in_training
            self._splits[mode] = split_model(self.model, random_in, sample)
        return self._splits[mode]

    def _same_cut(self) -> bool:
        training, only = self._split("training"), self._split("dropout_only")
        return training.cut == only.cut and training.whole == only.whole

    def _refresh(self) -> None:
        """Drop every compiled function when a trace-time fact changed (a rate, a flag, a noise_shape)."""
        key = self.switches.trace_key()
        if key != self._compiled.key:
            self._compiled = _Compiled(key=key)

    def _function(self, name: str, build: Callable, rows: tuple, shared: tuple, switch=None, distribute=True):
        self._refresh()
        if name not in self._compiled.functions:
            with switch() if switch is not None else contextlib.nullcontext():
                self._compiled.functions[name] = self.backend.compile(build(), rows, shared, distribute=distribute)
            self.traces += 1
        return self._compiled.functions[name]

    def _call(self, function, rows: tuple, shared: tuple) -> dict:
        """One compiled call; the evaluation stream moves on by what it drew."""
        result = function(rows, shared)
        self.states.seeds = list(result["seeds"])  # device tensors: the next call takes them as they are
        return result

    def _graphs(self, mode: str) -> Graphs:
        return Graphs(
            self.model,
            self._split(mode),
            self.states,
            self.head.probabilities,
            self.regression,
            self.backend.replica_seed,
            self.backend.loop,
        )

    # --- the calls -----------------------------------------------------------
    def _blocks(self, x: np.ndarray, targets: np.ndarray | None, rows: int):
        backend = self.backend
        dtype = self._input_dtype
        for start in range(0, len(x), rows):
            if self.should_cancel():
                raise Cancelled()
            real = min(rows, len(x) - start)
            xb = np.zeros((rows, *x.shape[1:]), dtype)
            xb[:real] = x[start : start + real]
            weights = np.zeros((rows,), np.float32)
            weights[:real] = 1.0
            yb = np.zeros((rows, *self._target_shape()), self._target_dtype())
            if targets is not None:
                yb[:real] = np.asarray(targets[start : start + real]).reshape(real, *self._target_shape())
            yield _Block(start, real, backend.tensor(xb), backend.tensor(yb), backend.tensor(weights))

    def _seeds(self) -> list:
        return [self.backend.tensor(seed) for seed in self.states.seeds]

    def _count(self, value: int):
        """A copy count as a device scalar, made once per value (a conversion per call costs more than the call)."""
        if value not in self._counts:
            self._counts[value] = self.backend.tensor(np.int32(value))
        return self._counts[value]

    def _deterministic(self, block: _Block, rows: int, *, with_flag: bool):
        graphs = self._graphs("dropout_only")
        flag = self.switches.trainable_flag if with_flag else None
        function = self._function(
            f"deterministic/{rows}/{with_flag}", lambda: graphs.deterministic(flag), (block.x,), (self._seeds(),)
        )
        per_row = self._call(function, (block.x,), (self._seeds(),))["rows"]
        real = block.rows
        flags = np.asarray(per_row["flagged"])[:real] if with_flag else None
        return np.asarray(per_row["outputs"])[:real], flags, list(per_row["cut"])

    def _tiled(
        self,
        mode: str,
        block: _Block,
        cut: list,
        rows: int,
        per_call: int,
        copies: int,
        consume: Callable,
        *,
        collect: bool | None = None,
    ) -> None:
        """``copies`` stochastic copies of the block, ``per_call`` at a time; ``consume(result, valid)`` each."""
        collect = self.regression if collect is None else collect
        per_call = min(per_call, copies)
        shapes = Shapes(per_call, self._units(), self.switches.shares_mask_across_batch)
        graphs = self._graphs(mode)
        switch = self.switches.dropout_only if mode == "dropout_only" else None
        row_args = (cut, block.targets, block.weights)
        function = self._function(
            f"{mode}/{rows}/{per_call}/{collect}",
            lambda: graphs.tiled(shapes, collect),
            row_args,
            (self._seeds(), self._count(per_call)),
            switch,
        )
        for first in range(0, copies, per_call):
            if self.should_cancel():
                raise Cancelled()
            count = min(per_call, copies - first)
            result = self._call(function, row_args, (self._seeds(), self._count(count)))
            consume({**self.backend.to_numpy(result["rows"]), **self.backend.to_numpy(result["totals"])}, count)

    def _training_in_batches(self, x, targets, repeats: int, totals: _CopyTotals) -> float:
        """Training mode with BatchNorm: whole batches of --batch-size, as fit normalises them."""
        backend, graphs = self.backend, self._graphs("training")
        size = min(self.batch_size, len(x))
        full, rest = divmod(len(x), size)
        xs = backend.tensor(np.asarray(x, self._input_dtype))
        ys = backend.tensor(np.asarray(targets).reshape(len(x), *self._target_shape()).astype(self._target_dtype()))
        # Not split between replicas: a batch is normalised as one, as on a single device.
        function = self._function(
            f"batches/{len(x)}/{size}",
            lambda: graphs.batches(size, full, rest),
            (xs, ys),
            (self._seeds(),),
            distribute=False,
        )
        shift = 0.0
        for _ in range(repeats):
            if self.should_cancel():
                raise Cancelled()
            result = self._call(function, (xs, ys), (self._seeds(),))
            totals.add({key: np.asarray([float(value)]) for key, value in result["totals"].items()}, 1)
            shift = max(shift, self.states.largest_shift([np.asarray(o) for o in result["others"]]))
        return shift


class _CopyTotals:
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


class _MonteCarloTotals:
    """MC moments (classification) or every output (regression), row block by row block."""

    def __init__(self, n: int, samples: int, regression: bool) -> None:
        self.n, self.samples, self.regression = n, samples, regression
        self.copies = _CopyTotals(samples, REGRESSION_KEYS if regression else CLASSIFICATION_KEYS)
        self.probabilities: np.ndarray | None = None
        self.entropy = np.zeros(n, np.float64)
        self.outputs: np.ndarray | None = None

    def add(self, block: _Block) -> Callable:
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
                self.entropy[rows] += np.asarray(result["entropy"])[: block.rows]
            cursor["copy"] += count

        return consume

    def result(self) -> MonteCarlo:
        if self.regression:
            return MonteCarlo(self.samples, self.copies.totals, outputs=self.outputs)
        return MonteCarlo(
            self.samples,
            self.copies.totals,
            mean=self.probabilities / self.samples,
            expected_entropy=self.entropy / self.samples,
        )


def _is_input(layer) -> bool:
    return type(layer).__name__ == "InputLayer"


def _output_width(layer) -> int:
    """Values per row of a layer's output; 1 where Keras cannot say (a layer of a subclassed model)."""
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return 1
    tensors = list(output) if isinstance(output, (list, tuple)) else [output]
    return max((_row_width(tensor.shape) for tensor in tensors), default=1)


def _row_width(shape) -> int:
    return int(np.prod([d or 1 for d in shape[1:]]))
