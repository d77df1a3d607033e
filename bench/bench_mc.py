"""MC-dropout throughput: the vectorised sampler vs one predict() per pass, same model and sample.

Prints the speed-up at T=200 (target: at least 100x) and the peak memory of
T=10,000 passes over the whole test set (bounded by chunking rows x T).
Run: .venv/bin/python bench/bench_mc.py
"""

from __future__ import annotations

import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

T = 200
HUGE_T = 10_000


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _always_on_twin(model, rate: float):
    """The naive recipe: a Dropout that is always on, sharing the trained layers' weights."""
    import keras

    class AlwaysOnDropout(keras.layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    inputs = keras.Input(model.input_shape[1:])
    hidden = model.get_layer("hidden")(inputs)
    return keras.Model(inputs, model.get_layer("probs")(AlwaysOnDropout(rate, seed=1)(hidden)))


def main() -> None:
    from engine.quiet import redirect_native_stderr

    redirect_native_stderr()  # TensorFlow's C++ start-up lines would interleave with the figures
    import keras

    from engine.data import load_digits
    from engine.modes import Predictor, mc_moments, mc_sample_probs
    from engine.models import build_default_model, flatten

    keras.utils.set_random_seed(0)
    digits = load_digits()
    x_train, x_test = flatten(digits.x_train), flatten(digits.x_test)
    model = build_default_model(x_train.shape[1], digits.classes, 128, 0.2, 1e-3, 0)
    model.fit(x_train, digits.y_train, batch_size=32, epochs=2, verbose=0)
    predictor = Predictor(model)
    sample = x_test[:1]

    mc_sample_probs(predictor, sample, T)  # warm-up: first eager call builds kernels
    vectorised = statistics.median(_timed(lambda: mc_sample_probs(predictor, sample, T)) for _ in range(5))

    twin = _always_on_twin(model, 0.2)
    twin.predict(sample, verbose=0)  # warm-up: trace the predict function once
    began = time.perf_counter()
    passes = [twin.predict(sample, verbose=0) for _ in range(T)]
    per_pass = time.perf_counter() - began
    assert len({p.tobytes() for p in passes}) > 1, "the per-pass baseline must really run dropout"

    eager = _timed(lambda: [model(sample, training=True) for _ in range(T)])

    print(f"T={T} passes of one digits sample, hidden=128, rate=0.2")
    print(f"  vectorised sampler (one call on {T} repeated rows): {vectorised * 1e3:8.1f} ms")
    print(f"  per-pass model.predict loop ({T} calls):           {per_pass * 1e3:8.1f} ms")
    print(f"  per-pass eager model(x, training=True) loop:       {eager * 1e3:8.1f} ms")
    print(f"  speed-up vs predict loop: {per_pass / vectorised:.0f}x (target >= 100x)")

    rows = len(x_test) * HUGE_T
    before = _rss_mib()
    began = time.perf_counter()
    mean, _ = mc_moments(predictor, x_test, HUGE_T)
    seconds = time.perf_counter() - began
    after = _rss_mib()
    naive_mib = (rows * x_test.shape[1] * 4 + rows * digits.classes * 4) / 2**20
    print(f"T={HUGE_T} over the full test set ({len(x_test)} samples, {rows:,} forward rows): {seconds:.1f} s")
    print(f"  peak RSS {after:.0f} MiB (was {before:.0f} MiB before: +{after - before:.0f} MiB); "
          f"all repeats at once would need ~{naive_mib:.0f} MiB more")
    assert abs(float(mean.sum(axis=1).mean()) - 1.0) < 1e-4


def _timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
