"""Cut a model where randomness starts: the deterministic prefix runs once per sample, the suffix per copy.

MC dropout repeats a sample T times, but everything before the first
stochastic layer gives the same activations in every copy. Computing that
prefix once and tiling only its activations is where most of the time goes at
MNIST size (784x128 of 784x128+128x10 in the article's model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

Tensors = list  # the activations at the cut, one tensor per crossing edge


@dataclass
class Split:
    """prefix(x, training) -> the activations at the cut; suffix(those, training) -> the outputs."""

    prefix: Callable[[object, bool], Tensors]
    suffix: Callable[[Tensors, bool], object]
    kind: str  # "sequential" | "functional" | "whole"
    cut: list[str] = field(default_factory=list)

    @property
    def whole(self) -> bool:
        return self.kind == "whole"


def whole_model(model: keras.Model) -> Split:
    return Split(lambda x, training: [x], lambda h, training: model(h[0], training=training), "whole")


def split_model(model: keras.Model, random_in: Callable[[keras.layers.Layer], bool], sample: np.ndarray) -> Split:
    """The cut before the first layer ``random_in`` says is random; checked on ``sample`` against the model.

    Any doubt (a subclassed model, several inputs, a split that disagrees with
    the whole model or fails) falls back to running the whole model per copy,
    which is always right, only slower.
    """
    try:
        if isinstance(model, keras.Sequential):
            split = _sequential(model, random_in)
        elif hasattr(model, "_nodes_by_depth"):
            split = _functional(model, random_in)
        else:
            return whole_model(model)  # a subclassed model has no graph to cut
        if split.whole:
            return split
        with keras.StatelessScope(state_mapping=[(v, v.value) for v in model.non_trainable_variables]):
            reference = keras.ops.convert_to_numpy(model(sample, training=False))
            cut = keras.ops.convert_to_numpy(split.suffix(split.prefix(sample, False), False))
        if reference.shape != cut.shape or not np.allclose(reference, cut, atol=1e-5, rtol=1e-5):
            return whole_model(model)  # the cut model disagrees with the whole model
        return split
    except Exception:  # any failure only means: do not cut
        return whole_model(model)


def _sequential(model: keras.Sequential, random_in: Callable[[keras.layers.Layer], bool]) -> Split:
    layers = list(model.layers)
    first = next((index for index, layer in enumerate(layers) if random_in(layer)), None)
    if not first:  # the first layer is random, or none is: nothing to compute once
        return whole_model(model)

    def chain(sequence: list[keras.layers.Layer]) -> Callable[[object, bool], object]:
        def run(x: object, training: bool) -> object:
            for layer in sequence:
                x = layer(x, training=training) if layer._call_has_training_arg else layer(x)
            return x

        return run

    before, after = chain(layers[:first]), chain(layers[first:])
    return Split(
        lambda x, training: [before(x, training)],
        lambda h, training: after(h[0], training),
        "sequential",
        [layers[first - 1].name],
    )


def _functional(model: keras.Model, random_in: Callable[[keras.layers.Layer], bool]) -> Split:
    """The cut: every deterministic tensor that a random node consumes (skip connections add tensors)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return whole_model(model)  # only single-input, single-output models are cut
    deterministic = {id(tensor) for tensor in model.inputs}
    tensors: dict = {}
    crossing: set = set()
    for depth in sorted(model._nodes_by_depth, reverse=True):  # inputs first
        for node in model._nodes_by_depth[depth]:
            if node.is_input or node.operation is None:
                continue
            inputs = list(node.input_tensors)
            for tensor in inputs:
                tensors[id(tensor)] = tensor
            if not random_in(node.operation) and all(id(tensor) in deterministic for tensor in inputs):
                deterministic.update(id(tensor) for tensor in node.outputs)
            else:
                crossing.update(id(tensor) for tensor in inputs if id(tensor) in deterministic)
    if id(model.outputs[0]) in deterministic:
        return whole_model(model)  # the output does not depend on a random layer
    cut = [tensors[key] for key in tensors if key in crossing]
    if all(any(tensor is x for x in model.inputs) for tensor in cut):
        return whole_model(model)  # a random layer reads the model's input
    single = len(cut) == 1
    prefix = keras.Model(model.inputs[0], cut[0] if single else cut)
    suffix = keras.Model(cut[0] if single else cut, model.outputs[0])
    return Split(
        lambda x, training: list(keras.tree.flatten(prefix(x, training=training))),
        lambda h, training: suffix(h[0] if single else h, training=training),
        "functional",
        [tensor.name for tensor in cut],
    )
