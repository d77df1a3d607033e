"""What the per-epoch evaluation costs the user: whole runs vs a bare fit, evaluation vs training, end-of-fit stalls.

    .venv/bin/python bench/bench_evaluator.py [--rounds R] [--mnist-rounds M] [--quick]

Every figure comes from fresh processes, so each side pays its own Python and
TensorFlow start-up, as a user does:
(a) whole process, wall clock from launch to exit: `dropout-tui train
    --headless` at its defaults (digits, 30 epochs, every mode evaluated and
    the probe drawn after every epoch), the same with `--eval-every 30`, and
    what a user would run instead: a plain Keras script with the same model
    (Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), Adam 1e-3, sparse
    CE, seed 0) doing `model.fit(epochs=30, batch_size=32, verbose=0)` then
    `model.evaluate` on the same digits arrays. R rounds, interleaved in
    rotating order; medians. Target: headless / bare <= 1.25x.
(b) from the default runs' JSON stream: evaluation + probe time per round
    (`mode_evaluation.seconds`) vs training time per epoch (`epoch_end.seconds`
    of epochs 2..N, median, less any stall before the epoch's first batch;
    epoch 1 traces the train step); rounds 2..N, median (round 1 traces the
    evaluator's functions: printed on its own, and inside (a)). Each line is also timestamped
    on arrival (the stream is flushed per line); the cross-check is all the
    time between two epochs' `epoch_end` lines that was not training (the
    round, the per-epoch dropout-off train/test losses, event output).
    Target: <= 0.3x.
(c) MNIST-size data made here (uint8 28x28, 60,000 train / 10,000 test,
    learnable but not trivially; see _common.mnist_like), written to a temp
    .npz: `--data D.npz --epochs 3 --eval-every 1` at `--mc-samples 200` and
    `30`, M rounds. Ratio: round time / training epoch as in (b). Targets: T=200 <= 0.5x, T=30 <= 0.15x.
(d) end of fit, in every headless run above: the time from the last
    `batch_losses` line to the `finished` line, minus the final round's
    `seconds`; what remains is not explained by the stream (the last epoch's
    dropout-off losses, event output, and any stall once the last batch is
    done). Printed per run with the longest gap between two consecutive lines
    in that window and the CPU the process used during it (an idle stall
    shows ~0 CPU). Target: worst <= 1 s. Also printed: the worst stall
    before an epoch's first batch (epochs 2..N, from arrivals; see
    epoch_start_stalls). Both come from one TensorFlow behaviour: destroying
    a tf.data iterator waits for its autotuning thread's next wake-up, up to
    60 s away (bench/README.md). Such a stall is left out of the training
    epoch that (b) and (c) divide by, so they measure the evaluation alone.
The machine line is printed at the start and the end: the box is shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import _common
from _common import BIN, ChildRun

DEFAULT_EPOCHS = 30  # dropout-tui train's default
STALL_FLOOR = 0.1  # seconds from an epoch's start to its first batch_losses line that are not a stall


def headless_argv(*options: str) -> list:
    return [BIN / "dropout-tui", "train", "--headless", *options]


# --- figures from one headless run's stream -------------------------------------------------------------


def epoch_start_stalls(run: ChildRun) -> dict[int, tuple[float, float]]:
    """Epoch -> (seconds, CPU seconds) from the line before its first batch_losses line to that line, epochs >= 2.

    The fit loop flushes batch losses once 50 ms have passed since the epoch began, so a healthy epoch's
    first batch_losses line follows the previous line (the end of the last round, or epoch_end) by about
    50 ms plus one batch; anything beyond STALL_FLOOR is a stall before the epoch's first batch. Such a
    stall lies inside epoch_end.seconds (the epoch's clock starts at on_epoch_begin).
    """
    lines = [(t, event) for t, event in run.lines if isinstance(event, dict)]
    stalls: dict[int, tuple[float, float]] = {}
    for (before, _), (arrived, event) in zip(lines, lines[1:], strict=False):
        epoch = event.get("epoch", 0)
        if event.get("event") == "batch_losses" and epoch >= 2 and epoch not in stalls:
            stalls[epoch] = (max(0.0, arrived - before - STALL_FLOOR), run.cpu_between(before, arrived))
    return stalls


def round_figures(run: ChildRun) -> dict:
    """Per-round evaluation time vs per-epoch training time, from the fields and from arrival times."""
    epochs = run.events("epoch_end")
    rounds = run.events("mode_evaluation")
    stalls = epoch_start_stalls(run)
    later = epochs[1:] or epochs  # epoch 1 traces the train step
    raw = [event["seconds"] for _, event in later]
    # The training epoch without a stall before its first batch (reported on its own, in (d)).
    clean = [event["seconds"] - stalls.get(event["epoch"], (0.0, 0.0))[0] for _, event in later]
    # Round 1 traces the evaluator's functions, as epoch 1 traces the train step: both are left out of the
    # steady-state figures and the one-off cost is printed on its own (the whole-run ratio (a) includes it).
    evaluation = [event["seconds"] for _, event in rounds[1:]] or [event["seconds"] for _, event in rounds]
    first_round = rounds[0][1]["seconds"] if rounds else float("nan")
    # Arrival cross-check: between epoch k-1's and epoch k's epoch_end lines, all but epoch k's training.
    between = [
        (arrived - arrived_before) - event["seconds"]
        for (arrived_before, _), (arrived, event) in zip(epochs, epochs[1:], strict=False)
    ]
    train = statistics.median(clean)
    nan = float("nan")
    return {
        "epochs": len(epochs),
        "rounds": len(rounds),
        "raw": statistics.fmean(raw),
        "train": train,
        "evaluation": statistics.median(evaluation) if evaluation else nan,
        "first_round": first_round,
        "between": statistics.median(between[1:] or between) if between else nan,
        "ratio": statistics.median(evaluation) / train if evaluation else nan,
        "between_ratio": statistics.median(between[1:] or between) / train if between else nan,
        "stall": max((seconds for seconds, _ in stalls.values()), default=0.0),
    }


def end_of_fit(run: ChildRun) -> dict:
    """Unexplained time between the last batch_losses line and finished; the longest line-to-line gap in it."""
    last_batch = run.events("batch_losses")[-1][0]
    finished = run.events("finished")[0][0]
    final_round = run.events("mode_evaluation")[-1][1]
    window = [(t, event) for t, event in run.lines if last_batch <= t <= finished and isinstance(event, dict)]
    gaps = []
    for (before, first), (after, second) in zip(window, window[1:], strict=False):
        if second.get("event") == "mode_evaluation":
            continue  # the round itself: its own seconds account for it
        label = f"{_name(first)} -> {_name(second)}"
        gaps.append((after - before, label, run.cpu_between(before, after)))
    longest = max(gaps, default=(0.0, "-", float("nan")))
    return {
        "unexplained": finished - last_batch - final_round["seconds"],
        "longest": longest[0],
        "where": longest[1],
        "cpu": longest[2],
    }


def _name(event: dict) -> str:
    name = event.get("event", "?")
    return f"{name}({event['state']})" if name == "status" else name


# --- (a) and (b): digits at the defaults ----------------------------------------------------------------


def whole_runs(rounds: int, epochs: int, scratch: Path) -> dict[str, list[ChildRun]]:
    from dropout_tui.engine.data.datasets import load_digits  # NumPy only: no TensorFlow in this process

    digits = load_digits()
    data = _common.write_npz(scratch / "digits.npz", digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    bare = _common.write_bare_fit(scratch)
    epoch_option = [] if epochs == DEFAULT_EPOCHS else ["--epochs", str(epochs)]
    argvs = {
        "headless (defaults)": headless_argv(*epoch_option),
        f"headless --eval-every {epochs}": headless_argv(*epoch_option, "--eval-every", str(epochs)),
        "bare fit+evaluate": [sys.executable, bare, data, str(epochs)],
    }
    runs: dict[str, list[ChildRun]] = {name: [] for name in argvs}
    order = list(argvs)
    for round_ in range(rounds):
        for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
            runs[name].append(ChildRun(argvs[name]).check())
        print(f"   round {round_ + 1}: " + ", ".join(f"{name} {runs[name][-1].wall:.2f} s" for name in order))
    return runs


def report_whole(runs: dict[str, list[ChildRun]], epochs: int) -> None:
    default_name, every_name, bare_name = runs
    wall = {name: statistics.median(run.wall for run in values) for name, values in runs.items()}
    bare_fit = statistics.median(_bare_times(run)[0] for run in runs[bare_name])
    bare_eval = statistics.median(_bare_times(run)[1] for run in runs[bare_name])
    headless_inner = statistics.median(run.events("finished")[0][1]["seconds"] for run in runs[default_name])
    every_inner = statistics.median(run.events("finished")[0][1]["seconds"] for run in runs[every_name])
    print(
        f"   medians, launch to exit: {default_name} {wall[default_name]:.2f} s, {every_name} "
        f"{wall[every_name]:.2f} s, {bare_name} {wall[bare_name]:.2f} s"
    )
    print(
        f"   of which training + evaluation: headless {headless_inner:.2f} s (`finished.seconds`), "
        f"--eval-every {epochs} {every_inner:.2f} s, bare fit {bare_fit:.2f} s + evaluate {bare_eval:.3f} s"
    )
    print(f"   --eval-every {epochs} / bare: {wall[every_name] / wall[bare_name]:.3f}x (diagnostic, no target)")
    _common.verdict(
        f"whole run, headless defaults ({epochs} epochs) / bare fit+evaluate, wall",
        wall[default_name] / wall[bare_name],
        1.25,
        at_least=False,
    )


def _bare_times(run: ChildRun) -> tuple[float, float]:
    for _, line in run.lines:
        if isinstance(line, dict) and "fit_seconds" in line:
            return line["fit_seconds"], line["evaluate_seconds"]
    raise SystemExit(f"the bare script printed no timings: {run.stderr[-500:]}")


def report_rounds(label: str, runs: list[ChildRun], target: float) -> None:
    figures = [round_figures(run) for run in runs]
    for index, fig in enumerate(figures, 1):
        print(
            f"   {label} run {index}: training epoch {fig['train'] * 1000:,.0f} ms (median of epochs "
            f"2..{fig['epochs']} less any stall before their first batch; as reported {fig['raw'] * 1000:,.0f} ms "
            f"mean, worst stall {fig['stall']:.2f} s), evaluation+probe {fig['evaluation'] * 1000:,.0f} ms "
            f"(median of rounds 2..{fig['rounds']}; round 1, which traces the functions, "
            f"{fig['first_round'] * 1000:,.0f} ms) = {fig['ratio']:.3f}x; cross-check from arrivals, all "
            f"non-training time between epochs {fig['between'] * 1000:,.0f} ms = {fig['between_ratio']:.3f}x"
        )
    _common.verdict(
        f"{label}: evaluation+probe per round / training epoch",
        statistics.median(fig["ratio"] for fig in figures),
        target,
        at_least=False,
    )


# --- (c): MNIST-size ------------------------------------------------------------------------------------


def mnist_runs(rounds: int, epochs: int, sizes: tuple[int, int], scratch: Path) -> dict[int, list[ChildRun]]:
    data = _common.write_mnist_like(scratch / "mnist_like.npz", *sizes)
    runs: dict[int, list[ChildRun]] = {200: [], 30: []}
    order = list(runs)
    for round_ in range(rounds):
        for samples in order[round_ % 2 :] + order[: round_ % 2]:
            argv = headless_argv(
                "--data", str(data), "--epochs", str(epochs), "--eval-every", "1", "--mc-samples", str(samples)
            )
            run = ChildRun(argv).check()
            runs[samples].append(run)
            print(
                f"   round {round_ + 1}, T={samples}: {run.wall:.1f} s launch to exit, "
                f"peak RSS {run.peak_rss_mib:.0f} MiB"
            )
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the digits runs (default 3)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="digits epochs (default: the CLI's 30)")
    parser.add_argument("--mnist-rounds", type=int, default=2, help="rounds of the MNIST-size T=200/T=30 runs")
    parser.add_argument("--mnist-epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 digits epochs, 6,000/1,000 rows, 1 round")
    args = parser.parse_args()
    sizes = (60_000, 10_000)
    if args.quick:
        args.rounds, args.epochs, args.mnist_rounds, args.mnist_epochs, sizes = 1, 3, 1, 2, (6_000, 1_000)

    _common.header(
        f"evaluation cost: whole runs on digits ({args.epochs} epochs, {args.rounds} rounds), "
        f"MNIST-size {sizes[0]:,}/{sizes[1]:,} rows ({args.mnist_epochs} epochs, {args.mnist_rounds} rounds)"
    )
    with tempfile.TemporaryDirectory(prefix="dropout-bench-") as scratch:
        print("-- (a) whole process, launch to exit")
        digits = whole_runs(args.rounds, args.epochs, Path(scratch))
        report_whole(digits, args.epochs)
        print("-- (b) digits, per round vs per training epoch (default runs)")
        report_rounds("digits defaults", next(iter(digits.values())), 0.3)
        print(f"-- (c) MNIST-size data, --epochs {args.mnist_epochs} --eval-every 1")
        mnist = mnist_runs(args.mnist_rounds, args.mnist_epochs, sizes, Path(scratch))
        report_rounds("MNIST-size T=200", mnist[200], 0.5)
        report_rounds("MNIST-size T=30", mnist[30], 0.15)

    print("-- (d) stalls: last batch_losses line -> finished line, minus the final round's seconds; epoch starts")
    headless = [(name, run) for name, values in digits.items() if name.startswith("headless") for run in values]
    headless += [(f"MNIST-size T={samples}", run) for samples, values in mnist.items() for run in values]
    worst, worst_start = 0.0, 0.0
    for name, run in headless:
        stall = end_of_fit(run)
        worst = max(worst, stall["unexplained"])
        starts = epoch_start_stalls(run)
        epoch, (start_stall, start_cpu) = max(starts.items(), key=lambda item: item[1][0], default=(0, (0.0, 0.0)))
        worst_start = max(worst_start, start_stall)
        print(
            f"   {name}: end of fit unexplained {stall['unexplained']:.3f} s, longest gap {stall['longest']:.3f} s "
            f"({stall['where']}, {stall['cpu']:.2f} CPU s in it); worst stall before an epoch's first batch "
            f"{start_stall:.3f} s (epoch {epoch}, {start_cpu:.2f} CPU s)"
        )
    print(f"   worst stall before an epoch's first batch, all runs: {worst_start:.3f} s (diagnostic, same cause)")
    _common.verdict("end of fit: worst unexplained time, last batch -> finished", worst, 1.0, at_least=False, unit=" s")
    print(f"   machine at the end: {_common.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
