"""Every invalid option value is one stderr line and exit 2, decided before any run starts (in-process)."""

from __future__ import annotations

import argparse
import re

import pytest

import dropout_tui.tui.cli as cli

BAD_VALUES = {
    "train": [
        ("--rate", "x", "expected a number"),
        ("--rate", "1", "--rate must be in [0, 1)"),
        ("--rate", "-0.1", "--rate must be in [0, 1)"),
        ("--rate", "nan", "finite"),
        ("--rate", "inf", "finite"),
        ("--lr", "0", "--lr must be a positive number"),
        ("--lr", "-0.5", "--lr must be a positive number"),
        ("--lr", "nan", "finite"),
        ("--lr", "1e400", "finite"),
        ("--lr", "fast", "expected a number"),
        ("--epochs", "0", "positive integer"),
        ("--epochs", "-3", "positive integer"),
        ("--epochs", "1.5", "positive integer"),
        ("--epochs", "99999999999999999999", "positive integer"),
        ("--batch-size", "0", "positive integer"),
        ("--batch-size", "1e20", "positive integer"),
        ("--hidden", "0", "positive integer"),
        ("--hidden", "-8", "positive integer"),
        ("--eval-every", "0", "positive integer"),
        ("--mc-samples", "0", "positive integer"),
        ("--mc-samples", "1e3", "positive integer"),
        ("--repeats", "0", "positive integer"),
        ("--probe-index", "-1", "from 0"),
        ("--probe-index", "x", "from 0"),
        ("--seed", "-1", "seed from 0"),
        ("--seed", "4294967296", "seed from 0"),
        ("--seed", "abc", "seed from 0"),
        ("--dataset", "cifar10", "invalid choice: 'cifar10'"),
        ("--dataset", "MNIST", "invalid choice"),
        ("--backend", "mxnet", "--backend must be one of tensorflow, jax, torch, got 'mxnet'"),
        ("--backend", "all", "--backend all runs only with explain"),
        ("--workers", "127.0.0.1:2222", "at least two"),
        ("--workers", "a:1,b", "'b' is not HOST:PORT"),
        ("--worker-index", "-1", "from 0"),
        ("--worker-timeout", "0", "--worker-timeout must be a positive number"),
    ],
    "inspect": [
        ("--input-scale", "nan", "finite"),
        ("--input-scale", "inf", "finite"),
        ("--input-scale", "0", "non-zero"),
        ("--fine-tune", "-1", "from 0"),
        ("--mc-samples", "0", "positive integer"),
        ("--lr", "0", "--lr must be a positive number"),
    ],
    "explain": [
        ("--seed", "-5", "seed from 0"),
        ("--seed", "x", "seed from 0"),
    ],
}
CASES = [
    pytest.param(
        [command, option, value] + (["--model", "m.keras"] if command == "inspect" else []),
        expected,
        id=f"{command} {option} {value}",
    )
    for command, values in BAD_VALUES.items()
    for option, value, expected in values
]
CASES += [
    pytest.param(["bogus"], "invalid choice: 'bogus'", id="unknown subcommand"),
    pytest.param(["train", "--bogus"], "unrecognized arguments: --bogus", id="unknown train option"),
    pytest.param(["--bogus"], "unrecognized arguments: --bogus", id="unknown option, no command"),
    pytest.param(["explain", "--epochs", "3"], "unrecognized arguments", id="train option to explain"),
    pytest.param(["inspect", "--model", "m.keras", "--rate", "0.5"], "unrecognized arguments", id="rate to inspect"),
    pytest.param(["inspect"], "required: --model", id="inspect without model"),
    pytest.param(["train", "--backend", "jax", "--devices", "2"], "--devices is TensorFlow's", id="devices off TF"),
    pytest.param(["explain", "--backend", "mxnet"], "--backend must be one of", id="explain unknown backend"),
    pytest.param(["train", "--rate"], "expected one argument", id="missing value"),
    pytest.param(["train", "extra"], "unrecognized arguments: extra", id="stray positional"),
    pytest.param(["train", "--workers", "a:1,b:1"], "--workers needs --worker-index", id="workers without index"),
    pytest.param(["train", "--worker-index", "1"], "--worker-index needs --workers", id="index without workers"),
    pytest.param(["sweep", "--workers", "a:1,b:1"], "sweep takes no --workers", id="workers to sweep"),
]


