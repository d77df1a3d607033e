"""Every `dropout-tui` command, once: the table the parser is built from and the main dispatches on.

To add a command: write a module whose function ``run(args: argparse.Namespace) -> int`` does it (importing
anything slow inside, not at the top: every command's --help must stay instant), and add one ``Command`` row
below naming it. Its options are rows of tui/cli/options.py that list the command in ``commands``, plus, when
it is a variant of another command, that command's options (``options_of``) less ``leaves_out``, plus single
options of others (``also_takes``). To add an option: one ``Option`` row in tui/cli/options.py. A command
that opens an app hands it to tui/cli/interactive.run_app (the terminal check, the export folder, the exit
code); one that streams JSON lines sets up its stream with tui/cli/stream.json_stream. Bad input anywhere is a
ConfigError: main prints it as one line, exit 2.

Nothing here imports more than the standard library: a command's module is imported only when it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

NO_TERMINAL = "no terminal: use --headless"  # an app command run without a terminal, when it has --headless


@dataclass(frozen=True)
class Command:
    """One command: its help line, the function that runs it, the options it borrows from other commands."""

    name: str
    help: str
    runs: str  # "module:function", imported when the command runs
    options_of: str | None = None  # another command whose options this one takes too ...
    leaves_out: dict[str, str] = field(default_factory=dict)  # ... but these: flag -> what to use instead
    also_takes: frozenset[str] = frozenset()  # single options of other commands
    abbreviations: bool = True  # argparse's --opt for --option; off where an abbreviation would mislead
    no_terminal: str = NO_TERMINAL  # the one line when its app has no terminal on stdin or stdout

    def runner(self) -> Callable[[argparse.Namespace], int]:
        module, function = self.runs.split(":")
        return getattr(importlib.import_module(module), function)


COMMANDS: tuple[Command, ...] = (
    Command(
        "train",
        "train the article's model and watch every dropout mode live",
        "dropout_tui.tui.cli.train:run",
    ),
    Command(
        "inspect",
        "load your own .keras model and measure what dropout does to it",
        "dropout_tui.tui.cli.train:run",
    ),
    Command(
        "explain",
        "test every common claim about test-time dropout, live",
        "dropout_tui.tui.cli.explain:run_explain",
    ),
    Command(
        "sweep",
        "train at several dropout rates, one run each, and compare them side by side",
        "dropout_tui.tui.cli.sweep:run",
        options_of="train",
        leaves_out={
            "--rate": "use --rates R,R,... (one run per rate; --rates 0.3 for one)",
            **dict.fromkeys(("--workers", "--worker-index", "--worker-timeout"), "a run across hosts is one train run"),
        },
        abbreviations=False,  # --rate must not pass for --rates
    ),
    Command(
        "compare",
        "open saved runs (exports from e, headless .jsonl) side by side",
        "dropout_tui.tui.cli.compare:run",
        also_takes=frozenset({"--export-dir", "--debug", "--headless"}),  # it opens files, it runs nothing
    ),
    Command(
        "serve",
        "the app in a browser: one app per tab, behind a token, on this machine only unless --host",
        "dropout_tui.tui.serve.command:run",
        abbreviations=False,  # options after COMMAND are COMMAND's, never an abbreviation of serve's
    ),
)


def command_named(name: str) -> Command:
    return next(command for command in COMMANDS if command.name == name)


DEFAULT = "train"  # what `dropout-tui` alone, or with options only, runs
