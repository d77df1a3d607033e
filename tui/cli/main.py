"""`dropout-tui` command line: parse, then run the command's row of tui/cli/commands.py.

Nothing here imports TensorFlow: the TUI's first frame must not wait for it.
User errors are one line on stderr and exit 2; tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from typing import NoReturn

from dropout_tui.engine import quiet
from dropout_tui.engine.errors import EXIT_USAGE, ConfigError
from dropout_tui.tui.cli import commands
from dropout_tui.tui.cli.options import add_options
from dropout_tui.tui.cli.process import refuse


def _version() -> str:
    from importlib import metadata  # ~40 ms: only `--version` pays it, not every start-up

    try:
        return metadata.version("dropout-tui")
    except metadata.PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """argparse's "version" action, with the version looked up only when the option is given."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"dropout-tui {_version()}")
        parser.exit()


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit 2."""

    def error(self, message: str) -> NoReturn:
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
        epilog=f"With no command, runs `{commands.DEFAULT}` in the terminal UI on the embedded digits data.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    for command in commands.COMMANDS:
        sub = subparsers.add_parser(
            command.name, help=command.help, formatter_class=_HelpFormatter, allow_abbrev=command.abbreviations
        )
        add_options(sub, command.name)
    return parser


def _unrecognized(command: str, words: list[str]) -> str:
    """argparse's message, or what to use instead of an option the command leaves out (its Command row)."""
    instead = commands.command_named(command).leaves_out
    left_out = next((word.split("=")[0] for word in words if word.split("=")[0] in instead), None)
    if left_out is None:
        return f"unrecognized arguments: {' '.join(words)}"
    return f"{command} takes no {left_out}: {instead[left_out]}"


def parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` (a command first) parsed; a usage error is one line and exit 2. `serve` checks its command with it."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(_unrecognized(args.command, unknown))
    return args


def main(argv: list[str] | None = None) -> int:
    # Before TensorFlow is imported anywhere, in any thread.
    quiet.prepare_environment()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, commands.DEFAULT)
    args = parse(argv)
    try:
        return commands.command_named(args.command).runner()(args)
    except ConfigError as error:
        return refuse(error, getattr(args, "debug", False))
    except KeyboardInterrupt:  # Ctrl+C before the app or the run took the signal over
        return 128 + signal.SIGINT
