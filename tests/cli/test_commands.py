"""A new command is one module plus one row of tui/cli/commands.py; a new option one row of tui/cli/options.py."""

from __future__ import annotations

import argparse

import pytest

import dropout_tui.tui.cli as cli
from dropout_tui.tui.cli import commands, options
from dropout_tui.tui.cli.commands import Command
from dropout_tui.tui.cli.options import Option

RAN: list[argparse.Namespace] = []


def run(args: argparse.Namespace) -> int:
    """The throwaway command's module function (this test module is its module)."""
    RAN.append(args)
    return 7


@pytest.fixture
def throwaway_row(monkeypatch):
    row = Command(
        "throwaway", "a throwaway command", f"{__name__}:run", options_of="train", leaves_out={"--rate": "no"}
    )
    monkeypatch.setattr(commands, "COMMANDS", (*commands.COMMANDS, row))
    RAN.clear()
    return row


def test_one_row_adds_a_command_with_its_help_its_options_and_its_run(throwaway_row, capsys):
    assert cli.main(["throwaway", "--epochs", "3"]) == 7
    assert RAN[0].epochs == 3 and RAN[0].command == "throwaway"
    help_text = cli.build_parser().format_help()
    assert "throwaway" in help_text and "a throwaway command" in help_text
    with pytest.raises(SystemExit):
        cli.main(["throwaway", "--rate", "0.3"])
    assert "throwaway takes no --rate: no" in capsys.readouterr().err


def test_one_row_adds_an_option_to_the_commands_it_names(throwaway_row, monkeypatch):
    row = Option("--throwaway", "a throwaway option", frozenset({"throwaway", "sweep"}), "output", type=int, default=1)
    monkeypatch.setattr(options, "OPTIONS", (*options.OPTIONS, row))
    assert cli.main(["throwaway", "--throwaway", "4"]) == 7
    assert RAN[0].throwaway == 4
    assert "--throwaway" in {option.flag for option in options.options_of("sweep")}
    assert "--throwaway" not in {option.flag for option in options.options_of("train")}


def test_every_row_names_a_function_that_exists():
    for command in commands.COMMANDS:
        assert callable(command.runner()), command.name
