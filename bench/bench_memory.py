"""Peak memory of MNIST-size runs and of a 50,000-row MC inspect, against a bare model.fit on the same data.

    .venv/bin/python bench/bench_memory.py [--epochs N] [--quick]

Every figure is the peak RSS (`ru_maxrss` from `os.wait4`) of its own fresh
process, so no run inherits another's high-water mark:
- bare: a plain Keras script, the article's model (Dense(128, relu) ->
  Dropout(0.2) -> Dense(10, softmax), Adam 1e-3, sparse CE, seed 0),
  `model.fit(epochs=N, batch_size=32, verbose=0)` + `model.evaluate` on
  MNIST-size data made here (uint8 28x28, 60,000 train / 10,000 test, see
  _common.mnist_like) written to a temp .npz;
- `dropout-tui train --headless --data D.npz --epochs N --eval-every 1` at
  `--mc-samples 200` and `30` (every mode evaluated and the probe drawn after
  each epoch); target: the larger peak <= 1.25x the bare fit's;
- `dropout-tui inspect --model M.keras --data T.npz --headless --mc-samples 100`
  on 50,000 test rows (float32 in [0, 1], fed as stored), where M is the same
  default MLP built here, trained 1 epoch on 20,000 rows and saved to a temp
  directory; target: it finishes (exit 0) and its peak <= 1.25x the bare fit's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import _common
from _common import BIN, ChildRun

from dropout_tui.engine.evaluation.modes import MC  # the registry only: no TensorFlow in this process


def make_model(data: Path, out: Path) -> None:
    """The default MLP in plain Keras, trained 1 epoch on the file's training rows, saved as .keras."""
    import keras
    import numpy as np

    with np.load(data) as archive:
        x, y = archive["x_train"], archive["y_train"]
    x = x.reshape(len(x), -1).astype("float32") / (255.0 if x.dtype == np.uint8 else 1.0)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(x.shape[1],), name="pixels")
    hidden = keras.layers.Dense(128, activation="relu", name="hidden")(inputs)
    dropped = keras.layers.Dropout(0.2, name="dropout")(hidden)
    outputs = keras.layers.Dense(10, activation="softmax", name="probs")(dropped)
    model = keras.Model(inputs, outputs, name="article_mlp")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    model.save(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the bare and headless runs (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 6,000/1,000 rows, 5,000 inspect rows")
    parser.add_argument("--worker", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        make_model(Path(args.worker[0]), Path(args.worker[1]))
        return 0
    sizes, inspect_rows = ((6_000, 1_000), 5_000) if args.quick else ((60_000, 10_000), 50_000)
    if args.quick:
        args.epochs = 1

    _common.header(
        f"peak RSS: MNIST-size {sizes[0]:,}/{sizes[1]:,} rows, {args.epochs} epoch(s); "
        f"inspect MC on {inspect_rows:,} rows"
    )
    with tempfile.TemporaryDirectory(prefix="dropout-bench-") as scratch_name:
        scratch = Path(scratch_name)
        data = _common.write_mnist_like(scratch / "mnist_like.npz", *sizes)
        bare_script = _common.write_bare_fit(scratch)

        bare = ChildRun([sys.executable, bare_script, data, str(args.epochs)]).check()
        accuracy = next((line["test_accuracy"] for _, line in bare.lines if isinstance(line, dict)), float("nan"))
        print(
            f"   bare fit({args.epochs} epochs)+evaluate: peak RSS {bare.peak_rss_mib:,.0f} MiB ({bare.wall:.1f} s, "
            f"test accuracy {accuracy:.3f})"
        )
        headless = {}
        for samples in (200, 30):
            run = ChildRun(
                [
                    BIN / "dropout-tui",
                    "train",
                    "--headless",
                    "--data",
                    data,
                    "--epochs",
                    str(args.epochs),
                    "--eval-every",
                    "1",
                    "--mc-samples",
                    str(samples),
                ]
            ).check()
            headless[samples] = run.peak_rss_mib
            print(
                f"   dropout-tui train --headless, T={samples}: peak RSS {run.peak_rss_mib:,.0f} MiB "
                f"({run.peak_rss_mib / bare.peak_rss_mib:.3f}x bare; {run.wall:.1f} s)"
            )

        # The inspected model (trained on 20,000 rows) and inspect_rows test rows, float32 in [0, 1], in one file.
        inspect_data = _common.write_mnist_like(scratch / "inspect_data.npz", 20_000, inspect_rows, 1, float_test=True)
        model = scratch / "default_mlp.keras"
        ChildRun([sys.executable, __file__, "--worker", inspect_data, model]).check()
        inspect = ChildRun(
            [
                BIN / "dropout-tui",
                "inspect",
                "--model",
                model,
                "--data",
                inspect_data,
                "--headless",
                "--mc-samples",
                "100",
            ]
        )
    finished = inspect.returncode == 0 and bool(inspect.events("finished"))
    mc = [event["modes"].get(MC.name, {}) for _, event in inspect.events("mode_evaluation")]
    print(
        f"   dropout-tui inspect --headless --mc-samples 100 on {inspect_rows:,} rows: exit {inspect.returncode}, "
        f"peak RSS {inspect.peak_rss_mib:,.0f} MiB ({inspect.peak_rss_mib / bare.peak_rss_mib:.3f}x bare), "
        f"{inspect.wall:.1f} s" + (f", mc accuracy {mc[-1]['accuracy']:.3f}" if mc and "accuracy" in mc[-1] else "")
    )
    if not finished:
        print(f"   inspect did not finish: {inspect.stderr.strip()[-500:]}")
    floor = _common.own_peak_rss_mib()
    smallest = min(bare.peak_rss_mib, inspect.peak_rss_mib, *headless.values())
    print(
        f"   this bench's own peak RSS {floor:,.0f} MiB (a child's ru_maxrss cannot be lower)"
        + (": WARNING, the figures above may be this floor" if floor >= 0.8 * smallest else "")
    )

    worst = max(headless, key=headless.get)
    _common.verdict(
        f"peak RSS headless MNIST-size (worst, T={worst}) / bare fit",
        headless[worst] / bare.peak_rss_mib,
        1.25,
        at_least=False,
    )
    ratio = inspect.peak_rss_mib / bare.peak_rss_mib if finished else float("inf")
    _common.verdict(f"peak RSS inspect MC {inspect_rows:,} rows x T=100 / bare fit", ratio, 1.25, at_least=False)
    print(f"   machine at the end: {_common.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
