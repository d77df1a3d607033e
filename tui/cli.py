"""`dropout-tui` command line: parse, validate, then hand off to headless, TUI or explain.

Nothing here imports TensorFlow: the TUI's first frame must not wait for it.
User errors are one line on stderr and exit 2; tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from importlib import metadata
from typing import NoReturn

from dropout_tui.engine import quiet
from dropout_tui.engine.config import ConfigError, RunConfig

EXIT_USAGE = 2
DATASETS = ("digits", "mnist", "fashion_mnist")
# Keras seeds must fit in 32 bits and derived seeds add small offsets;
# counts beyond int32 overflow TensorFlow's shapes before they mean anything.
MAX_SEED = 2**31 - 1
MAX_COUNT = 2**31 - 1


def _version() -> str:
    try:
        return metadata.version("dropout-tui")
    except metadata.PackageNotFoundError:
        return "unknown"


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"dropout-tui: error: {message}\n")
        sys.exit(EXIT_USAGE)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, said once and in words for flags."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.required:
            return f"{text} (required)"
        if "(default" in text or action.default is argparse.SUPPRESS:
            return text
        if action.nargs == 0 and action.default is False:  # a flag
            return f"{text} (default: off)"
        if action.default is None:
            return text
        return f"{text} (default: %(default)s)"


def _bounded_int(text: str, low: int, high: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _bounded_int(text, 1, MAX_COUNT, f"a positive integer up to {MAX_COUNT}")


def _non_negative_int(text: str) -> int:
    return _bounded_int(text, 0, MAX_COUNT, f"an integer from 0 to {MAX_COUNT}")


def _seed(text: str) -> int:
    return _bounded_int(text, 0, MAX_SEED, f"an integer seed from 0 to {MAX_SEED}")


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _scale(text: str) -> float:
    value = _finite_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a non-zero number: a scale of 0 makes every input 0")
    return value


def _add_run_options(parser: argparse.ArgumentParser, command: str) -> None:
    defaults = RunConfig()
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=DATASETS,
        default=defaults.dataset,
        help="built-in data set (default: %(default)s; mnist/fashion_mnist need the Keras cache)",
    )
    data.add_argument(
        "--data",
        metavar="FILE.npz",
        default=None,
        help="your own data: keys x_train, y_train, x_test, y_test (default: none; overrides --dataset)",
    )
    if command == "inspect":
        model = parser.add_argument_group("model")
        model.add_argument(
            "--model",
            metavar="FILE.keras",
            required=True,
            help="a saved Keras model (.keras or legacy .h5); never written to",
        )
        model.add_argument(
            "--unsafe",
            action="store_true",
            help="allow unsafe deserialisation (e.g. Lambda layers): only for files you trust",
        )
        model.add_argument(
            "--input-scale",
            type=_scale,
            default=None,
            metavar="F",
            help="multiply inputs by F before feeding them (default: feed as stored)",
        )
        model.add_argument(
            "--fine-tune",
            type=_non_negative_int,
            default=0,
            metavar="N",
            help="train N epochs before evaluating (default: %(default)s)",
        )
    else:
        model = parser.add_argument_group("model and training")
        model.add_argument(
            "--rate", type=_finite_float, default=defaults.rate, help="dropout rate in [0, 1) (default: %(default)s)"
        )
        model.add_argument(
            "--hidden",
            type=_positive_int,
            default=defaults.hidden,
            help="hidden units of the default MLP (default: %(default)s)",
        )
        model.add_argument(
            "--epochs", type=_positive_int, default=defaults.epochs, help="training epochs (default: %(default)s)"
        )
    model.add_argument(
        "--batch-size", type=_positive_int, default=defaults.batch_size, help="batch size (default: %(default)s)"
    )
    model.add_argument(
        "--lr", type=_finite_float, default=defaults.lr, help="Adam learning rate (default: %(default)s)"
    )
    model.add_argument(
        "--seed",
        type=_seed,
        default=defaults.seed,
        help="random seed; equal seeds give equal numbers (default: %(default)s)",
    )
    evaluation = parser.add_argument_group("evaluation")
    evaluation.add_argument(
        "--eval-every",
        type=_positive_int,
        default=defaults.eval_every,
        metavar="N",
        help="epochs between mode evaluations (default: %(default)s)",
    )
    evaluation.add_argument(
        "--mc-samples",
        type=_positive_int,
        default=defaults.mc_samples,
        metavar="T",
        help="stochastic passes for MC dropout and the probe (default: %(default)s)",
    )
    evaluation.add_argument(
        "--repeats",
        type=_positive_int,
        default=defaults.repeats,
        metavar="R",
        help="repeats of the 'training' and 'dropout_only' modes (default: %(default)s)",
    )
    evaluation.add_argument(
        "--probe-index",
        type=_non_negative_int,
        default=defaults.probe_index,
        metavar="I",
        help="test sample shown in the probe (default: %(default)s)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--headless", action="store_true", help="no UI: print JSON lines on stdout (works under nohup, no TTY needed)"
    )
    output.add_argument(
        "--output",
        metavar="FILE.jsonl",
        default=None,
        help="headless: also write the JSON lines to this file (default: stdout only)",
    )
    output.add_argument(
        "--export-dir",
        metavar="DIR",
        default="dropout-tui-export",
        help="where the app's 'e' key writes results and a screenshot (default: %(default)s)",
    )
    output.add_argument("--debug", action="store_true", help="show full tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="dropout-tui",
        description="See, by measurement, what Keras Dropout does at evaluation time.",
        epilog="With no command, runs `train` in the terminal UI on the embedded digits data.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dropout-tui {_version()}")
    commands = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    train = commands.add_parser(
        "train", help="train the article's model and watch every dropout mode live", formatter_class=_HelpFormatter
    )
    _add_run_options(train, "train")
    inspect = commands.add_parser(
        "inspect", help="load your own .keras model and measure what dropout does to it", formatter_class=_HelpFormatter
    )
    _add_run_options(inspect, "inspect")
    explain = commands.add_parser(
        "explain", help="test every common claim about test-time dropout, live", formatter_class=_HelpFormatter
    )
    explain.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    explain.add_argument("--seed", type=_seed, default=0, help="random seed (default: %(default)s)")
    explain.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        command=args.command,
        dataset=args.dataset,
        data_path=args.data,
        model_path=getattr(args, "model", None),
        unsafe=getattr(args, "unsafe", False),
        input_scale=getattr(args, "input_scale", None),
        fine_tune=getattr(args, "fine_tune", 0),
        epochs=getattr(args, "epochs", RunConfig.epochs),
        batch_size=args.batch_size,
        rate=getattr(args, "rate", RunConfig.rate),
        hidden=getattr(args, "hidden", RunConfig.hidden),
        lr=args.lr,
        seed=args.seed,
        eval_every=args.eval_every,
        mc_samples=args.mc_samples,
        repeats=args.repeats,
        probe_index=args.probe_index,
    ).validate()


def _leave_now(code: int) -> NoReturn:
    """End the process without the interpreter's teardown.

    Only once the app has returned: the terminal is restored and an export, written
    synchronously on the UI thread, is complete. TensorFlow's teardown and joining
    a worker thread still inside a TensorFlow call (the Explain screen's) would
    otherwise keep a user who asked to quit waiting for seconds.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    # Before TensorFlow is imported anywhere, in any thread.
    quiet.prepare_environment()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "train")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "explain":
            from dropout_tui.tui.explain_cli import run_explain

            return run_explain(args)  # ends the process itself on SIGINT/SIGTERM
        config = config_from_args(args)
        if args.headless:
            from dropout_tui.tui.headless import run_headless

            return run_headless(config, output=args.output, debug=args.debug)
        from dropout_tui.tui.app import create_app

        # TensorFlow's C++ start-up lines go to fd 2, where Textual draws: move the UI off it first.
        quiet.redirect_native_stderr()
        app = create_app(config, export_dir=args.export_dir)
        app.run()
        _leave_now(app.return_code or 0)
    except ConfigError as error:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"dropout-tui: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl+C before the app or the run took the signal over
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
