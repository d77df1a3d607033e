"""One backend's numbers for one `.keras` file, in a process of its own: `python -m tests.support.backend_probe`.

Keras keeps the backend of its first import for the life of a process, so the
backend tests run this once per backend and compare the files it writes:
predict's outputs, and the app's evaluator's inference, training, dropout_only
and MC results on the digits test set.
"""

from __future__ import annotations

import sys

REPEATS = 20
SAMPLES = 30


def main(backend: str, model_path: str, out_path: str) -> None:
    from dropout_tui.engine import backends

    backends.activate(backend)
    import keras
    import numpy as np

    from dropout_tui.engine.data.datasets import load_digits
    from dropout_tui.engine.evaluation.evaluator import Evaluator
    from dropout_tui.engine.model.default import flatten
    from dropout_tui.engine.model.heads import softmax_head

    assert keras.backend.backend() == backend
    data = load_digits()
    x, y = flatten(data.x_test), data.y_test
    model = keras.saving.load_model(model_path)
    predicted = model.predict(x, verbose=0)
    evaluator = Evaluator(model, head=softmax_head(data.classes), batch_size=32, seed=0)
    measured = evaluator.evaluate(x, y, repeats=REPEATS, samples=SAMPLES)
    np.savez(
        out_path,
        predicted=np.asarray(predicted, np.float64),
        inference=measured.inference,
        training=measured.training["correct"] / len(x),
        dropout_only=measured.dropout_only["correct"] / len(x),
        mc_mean=measured.mc.mean,
        y=y,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
