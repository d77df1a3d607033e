"""Claims about one backend's own API, measured on that backend only: 9 (JAX) and 10 (PyTorch).

Each builds a small model of its own: claim 9 leaves a tracer in the model it
measures, which no other experiment may then touch.
"""

from __future__ import annotations

import keras
import numpy as np

from dropout_tui.engine.errors import one_line
from dropout_tui.engine.explain.lab import Lab
from dropout_tui.engine.explain.report import Measurement

CALLS = 5  # calls of the compiled or switched model; fresh masks make every one differ
RATE = 0.5


def _model(lab: Lab) -> keras.Model:
    inputs = keras.Input((lab.x_test.shape[1],))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    outputs = keras.layers.Dense(lab.classes)(keras.layers.Dropout(RATE, seed=lab.seed)(hidden))
    return keras.Model(inputs, outputs)


def _distinct(outputs: list[np.ndarray]) -> int:
    return len({np.asarray(output).tobytes() for output in outputs})


def jax_jit_training(lab: Lab) -> Measurement:
    """Claim 9: jax.jit over ``model(x, training=True)``, then what the model can still do; and the right way."""
    import jax

    x = lab.x_test[:16]
    model = _model(lab)
    stateless = jax.jit(lambda trainable, fixed, x: model.stateless_call(trainable, fixed, x, training=True))
    trainable = [v.value for v in model.trainable_variables]
    fixed = [v.value for v in model.non_trainable_variables]
    carried = []
    for _ in range(CALLS):
        out, fixed = stateless(trainable, fixed, x)  # the advanced seed state goes into the next call
        carried.append(out)
    jitted = jax.jit(lambda x: model(x, training=True))
    frozen = [jitted(x) for _ in range(CALLS)]
    notes = {}
    try:
        model.predict(x, verbose=0)
        predict_fails = 0.0
    except Exception as error:  # the leaked tracer: UnexpectedTracerError on Keras 3.15
        predict_fails = 1.0
        notes["predict_error"] = f"{type(error).__name__}: {one_line(error, 120)}"
    return Measurement(
        {
            "calls": CALLS,
            "distinct_outputs_jit_model_call": _distinct(frozen),
            "predict_fails_after": predict_fails,
            "distinct_outputs_jit_stateless_call": _distinct(carried),
        },
        notes,
    )


def torch_eval_mode(lab: Lab) -> Measurement:
    """Claim 10: ``model(x, training=True)`` and ``model(x)`` after ``model.eval()``; ``model(x)`` after ``train()``."""
    x = lab.x_test[:16]
    model = _model(lab)
    inference = keras.ops.convert_to_numpy(model(x, training=False))
    model.eval()
    after_eval = [keras.ops.convert_to_numpy(model(x, training=True)) for _ in range(CALLS)]
    eval_default = keras.ops.convert_to_numpy(model(x))
    model.train()
    train_default = keras.ops.convert_to_numpy(model(x))
    return Measurement(
        {
            "calls": CALLS,
            "distinct_outputs_after_eval_training_true": _distinct(after_eval),
            "eval_training_true_max_abs_diff_from_inference": float(
                max(np.max(np.abs(out - inference)) for out in after_eval)
            ),
            "eval_default_call_max_abs_diff_from_inference": float(np.max(np.abs(eval_default - inference))),
            "train_default_call_max_abs_diff_from_inference": float(np.max(np.abs(train_default - inference))),
        },
        {},
    )
