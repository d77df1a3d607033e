"""`dropout-tui` command line: parse, validate, then hand off to headless, TUI or explain.

Nothing here imports TensorFlow: the TUI's first frame must not wait for it.
User errors are one line on stderr and exit 2; tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
from importlib import metadata

from dropout_tui.engine import quiet
from dropout_tui.engine.errors import ConfigError
from dropout_tui.tui.cli.options import add_options, config_from_args
from dropout_tui.tui.cli.process import flush_and_exit

EXIT_USAGE = 2


def _version() -> str:
    try:
        return metadata.version("dropout-tui")
    except metadata.PackageNotFoundError:
        return "unknown"


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # "argument --rate: --rate must be ..." says the option twice: once is enough.
        message = re.sub(r"^argument (\S+): (?=\1 )", "", message)
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
    add_options(train, "train")
    inspect = commands.add_parser(
        "inspect", help="load your own .keras model and measure what dropout does to it", formatter_class=_HelpFormatter
    )
    add_options(inspect, "inspect")
    explain = commands.add_parser(
        "explain", help="test every common claim about test-time dropout, live", formatter_class=_HelpFormatter
    )
    add_options(explain, "explain")
    sweep = commands.add_parser(
        "sweep",
        help="train at several dropout rates, one run each, and compare them side by side",
        formatter_class=_HelpFormatter,
        allow_abbrev=False,  # --rate must not pass for --rates: a sweep sets each run's rate itself
    )
    add_options(sweep, "sweep")
    compare = commands.add_parser(
        "compare",
        help="open saved runs (exports from e, headless .jsonl) side by side",
        formatter_class=_HelpFormatter,
    )
    compare.add_argument(
        "files", nargs="+", metavar="FILE", help="results JSON from the e key, or a headless .jsonl (train or sweep)"
    )
    add_options(compare, "compare")
    return parser


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
            from dropout_tui.tui.cli.explain import run_explain

            return run_explain(args)  # ends the process itself on SIGINT/SIGTERM
        if args.command in ("sweep", "compare"):
            return _sweep_or_compare(args)
        config = config_from_args(args)
        from dropout_tui.engine.run.cluster import check_port, resolve

        cluster = resolve(config.workers, config.worker_index, config.worker_timeout)
        if cluster is not None:
            check_port(cluster)  # before TensorFlow loads: a taken port is said at once
        if args.headless:
            from dropout_tui.tui.cli.headless import run_headless

            return run_headless(config, output=args.output, debug=args.debug, cluster=cluster)
        if cluster is not None:
            raise ConfigError(
                "a run across workers (--workers or TF_CONFIG) is headless: add --headless, and open the chief's "
                "--output with `dropout-tui compare`"
            )
        from dropout_tui.tui.app import create_app

        # TensorFlow's C++ start-up lines go to fd 2, where Textual draws: move the UI off it first.
        quiet.redirect_native_stderr()
        app = create_app(config, export_dir=args.export_dir)
        app.run()
        flush_and_exit(app.return_code or 0)
    except ConfigError as error:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(f"dropout-tui: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl+C before the app or the run took the signal over
        return 128 + signal.SIGINT


def _sweep_or_compare(args: argparse.Namespace) -> int:
    """`sweep` (headless or the app) and `compare` (the same app on saved runs); bad input raises ConfigError."""
    from dropout_tui.tui.sweep.app import SweepApp

    if args.command == "compare":
        from dropout_tui.tui.sweep.compare import load_runs

        runs = load_runs(args.files)
        if args.headless:
            from dropout_tui.tui.sweep.comparison import headless_document

            print(json.dumps(headless_document(runs)), flush=True)
            return 0
        app = SweepApp(compare=runs, export_dir=args.export_dir)
    else:
        config = config_from_args(args)
        if args.headless:
            from dropout_tui.tui.cli.sweep_headless import run_sweep_headless

            return run_sweep_headless(config, args.rates, args.jobs, output=args.output, debug=args.debug)
        app = SweepApp(config, rates=args.rates, jobs=args.jobs, export_dir=args.export_dir)
    quiet.redirect_native_stderr()
    app.run()
    flush_and_exit(app.return_code or 0)
