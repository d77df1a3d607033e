"""The notes ``inspect`` shows about a loaded model: what predict does, what is random, the input range.

Each note is one line for the log and the model pane. "Every mode must agree"
is only said when nothing in the model is random or normalising.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # discovery imports Keras; loading (and so this module) must stay cheap to import
    from dropout_tui.engine.model.discovery import Survey


def predict_note(deterministic: bool, survey: Survey, baked: list) -> str:
    if baked and deterministic:
        built = ", ".join(f"{type(layer).__name__}(...)(x, training=True) in {layer.name!r}" for layer in baked)
        return (
            f"predict() is deterministic although the model was built with {built}: "
            "Keras 3 ignores a baked training=True in functional models (predict and evaluate pass training=False)"
        )
    if not deterministic:
        always_on = [entry for entry in survey.stochastic if entry.always_on]
        if always_on:
            names = ", ".join(f"{entry.name!r} ({entry.cls})" for entry in always_on)
            where = f"{names} force{'s' if len(always_on) == 1 else ''} training=True"
        else:
            where = "a layer forces training=True (e.g. an MC-dropout subclass)"
        return (
            f"predict() is NOT deterministic for this model: {where} inside its call, "
            "so even `inference` mode is stochastic"
        )
    if survey.stochastic:
        return "predict() is deterministic: dropout is off in predict and evaluate, as Keras documents"
    return "predict() is deterministic"


def discovery_notes(survey: Survey) -> list[str]:
    """What is random or normalising, and which modes must therefore agree."""
    notes = []
    random, augmentation, normalization = survey.stochastic, survey.augmentation, survey.normalization
    if not random and not augmentation and not normalization:
        notes.append("no stochastic layers: every mode must agree with inference")
    elif not random:
        differs = []
        if normalization:
            differs.append("BatchNormalization (batch statistics)")
        if augmentation:
            differs.append("augmentation")
        notes.append(
            "no dropout-like layers: `dropout_only` and `mc` must agree with inference; "
            f"`training` differs through {' and '.join(differs)}"
        )
    for entry in survey.of_kind("recurrent"):
        # No rates here: + and - change them, and the stochastic-layer list is where they are kept current.
        notes.append(f"recurrent dropout in {entry.name!r} ({entry.cls}): on in `training`, `dropout_only` and `mc`")
    for entry in survey.of_kind("custom"):
        notes.append(
            f"custom layer {entry.name!r} ({entry.cls}) is random in training mode (two calls on the same input "
            "differ): treated as stochastic, on in `dropout_only` and `mc`"
        )
    for layer, problem in survey.unchecked:
        notes.append(
            f"custom layer {layer.name!r} ({type(layer).__name__}) could not be checked for randomness "
            f"({problem}): treated as deterministic"
        )
    if augmentation:
        names = ", ".join(f"{layer.name!r} ({type(layer).__name__})" for layer in augmentation)
        notes.append(
            f"{len(augmentation)} augmentation layer(s) {names}: random in `training` mode only; `dropout_only` and "
            "`mc` switch them off (MC dropout is not test-time augmentation)"
        )
    if normalization:
        notes.append(
            f"{len(normalization)} BatchNormalization layer(s): `training` mode normalises with batch statistics "
            "and moves their moving statistics (measured, then restored exactly); `dropout_only` keeps them in "
            "inference mode"
        )
    return notes


def range_hint(x: np.ndarray, scale: float | None, *, rescales: bool, token_ids: str | None) -> list[str]:
    """Say how inputs are fed; suggest 1/255 only for pixel-like float inputs of a model without rescaling.

    ``token_ids``: why the inputs are integer ids (an Embedding takes them, or an
    integer input dtype), or None. Ids are never to be rescaled.
    """
    if scale is not None or not np.issubdtype(x.dtype, np.number) or x.size == 0:
        return []
    low, high = float(np.min(x)), float(np.max(x))
    if token_ids:
        return [f"inputs are integer ids ({token_ids}): fed as stored, values from {low:g} to {high:g}"]
    if low >= 0.0 and 2.0 < high <= 255.0 and not rescales:
        return [
            f"inputs range from {low:g} to {high:g} and the model has no Rescaling layer: fed as stored; "
            "if it was trained on [0, 1] inputs, pass --input-scale 0.00392156862745098 (1/255)"
        ]
    return [f"inputs fed as stored: values from {low:g} to {high:g}"]


def rescales(model: Any) -> bool:
    import keras

    from dropout_tui.engine.model.walk import iter_layers

    return any(isinstance(layer, (keras.layers.Rescaling, keras.layers.Normalization)) for layer in iter_layers(model))


def token_ids_reason(model: Any) -> str | None:
    """Why the model's input is integer ids (an Embedding takes it, or its dtype is an integer), or None."""
    import keras

    if any(isinstance(layer, keras.layers.Embedding) for layer in input_consumers(model)):
        return "the model's input goes into an Embedding"
    try:
        dtype = np.dtype(keras.backend.standardize_dtype(model.inputs[0].dtype))
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return f"the model's input dtype is {dtype}" if np.issubdtype(dtype, np.integer) else None


def input_consumers(model: Any) -> list:
    """Layers that take the model's (first) input directly; nested models are opened (Sequential: its first layer)."""
    import keras

    try:
        source = model.inputs[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        return []
    children = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    found = [
        layer
        for layer in children
        if any(any(tensor is source for tensor in node.input_tensors) for node in layer._inbound_nodes)
    ]
    if not found and isinstance(model, keras.Sequential) and children:
        found = children[:1]
    consumers = []
    for layer in found:
        consumers.extend(input_consumers(layer) if isinstance(layer, keras.Model) else [layer])
    return consumers
