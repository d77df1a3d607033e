"""The MC-dropout sampler's cost, two ratios from one trained model.

1. One digits sample, T=200 passes: the evaluator's compiled passes
   (Evaluator.passes: the sample's prefix once, T tiled copies in one call)
   vs T calls of predict() on an always-on-dropout twin that shares the
   trained weights. Target: at least 100x.
2. The whole test set (360 samples), as the mc mode evaluates it
   (Evaluator.monte_carlo: reduced inside the graph): its time / T, i.e. the
   cost of one pass, vs one inference pass over the same 360 rows, by a direct
   model(x, training=False) call (and, for scale, by predict()). Target:
   within 1.5x per pass. Peak memory of huge T is bench_extremes.py's job.
Run: .venv/bin/python bench/bench_mc.py
"""

from __future__ import annotations

import statistics
import sys
import time

import _common
import numpy as np
from _common import timed

T = 200
EVAL_T = (30, 200)  # the CLI's default T, and a large one


def _always_on_twin(model, rate: float):
    """The naive recipe: a Dropout that is always on, sharing the trained layers' weights."""
    import keras

    class AlwaysOnDropout(keras.layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    inputs = keras.Input(model.input_shape[1:])
    hidden = model.get_layer("hidden")(inputs)
    return keras.Model(inputs, model.get_layer("probs")(AlwaysOnDropout(rate, seed=1)(hidden)))


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up: the first eager call of a shape builds its kernels
    return statistics.median(timed(fn) for _ in range(repeats))


def one_sample(evaluator, model, sample) -> None:
    vectorised = _median_time(lambda: evaluator.passes(sample, T), 5)
    twin = _always_on_twin(model, 0.2)
    twin.predict(sample, verbose=0)  # warm-up: trace the predict function once
    began = time.perf_counter()
    passes = [twin.predict(sample, verbose=0) for _ in range(T)]
    per_pass = time.perf_counter() - began
    assert len({p.tobytes() for p in passes}) > 1, "the per-pass baseline must really run dropout"
    eager = timed(lambda: [model(sample, training=True) for _ in range(T)])
    print(f"   T={T} passes of one digits sample, hidden=128, rate=0.2")
    print(f"     evaluator (prefix once, {T} tiled copies):         {vectorised * 1e3:8.1f} ms")
    print(f"     per-pass model.predict loop ({T} calls):           {per_pass * 1e3:8.1f} ms")
    print(f"     per-pass eager model(x, training=True) loop:       {eager * 1e3:8.1f} ms")
    _common.verdict(f"MC sampler vs per-pass predict loop, T={T}", per_pass / vectorised, 100, at_least=True)


def whole_test_set(evaluator, model, x_test) -> None:
    inference = _median_time(lambda: np.asarray(model(x_test, training=False)), 21)
    predicted = _median_time(lambda: model.predict(x_test, batch_size=1024, verbose=0), 5)
    print(
        f"   whole test set ({len(x_test)} samples): one inference pass {inference * 1e3:.2f} ms by "
        f"model(x, training=False), {predicted * 1e3:.1f} ms by predict()"
    )
    worst = 0.0
    for samples in EVAL_T:
        per_pass = _median_time(lambda t=samples: evaluator.monte_carlo(x_test, t), 5) / samples
        worst = max(worst, per_pass / inference)
        print(
            f"     monte_carlo T={samples:>3}: {per_pass * samples * 1e3:7.1f} ms, {per_pass * 1e3:.3f} ms per pass "
            f"= {per_pass / inference:.2f}x a direct inference pass, {per_pass / predicted:.3f}x a predict() pass"
        )
    _common.verdict("whole-test-set MC cost per pass / one inference pass (worst T)", worst, 1.5, at_least=False)


def main() -> int:
    from dropout_tui.engine.quiet import redirect_native_stderr

    redirect_native_stderr()  # TensorFlow's C++ start-up lines would interleave with the figures
    import keras

    from dropout_tui.engine.data.datasets import load_digits
    from dropout_tui.engine.evaluation.evaluator import Evaluator
    from dropout_tui.engine.model.default import build_default_model, flatten
    from dropout_tui.engine.model.heads import softmax_head

    _common.header("MC-dropout sampler cost (digits, hidden 128, rate 0.2)")
    keras.utils.set_random_seed(0)
    digits = load_digits()
    x_train, x_test = flatten(digits.x_train), flatten(digits.x_test)
    model = build_default_model(x_train.shape[1], digits.classes, 128, 0.2, 1e-3, 0)
    model.fit(x_train, digits.y_train, batch_size=32, epochs=2, verbose=0)
    evaluator = Evaluator(model, head=softmax_head(digits.classes), batch_size=32, seed=0)
    one_sample(evaluator, model, x_test[:1])
    whole_test_set(evaluator, model, x_test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
