"""Training throughput: a headless Session vs a bare model.fit(verbose=0).

Same model, data, batch size and epochs, one fit() call each (tracing and
set-up included on both sides); repeats interleaved so background load hits
both alike. Two session figures:
- reported: the samples/s its EpochEnd events report (evaluation excluded);
- strict: wall time of its whole fit() call minus the time spent in its
  epoch-end hook (inference losses, mode evaluation), so every per-batch cost
  of the callback counts.
Target: session >= 0.95x bare. Run: .venv/bin/python bench/bench_train.py
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

EPOCHS = 10
REPEATS = 5
BATCH = 32


def bare_fit(x, y, classes: int) -> float:
    from engine.models import build_default_model

    model = build_default_model(x.shape[1], classes, 128, 0.2, 1e-3, 0)
    began = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    return EPOCHS * len(x) / (time.perf_counter() - began)


def session_fit(n_train: int) -> tuple[float, float]:
    from engine.config import RunConfig
    from engine.events import EpochEnd
    from engine.session import Session

    events = []
    config = RunConfig(epochs=EPOCHS, batch_size=BATCH, eval_every=EPOCHS, mc_samples=30, repeats=5)
    session = Session(config, events.append)
    marks = {"hook": 0.0}
    epoch_end, train = session.epoch_end, session._train

    def timed_epoch_end(epoch, logs):
        began = time.perf_counter()
        epoch_end(epoch, logs)
        marks["hook"] += time.perf_counter() - began

    def timed_train(prepared):
        began = time.perf_counter()
        train(prepared)
        marks["fit"] = time.perf_counter() - began

    session.epoch_end, session._train = timed_epoch_end, timed_train
    assert session.run() is not None
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    reported = EPOCHS * n_train / sum(e.seconds for e in epochs)
    strict = EPOCHS * n_train / (marks["fit"] - marks["hook"])
    return reported, strict


def main() -> None:
    from engine.quiet import redirect_native_stderr

    redirect_native_stderr()
    from engine.data import load_digits
    from engine.models import flatten

    digits = load_digits()
    x, y = flatten(digits.x_train), digits.y_train
    bare, reported, strict = [], [], []
    session_fit(len(x))  # warm up TensorFlow once so neither side pays first-use costs
    for _ in range(REPEATS):
        bare.append(bare_fit(x, y, digits.classes))
        session_reported, session_strict = session_fit(len(x))
        reported.append(session_reported)
        strict.append(session_strict)
    b, r, s = statistics.median(bare), statistics.median(reported), statistics.median(strict)
    print(f"digits, {len(x)} samples, batch {BATCH}, {EPOCHS} epochs, {REPEATS} interleaved repeats (median samples/s)")
    print(f"  bare model.fit(verbose=0):           {b:9.0f}  (runs: {', '.join(f'{v:.0f}' for v in bare)})")
    print(f"  session, EpochEnd samples/s:         {r:9.0f}  (runs: {', '.join(f'{v:.0f}' for v in reported)})")
    print(f"  session, strict wall clock of fit(): {s:9.0f}  (runs: {', '.join(f'{v:.0f}' for v in strict)})")
    print(f"  ratio reported/bare: {r / b:.3f}   strict/bare: {s / b:.3f}   (target >= 0.95)")


if __name__ == "__main__":
    main()
