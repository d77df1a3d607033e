"""README's "Options of train" table lists exactly the options `train --help`, `inspect --help`, `sweep --help` and
`compare --help` show, each with the default the help states and the commands it applies to (the model: harlequin's
test_documented_flags). sweep takes train's options (but --rate) and its own, marked "(sweep)"."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from dropout_tui.tui import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMANDS = ("train", "inspect", "sweep", "compare")


def _readme_rows() -> dict[str, tuple[str, str]]:
    """flag -> (default cell, meaning cell) of README's option table."""
    section = README[README.index("### Options of `train`") :]
    rows = {}
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        if not line.startswith("| `--"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        flag = cells[0].strip("`").split()[0]
        assert flag not in rows, f"README's option table lists {flag} twice"
        rows[flag] = (cells[1], cells[2])
    return rows


def _subparser(command: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices[command]


def _options(command: str) -> dict[str, argparse.Action]:
    return {
        action.option_strings[-1]: action
        for action in _subparser(command)._actions
        if action.option_strings and action.option_strings[-1] != "--help"
    }


def _shown_help(command: str, action: argparse.Action) -> str:
    """The option's help text exactly as --help prints it (its default included), unwrapped."""
    parser = _subparser(command)
    formatter = parser.formatter_class(prog=parser.prog)
    text = formatter._get_help_string(action)
    return text % {"default": action.default} if "%(default)" in text else text


ALL_FLAGS = sorted(set().union(*(_options(command) for command in COMMANDS)))


def test_the_table_lists_exactly_the_options_of_every_command():
    assert set(_readme_rows()) == set(ALL_FLAGS)


def test_sweep_takes_every_train_option_but_rate_and_the_cluster_options():
    cluster = {"--workers", "--worker-index", "--worker-timeout"}
    assert set(_options("sweep")) == set(_options("train")) - {"--rate"} - cluster | {"--rates", "--jobs"}


@pytest.mark.parametrize("flag", ALL_FLAGS)
def test_each_row_states_the_default_that_help_shows(flag):
    default_cell, meaning = _readme_rows()[flag]
    commands = [command for command in COMMANDS if flag in _options(command)]
    action = _options(commands[0])[flag]
    help_text = _shown_help(commands[0], action)
    if action.required:
        assert default_cell == "-" and "(required)" in help_text
    elif action.nargs == 0:  # a switch
        assert default_cell == "off" and "(default: off)" in help_text
    elif action.default is None:
        assert default_cell == "-", f"{flag}: help says {help_text!r}"
    else:
        assert default_cell == f"`{action.default}`"
        assert f"(default: {action.default})" in help_text
    # Where it applies: "(train)" for train-only rows (sweep takes them too), "inspect:" for inspect-only rows,
    # "(sweep)" for sweep-only rows.
    commands = [command for command in commands if command != "compare"] or commands
    if commands == ["sweep"]:
        assert meaning.endswith("(sweep)"), flag
        return
    commands = [command for command in commands if command != "sweep"]
    if commands == ["train"]:
        assert meaning.endswith("(train)"), flag
    elif commands == ["inspect"]:
        assert meaning.startswith("inspect:"), flag
    else:
        assert not meaning.endswith("(train)") and not meaning.startswith("inspect:"), flag


def test_every_command_s_help_renders_and_names_each_option():
    for command in COMMANDS:
        text = _subparser(command).format_help()
        for flag in _options(command):
            assert flag in text
