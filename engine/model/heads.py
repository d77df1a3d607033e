"""What a model outputs and how that becomes class probabilities: the head, decided once per run.

A ``Head`` says the task (classification or regression) and the activation the
model's outputs carry: ``softmax`` (probabilities), ``logits`` (k units, softmax
applied), ``sigmoid`` (one unit s: p = [1 - s, s]), ``binary_logits`` (one unit
z without sigmoid: p = [1 - sigmoid(z), sigmoid(z)]) or ``linear`` (regression
values, passed through). Witnesses, strongest first: an explicit ``--task``;
the loss the model was compiled with (saved in the .keras archive); the final
activation, the probe outputs and the labels.

Contradictions are one ``ConfigError`` line: ``--task regression`` (or float
targets, or a regression loss) against a model ending in softmax, whose outputs
are class probabilities; ``--task classification`` against float targets; a
single softmax unit (always 1.0).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dropout_tui.engine.errors import ConfigError

ACTIVATIONS = ("softmax", "logits", "sigmoid", "binary_logits", "linear")
SUM_TOLERANCE = 1e-3
LOG_FLOOR = 1e-12  # a probability of exactly 0 (or 1 for a sigmoid) still has a finite logit
REGRESSION_LOSSES = {
    "mse",
    "mae",
    "mape",
    "msle",
    "meansquarederror",
    "meanabsoluteerror",
    "meanabsolutepercentageerror",
    "meansquaredlogarithmicerror",
    "huber",
    "huberloss",
    "logcosh",
}


class HeadError(ConfigError):
    """The task, the model's head and the labels contradict each other."""


@dataclass(frozen=True)
class Head:
    """What a model outputs (probabilities, logits, one sigmoid unit, values) and how that becomes probabilities."""

    task: str  # "classification" | "regression"
    activation: str  # one of ACTIVATIONS: what the model's outputs are
    units: int  # the model's output units
    classes: int | None  # classification: probability columns (2 for a one-unit binary head); regression: None
    note: str  # one line for the notes: what was decided and from which witness

    @property
    def logits(self) -> bool:
        return self.activation in ("logits", "binary_logits")

    def probabilities(self, outputs: Any) -> Any:
        """Class probabilities (n, classes) from the model's outputs, with ``keras.ops`` (traceable).

        Regression heads return the outputs unchanged.
        """
        from keras import ops

        if self.activation == "logits":
            return ops.softmax(outputs, axis=-1)
        if self.activation in ("sigmoid", "binary_logits"):
            positive = ops.sigmoid(outputs) if self.activation == "binary_logits" else outputs
            return ops.concatenate([1.0 - positive, positive], axis=-1)
        return outputs

    def probabilities_numpy(self, outputs: np.ndarray) -> np.ndarray:
        """The NumPy twin of :meth:`probabilities` (float32)."""
        out = np.asarray(outputs, dtype=np.float32)
        if self.activation == "logits":
            shifted = np.exp(out - out.max(axis=-1, keepdims=True))
            return shifted / shifted.sum(axis=-1, keepdims=True)
        if self.activation in ("sigmoid", "binary_logits"):
            positive = 1.0 / (1.0 + np.exp(-out)) if self.activation == "binary_logits" else out
            return np.concatenate([1.0 - positive, positive], axis=-1).astype(np.float32)
        return out

    def logits_numpy(self, outputs: np.ndarray) -> np.ndarray:
        """Logits (n, classes) whose softmax is :meth:`probabilities_numpy`: what temperature scaling divides.

        A one-unit head's logit z becomes the pair [0, z] (softmax([0, z/T]) = [1 - sigmoid(z/T),
        sigmoid(z/T)], so scaling the pair scales the logit); a sigmoid unit s gives z = log(s / (1 - s));
        a softmax head without logits gives log-probabilities, whose softmax is the probabilities again.
        """
        out = np.asarray(outputs, dtype=np.float64)
        if self.activation == "logits":
            return out
        if self.activation in ("sigmoid", "binary_logits"):
            z = out if self.activation == "binary_logits" else _logit(out)
            return np.concatenate([np.zeros_like(z), z], axis=-1)
        return np.log(np.clip(out, LOG_FLOOR, None))

    def to_json(self) -> dict:
        return asdict(self)


