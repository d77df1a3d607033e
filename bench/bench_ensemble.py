"""What `--ensemble K` and the uncertainty methods cost: whole runs against the plain Keras a user would write.

(a) `train --headless --ensemble K` (the run's model plus K-1 members, every method each round), launch to
    exit, against a bare script that fits K models one after another in one process and evaluates each:
    target <= 1.1x.
(b) `train --headless` without --ensemble (every mode, temperature scaling and the paired bootstrap each
    round), launch to exit, against one bare fit + evaluate: target <= 1.1x.

Fresh processes, rounds interleaved in rotating order, medians; every ratio printed comes from this one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common

# K models fitted one after another in one process, as a user would write a deep ensemble by hand.
BARE_ENSEMBLE = """\
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

data, epochs, members = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with np.load(data) as archive:
    x_train, y_train, x_test, y_test = (archive[k] for k in ("x_train", "y_train", "x_test", "y_test"))
scale = (lambda x: x.astype("float32") / 255.0) if x_train.dtype == np.uint8 else (lambda x: x.astype("float32"))
x_train, x_test = scale(x_train.reshape(len(x_train), -1)), scale(x_test.reshape(len(x_test), -1))
classes = int(max(y_train.max(), y_test.max())) + 1
total = np.zeros((len(x_test), classes))
for seed in range(members):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    total += model.predict(x_test, verbose=0)
print(json.dumps({"accuracy": float(np.mean(np.argmax(total, 1) == y_test))}), flush=True)
"""


def wall(argv: list[str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({result.returncode}): {result.stderr[-800:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--members", type=int, default=3)
    args = parser.parse_args()
    _common.header(f"ensemble: K={args.members}, {args.epochs} epochs, digits, {args.rounds} rounds")
    from dropout_tui.engine.data.datasets import load_digits  # NumPy only: no TensorFlow in this process

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        digits = load_digits()
        data = _common.write_npz(scratch / "digits.npz", digits.x_train, digits.y_train, digits.x_test, digits.y_test)
        bare = _common.write_bare_fit(scratch)
        ensemble_script = scratch / "bare_ensemble.py"
        ensemble_script.write_text(BARE_ENSEMBLE)
        headless = [sys.executable, "-m", "dropout_tui.tui.cli", "train", "--headless", "--data", str(data)]
        epochs = ["--epochs", str(args.epochs)]
        argvs = {
            "headless --ensemble K": [*headless, *epochs, "--ensemble", str(args.members)],
            "bare K fits": [sys.executable, str(ensemble_script), str(data), str(args.epochs), str(args.members)],
            "headless": [*headless, *epochs],
            "bare fit+evaluate": [sys.executable, str(bare), str(data), str(args.epochs)],
        }
        times: dict[str, list[float]] = {name: [] for name in argvs}
        order = list(argvs)
        for round_ in range(args.rounds):
            for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
                times[name].append(wall(argvs[name]))
            print(f"   round {round_ + 1}: " + ", ".join(f"{name} {times[name][-1]:.2f} s" for name in order))
    median = {name: statistics.median(values) for name, values in times.items()}
    print("   medians, launch to exit: " + ", ".join(f"{name} {value:.2f} s" for name, value in median.items()))
    _common.verdict(
        f"--ensemble {args.members} run / {args.members} bare fits in one process, wall",
        median["headless --ensemble K"] / median["bare K fits"],
        1.1,
        at_least=False,
    )
    _common.verdict(
        "run without --ensemble / bare fit+evaluate, wall",
        median["headless"] / median["bare fit+evaluate"],
        1.1,
        at_least=False,
    )


if __name__ == "__main__":
    main()
