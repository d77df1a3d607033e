"""Recurrent dropout: LSTM/GRU/SimpleRNN/ConvLSTM (also inside Bidirectional and TimeDistributed).

The layers expose ``dropout`` and ``recurrent_dropout`` read-only; the values
that count live on ``layer.cell`` (a ``DropoutRNNCell``), and Bidirectional
keeps one copy of the layer, with its own cell, per direction. A new rate takes
effect on the next eager call or a freshly traced function.

Keras trap: an LSTM/GRU cell built with ``recurrent_dropout=0`` uses the fused
``implementation=2``, which never applies recurrent dropout, and a cell using
``implementation=1`` with ``recurrent_dropout=0`` crashes the layer's fused
(cuDNN-style) path in training mode. Keras's constructor keeps "implementation 1
exactly when recurrent_dropout > 0"; :func:`set_cell_rate` keeps it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from dropout_tui.engine.model.walk import descendants

# Cell class name -> masks per gate in implementation 1 (what Keras's constructor sets).
MASKS_PER_GATE = {"LSTMCell": 4, "GRUCell": 3}
RATES = ("dropout", "recurrent_dropout")


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent unit as the user sees it: a layer, or a Bidirectional with its two directions."""

    layer: keras.layers.Layer  # the RNN layer, or the Bidirectional wrapper
    cells: tuple  # the DropoutRNNCell(s) whose rates count: one, or two for Bidirectional
    cls: str  # "LSTM", "Bidirectional(GRU)"

    @property
    def name(self) -> str:
        return self.layer.name

    def rate(self, attribute: str) -> float:
        return float(getattr(self.cells[0], attribute))

    @property
    def active(self) -> bool:
        return any(self.rate(attribute) > 0 for attribute in RATES)

    def inner_ids(self) -> set[int]:
        """Layers the walk must not list again: the wrapped directions and the cells."""
        return descendants(self.layer)


def as_recurrent(layer: keras.layers.Layer) -> RecurrentLayer | None:
    """The recurrent view of ``layer``, or None when it is not an RNN with dropout-capable cells."""
    if isinstance(layer, keras.layers.Bidirectional):
        directions = [getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)]
        cells = tuple(_cell(direction) for direction in directions)
        if all(cell is not None for cell in cells):
            return RecurrentLayer(layer, cells, f"Bidirectional({type(directions[0]).__name__})")
        return None
    cell = _cell(layer)
    if cell is None:
        return None
    return RecurrentLayer(layer, (cell,), type(layer).__name__)


def _cell(layer: keras.layers.Layer | None) -> DropoutRNNCell | None:
    if not isinstance(layer, keras.layers.RNN):
        return None
    cell = getattr(layer, "cell", None)
    return cell if isinstance(cell, DropoutRNNCell) else None


def is_cell(layer: keras.layers.Layer) -> bool:
    """RNN cells are called step by step by their RNN layer; they are never listed or called alone."""
    return isinstance(layer, DropoutRNNCell) or hasattr(layer, "state_size")


def set_cell_rate(cell: DropoutRNNCell, attribute: str, value: float) -> None:
    """Set one rate on a cell, switching LSTM/GRU between Keras's implementations as its constructor would."""
    value = float(value)
    if attribute == "recurrent_dropout" and type(cell).__name__ in MASKS_PER_GATE and hasattr(cell, "implementation"):
        if value > 0 and cell.implementation != 1:
            cell.implementation = 1
            cell.dropout_mask_count = MASKS_PER_GATE[type(cell).__name__]
        elif value == 0 and cell.implementation == 1:
            cell.implementation = 2
            if "dropout_mask_count" in vars(cell):
                del cell.dropout_mask_count
    setattr(cell, attribute, value)
    # Cached masks were drawn for the old rate / implementation (a list per gate or one tensor).
    cell.reset_dropout_mask()
    cell.reset_recurrent_dropout_mask()