def _logit(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, LOG_FLOOR, 1.0 - LOG_FLOOR)
    return np.log(s) - np.log1p(-s)


def softmax_head(classes: int) -> Head:
    """The default model's head: Dense(classes, softmax)."""
    return Head("classification", "softmax", classes, classes, "outputs are probabilities (final activation softmax)")


def regression_head(units: int, note: str = "regression: outputs are values (linear head)") -> Head:
    return Head("regression", "linear", units, None, note)


def detect_head(
    model: Any, probe_outputs: np.ndarray, labels: np.ndarray, task: str | None = None, *, saved_loss: object = None
) -> Head:
    """The head of ``model`` given its outputs on a probe batch and the data's labels (as stored).

    ``task``: the user's ``--task`` (wins). ``saved_loss``: ``compile_config["loss"]``
    from the .keras archive, or None (then a compiled model's own loss is used).
    """
    outputs = np.asarray(probe_outputs)
    if outputs.ndim != 2:
        raise HeadError(f"the model's output has shape {(None, *outputs.shape[1:])}; expected (None, units)")
    units = int(outputs.shape[-1])
    activation = final_activation(model)
    labels_kind = label_kind(labels)
    loss_task, from_logits, loss_name = loss_witness(saved_loss if saved_loss is not None else _compiled_loss(model))
    if units == 1 and activation == "softmax":
        raise HeadError("the model ends in a softmax over one unit, which always outputs 1.0; nothing to evaluate")

    if task == "regression":
        _refuse_softmax_regression(activation, "--task regression")
        if activation == "sigmoid" and units == 1 and loss_task != "regression":
            raise HeadError(
                "--task regression, but the model ends in one sigmoid unit, a binary classifier's probability "
                "(compile it with a regression loss such as mse if its output is a value)"
            )
        return regression_head(units, f"regression (--task regression): {units} output value(s) per sample")
    if task == "classification":
        if labels_kind == "float":
            raise HeadError("--task classification but the labels are not class indices or one-hot (float values)")
        return _classification(units, activation, outputs, labels_kind, from_logits, "--task classification")
    if loss_task == "regression" and activation != "softmax":
        return regression_head(units, f"regression (the model was compiled with {loss_name}): values passed through")
    if loss_task == "classification":
        if labels_kind == "float":
            raise HeadError(
                f"the model was compiled with {loss_name} (a classification loss) but the labels are float values; "
                "pass --task regression if they are regression targets"
            )
        return _classification(units, activation, outputs, labels_kind, from_logits, f"compiled with {loss_name}")
    if units == 1:
        if labels_kind in ("binary", "binary_one_hot"):
            return _classification(units, activation, outputs, labels_kind, None, "one output unit, 0/1 labels")
        return regression_head(1, "regression: one output unit and labels that are not 0/1: values passed through")
    if labels_kind == "float":
        _refuse_softmax_regression(activation, "the labels are float values (regression targets)")
        return regression_head(units, f"regression: float targets, {units} output values per sample")
    return _classification(units, activation, outputs, labels_kind, None, "")


def _refuse_softmax_regression(activation: str | None, why: str) -> None:
    if activation == "softmax":
        raise HeadError(
            f"{why}, but the model ends in a softmax: its outputs are class probabilities, not regression values"
        )


