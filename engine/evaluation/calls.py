"""The evaluator's compiled calls: block layout, the cache of traced functions, and one call at a time.

Blocks of rows and copies per call are sized on an element budget; the loop
over calls is Python's, so a quit is seen between two calls. Every traced
function is rebuilt when something baked into its trace changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.evaluation.backend import EvaluationBackend
from dropout_tui.engine.evaluation.graphs import Graphs, Shapes
from dropout_tui.engine.evaluation.modes import DROPOUT_ONLY, TRAINING, Mode
from dropout_tui.engine.evaluation.results import CopyTotals, totals_keys
from dropout_tui.engine.evaluation.split import Split, split_model
from dropout_tui.engine.evaluation.stream import StateMap
from dropout_tui.engine.evaluation.switches import ModeSwitches

if TYPE_CHECKING:
    import keras

    from dropout_tui.engine.model.heads import Head


@dataclass
class Block:
    start: int  # first row of the data in this block
    rows: int  # real rows (the rest of the block is padding)
    x: object  # device tensor, padded to the block size
    targets: object
    weights: object  # 1 for real rows, 0 for padding


@dataclass
class _Compiled:
    """Everything traced for one trace key: the splits and the compiled functions."""

    key: tuple
    splits: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)


class CompiledCalls:
    """One model's compiled evaluation functions and the calls that run them, a block of rows at a time."""

    def __init__(
        self,
        model: keras.Model,
        head: Head,
        *,
        batch_size: int,
        seed: int,
        budget: int,
        backend: EvaluationBackend,
        should_cancel: Callable[[], bool],
    ) -> None:
        self.model = model
        self.head = head
        self.regression = head.task == "regression"
        self.batch_size = batch_size
        self.budget = budget
        self.backend = backend
        self.should_cancel = should_cancel
        self.switches = ModeSwitches(model)
        self.states = StateMap(model, seed, trainable=backend.maps_trainable)
        self.traces = 0  # functions compiled so far: a test reads it to see a retrace
        self._compiled = _Compiled(key=())
        self._row_shape: tuple | None = None  # an input row's shape, learnt from the first data
        self._counts: dict[int, object] = {}
        inputs = getattr(model, "inputs", None)  # a subclassed model has none: the data's dtype then
        self._input_dtype = inputs[0].dtype if inputs else None

    def layout(self, x: np.ndarray, copies: int) -> tuple[int, int]:
        """(rows per block, copies per call) with rows x copies x width within the budget."""
        self._row_shape = tuple(x.shape[1:])
        self._input_dtype = self._input_dtype or np.asarray(x[:1]).dtype
        return self.layout_rows(len(x), copies)

    def layout_rows(self, n: int, copies: int) -> tuple[int, int]:
        width = activation_width(self.model, self._split(DROPOUT_ONLY), self._row(), self.units())
        # Across workers each one computes only its share of a block: the budget is per worker, and
        # fewer, larger blocks mean fewer collectives (each a round trip between hosts).
        budget = self.budget * self.backend.workers
        if self.switches.shares_mask_across_batch:
            # One mask per pass for the whole data, as Keras means it: every row in one call.
            return self.divisible(n), max(1, min(copies, budget // max(1, n * width)))
        per_row = budget // (width * copies)
        if per_row >= 1:
            return self.divisible(min(n, per_row)), copies
        return self.divisible(1), max(1, budget // width)

    def _row(self) -> tuple:
        if self._row_shape is None:  # layout() learns it from the data before the first block is cut
            raise RuntimeError("an evaluator's layout() runs before any pass: it learns an input row's shape")
        return self._row_shape

    def divisible(self, rows: int) -> int:
        """Rows per block rounded up so tf.distribute can give every replica the same number (padding)."""
        replicas = self.backend.replicas
        return -(-rows // replicas) * replicas

    def units(self) -> int:
        return int(self.head.units)

    def keys(self) -> tuple[str, str]:
        return totals_keys(self.regression)

    def target_shape(self) -> tuple:
        return (self.units(),) if self.regression else ()

    def target_dtype(self) -> type[np.float32] | type[np.int32]:
        return np.float32 if self.regression else np.int32

    def _split(self, mode: Mode) -> Split:
        """Where randomness starts in the model for a stochastic pass: dropout_only's layers or training's."""
        self._refresh()
        splits = self._compiled.splits
        if mode.name not in splits:
            sample = np.zeros((2, *self._row()), self._input_dtype)
            random_in = self.switches.is_random if mode is DROPOUT_ONLY else self.switches.is_random_in_training
            splits[mode.name] = split_model(self.model, random_in, sample)
        return splits[mode.name]

    def same_cut(self) -> bool:
        training, only = self._split(TRAINING), self._split(DROPOUT_ONLY)
        return training.cut == only.cut and training.whole == only.whole

    def _refresh(self) -> None:
        """Drop every compiled function when a trace-time fact changed (a rate, a flag, a noise_shape)."""
        key = self.switches.trace_key()
        if key != self._compiled.key:
            self._compiled = _Compiled(key=key)

    def _function(
        self,
        name: str,
        build: Callable,
        rows: tuple,
        shared: tuple,
        switch: Callable | None = None,
        distribute: bool = True,
    ) -> Callable:
        self._refresh()
        if name not in self._compiled.functions:
            self._compiled.functions[name] = self.backend.compile(
                build(), rows, shared, switch=switch, distribute=distribute, variables=self.states.variables
            )
            self.traces += 1
        return self._compiled.functions[name]

    def _call(self, function: Callable[[tuple, tuple], dict], rows: tuple, shared: tuple) -> dict:
        """One compiled call; the evaluation stream moves on by what it drew."""
        result = function(rows, shared)
        self.states.seeds = list(result["seeds"])  # device tensors: the next call takes them as they are
        return result

    def _graphs(self, mode: Mode) -> Graphs:
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
    def blocks(self, x: np.ndarray, targets: np.ndarray | None, rows: int) -> Iterator[Block]:
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
            yb = np.zeros((rows, *self.target_shape()), self.target_dtype())
            if targets is not None:
                yb[:real] = np.asarray(targets[start : start + real]).reshape(real, *self.target_shape())
            yield Block(start, real, backend.tensor(xb), backend.tensor(yb), backend.tensor(weights))

    def _seeds(self) -> list:
        return [self.backend.tensor(seed) for seed in self.states.seeds]

    def _count(self, value: int) -> object:
        """A copy count as a device scalar, made once per value (a conversion per call costs more than the call)."""
        if value not in self._counts:
            self._counts[value] = self.backend.tensor(np.int32(value))
        return self._counts[value]

    def deterministic(self, block: Block, rows: int, *, with_flag: bool) -> tuple[np.ndarray, np.ndarray | None, list]:
        graphs = self._graphs(DROPOUT_ONLY)
        flag = self.switches.trainable_flag if with_flag else None
        function = self._function(
            f"deterministic/{rows}/{with_flag}", lambda: graphs.deterministic(flag), (block.x,), (self._seeds(),)
        )
        per_row = self._call(function, (block.x,), (self._seeds(),))["rows"]
        real = block.rows
        flags = np.asarray(per_row["flagged"])[:real] if with_flag else None
        return np.asarray(per_row["outputs"])[:real], flags, list(per_row["cut"])

    def tiled(
        self,
        mode: Mode,
        block: Block,
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
        shapes = Shapes(per_call, self.units(), self.switches.shares_mask_across_batch)
        graphs = self._graphs(mode)
        switch = self.switches.dropout_only if mode is DROPOUT_ONLY else None
        row_args = (cut, block.targets, block.weights)
        function = self._function(
            f"{mode.name}/{rows}/{per_call}/{collect}",
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

    def training_in_batches(self, x: np.ndarray, targets: np.ndarray, repeats: int, totals: CopyTotals) -> float:
        """Training mode with BatchNorm: whole batches of --batch-size, as fit normalises them."""
        backend, graphs = self.backend, self._graphs(TRAINING)
        size = min(self.batch_size, len(x))
        full, rest = divmod(len(x), size)
        xs = backend.tensor(np.asarray(x, self._input_dtype))
        ys = backend.tensor(np.asarray(targets).reshape(len(x), *self.target_shape()).astype(self.target_dtype()))
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


def activation_width(model: keras.Model, split: Split, row_shape: tuple, units: int) -> int:
    """The widest activation a tiled copy carries: what sizes the blocks against the budget."""
    widths = [units]
    if split.whole:
        widths.append(_row_width((None, *row_shape)))
    for layer in model.layers:
        if split.whole or not _is_input(layer):
            widths.append(_output_width(layer))
    return max(widths)


def _is_input(layer: keras.layers.Layer) -> bool:
    return type(layer).__name__ == "InputLayer"


def _output_width(layer: keras.layers.Layer) -> int:
    """Values per row of a layer's output; 1 where Keras cannot say (a layer of a subclassed model)."""
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return 1
    tensors = list(output) if isinstance(output, (list, tuple)) else [output]
    return max((_row_width(tensor.shape) for tensor in tensors), default=1)


def _row_width(shape: tuple) -> int:
    return int(np.prod([d or 1 for d in shape[1:]]))