@pytest.fixture
def no_run(monkeypatch):
    """Reaching a run is the failure these tests look for."""
    import dropout_tui.tui.cli.explain
    import dropout_tui.tui.cli.headless

    def reached(*args, **kwargs):
        raise AssertionError("a run started for invalid input")

    monkeypatch.setattr(dropout_tui.tui.cli.headless, "run_headless", reached)
    monkeypatch.setattr(dropout_tui.tui.cli.explain, "run_explain", reached)
    monkeypatch.setattr("dropout_tui.tui.app.create_app", reached)


def _exit_code(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exit:
        return exit.code


@pytest.mark.parametrize("headless", [True, False], ids=["headless", "tui"])
@pytest.mark.parametrize("argv, expected", CASES)
def test_invalid_option_is_one_line_and_exit_2(no_run, capsys, argv, expected, headless):
    if headless and argv[0] in ("train", "inspect"):
        argv = [*argv, "--headless"]
    code = _exit_code(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("dropout-tui: error: "), captured.err
    assert expected in captured.err, captured.err
    assert "Traceback" not in captured.err


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [action.option_strings[-1] for action in parser._actions if action.option_strings]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _help_entries(text: str) -> dict[str, str]:
    """Option string -> its whole help entry (continuation lines joined)."""
    entries: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if re.match(r"^  -", line):
            head = re.split(r"\s{2,}", line.strip())[0]  # e.g. "-h, --help" or "--rate RATE"
            current = [line]
            for option in re.findall(r"(?:^|, )(-{1,2}[\w-]+)", head):
                entries[option] = current
        elif current and line.startswith("    "):
            current.append(line)
        else:
            current = []
    return {key: " ".join(" ".join(lines).split()) for key, lines in entries.items()}


@pytest.mark.parametrize("command", [None, "train", "inspect", "explain"])
def test_help_lists_every_option_with_its_default(capsys, command):
    parser = cli.build_parser()
    target = parser if command is None else _subparsers(parser)[command]
    code = _exit_code([command, "--help"] if command else ["--help"])
    text = capsys.readouterr().out
    assert code == 0
    entries = _help_entries(text)
    for option in _option_strings(target):
        assert option in entries, f"{option} missing from `{command or ''} --help`"
        if option in ("--help", "--version"):
            continue
        entry = entries[option]
        assert entry.count("(default: ") + entry.count("(required)") == 1, entry
    if command is None:
        for name in _subparsers(parser):
            assert re.search(rf"^\s+{name}\s", text, re.M), f"subcommand {name} missing from --help"


def test_help_shows_the_real_defaults(capsys):
    _exit_code(["train", "--help"])
    entries = _help_entries(capsys.readouterr().out)
    from dropout_tui.engine.config import RunConfig

    defaults = RunConfig()
    for option, value in {
        "--rate": defaults.rate,
        "--epochs": defaults.epochs,
        "--batch-size": defaults.batch_size,
        "--mc-samples": defaults.mc_samples,
        "--repeats": defaults.repeats,
        "--lr": defaults.lr,
    }.items():
        assert f"(default: {value})" in entries[option], entries[option]
    assert "(default: off)" in entries["--headless"]


def test_version(capsys):
    from importlib import metadata

    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dropout-tui {metadata.version('dropout-tui')}"


def test_a_run_across_workers_without_headless_says_it_is_headless(no_run, capsys):
    from tests.support.workers import free_addresses

    code = _exit_code(["train", "--workers", free_addresses(2), "--worker-index", "0"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and captured.err.count("\n") == 1
    assert "is headless: add --headless" in captured.err and "compare" in captured.err