def _classification(
    units: int,
    activation: str | None,
    outputs: np.ndarray,
    labels_kind: str,
    from_logits: bool | None,
    witness: str,
) -> Head:
    source = f", {witness}" if witness else ""
    if units == 1:
        if activation == "sigmoid" and not from_logits:
            return Head(
                "classification", "sigmoid", 1, 2, f"binary classifier: one sigmoid unit s, p = [1 - s, s]{source}"
            )
        if labels_kind not in ("binary", "binary_one_hot"):
            raise HeadError("a one-unit classifier needs labels 0 and 1")
        how = "compiled with from_logits=True" if from_logits else f"final activation {activation or 'unknown'}"
        return Head(
            "classification",
            "binary_logits",
            1,
            2,
            f"binary classifier: one unit without sigmoid ({how}) read as a logit z, p = [1 - sigmoid(z), sigmoid(z)]"
            + ("; pass --task regression if it is a regression value" if not from_logits else ""),
        )
    distributions = rows_are_distributions(outputs)
    if from_logits:
        return Head("classification", "logits", units, units, f"outputs are logits ({witness}): softmax applied")
    known_other = activation is not None and activation != "softmax"
    if not known_other and distributions:
        witness_text = f"final activation {activation}" if activation else "final activation unknown"
        return Head(
            "classification",
            "softmax",
            units,
            units,
            f"outputs are probabilities ({witness_text}, probe rows sum to 1)",
        )
    if known_other and activation not in ("linear", "log_softmax"):
        note = (
            f"outputs are not a softmax (final activation {activation}): softmax applied over them, "
            "so probabilities are only as meaningful as that activation allows"
        )
    else:
        reason = f"final activation {activation}" if activation else "probe rows do not sum to 1"
        note = f"outputs are logits ({reason}): softmax applied"
    return Head("classification", "logits", units, units, note)


def label_kind(labels: np.ndarray) -> str:
    """'binary' (0/1), 'binary_one_hot' (two one-hot columns), 'integer', 'one_hot' or 'float' (anything else)."""
    y = np.asarray(labels)
    if y.size == 0:
        return "integer"
    if y.ndim == 2 and y.shape[1] > 1:
        numeric = np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_
        if numeric and np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
            return "binary_one_hot" if y.shape[1] == 2 else "one_hot"
        return "float"
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return "float"
    if y.dtype == np.bool_:
        return "binary"
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        return "float"
    if np.issubdtype(y.dtype, np.floating) and (not np.all(np.isfinite(y)) or not np.all(y == np.round(y))):
        return "float"
    if np.any(y < 0):
        return "float"
    return "binary" if np.all((y == 0) | (y == 1)) else "integer"


def loss_witness(loss: object) -> tuple[str | None, bool | None, str]:
    """(task, from_logits, name) from a saved or compiled loss; (None, None, '') when it tells nothing."""
    if isinstance(loss, (list, tuple)):
        loss = loss[0] if len(loss) == 1 else None
    if isinstance(loss, dict) and "class_name" not in loss:
        loss = next(iter(loss.values())) if len(loss) == 1 else None
    from_logits = None
    if isinstance(loss, dict):
        config = loss.get("config")
        name = config if loss.get("class_name") == "function" and isinstance(config, str) else loss.get("class_name")
        if isinstance(config, dict):
            from_logits = config.get("from_logits")
    elif isinstance(loss, str):
        name = loss
    else:
        return None, None, ""
    if not isinstance(name, str):
        return None, None, ""
    key = name.lower().replace("_", "")
    if "crossentropy" in key:
        return "classification", bool(from_logits), name
    if key in REGRESSION_LOSSES:
        return "regression", None, name
    return None, None, ""


def _compiled_loss(model: Any) -> object:
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, str):
        return loss
    try:
        import keras

        return keras.saving.serialize_keras_object(loss)
    except Exception:  # noqa: BLE001 - a custom loss may not serialise; then it tells nothing
        return None


def final_activation(model: Any) -> str | None:
    """Name of the activation that produces the model's (first) output, if visible."""
    import keras

    layer = _output_layer(model)
    while isinstance(layer, keras.Model):
        layer = _output_layer(layer)
    if layer is None:
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", None) or str(activation)


def _output_layer(model: Any) -> Any:
    try:
        history = model.outputs[0]._keras_history
    except (AttributeError, IndexError, TypeError, ValueError):
        layers = getattr(model, "layers", None)
        return layers[-1] if layers else None
    return history.operation if hasattr(history, "operation") else history[0]


def rows_are_distributions(outputs: np.ndarray) -> bool:
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.all(np.isfinite(outputs)) or np.any(outputs < -SUM_TOLERANCE):
        return False
    return bool(np.all(np.abs(outputs.sum(axis=-1) - 1.0) <= SUM_TOLERANCE))
