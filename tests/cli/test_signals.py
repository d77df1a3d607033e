"""Ctrl+C (SIGINT) and SIGTERM end `dropout-tui` promptly, quietly, with whole JSON lines only.

Subprocesses, all started at once (each pays TensorFlow's import); every
case waits for the phase it is about, sends the signal, and checks the exit.
The 2 s target is measured in bench/; here a generous bound only catches a hang.
Exit codes: 130 for SIGINT, 143 for SIGTERM (128 + the signal's number);
while TensorFlow loads, the signal's default action (a shell shows the same
130/143; Python's subprocess reports it as the negative signal number).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import ROOT, interrupt, killed_if_left_running, start_cli

pytestmark = [pytest.mark.subprocess]

LONG = ["--epochs", "500", "--hidden", "16"]
NO_HANG_SECONDS = 10.0  # a loaded shared box can be slow; a hang is not


@dataclass
class Case:
    args: list
    trigger: str | None  # send the signal once a stdout line contains this (None: after `delay` seconds)
    delay: float
    signals: tuple


CASES = {
    # TensorFlow's import is one long native stretch: the grace period ends it.
    "tensorflow import": Case(["train", "--headless", *LONG], '"loading TensorFlow"', 0.3, (signal.SIGTERM,)),
    "training": Case(["train", "--headless", *LONG, "--batch-size", "8"], '"batch_losses"', 0.2, (signal.SIGINT,)),
    "mode evaluation": Case(
        ["train", "--headless", *LONG, "--repeats", "2000", "--mc-samples", "5"], '"evaluating"', 0.3, (signal.SIGTERM,)
    ),
    "MC-heavy phase": Case(
        ["train", "--headless", *LONG, "--repeats", "1", "--mc-samples", "50000"], '"evaluating"', 0.6, (signal.SIGINT,)
    ),
    "Ctrl+C twice": Case(
        ["train", "--headless", *LONG, "--repeats", "1", "--mc-samples", "50000"],
        '"evaluating"',
        0.3,
        (signal.SIGINT, signal.SIGINT),
    ),
    "explain": Case(["explain", "--json"], None, 5.0, (signal.SIGINT,)),
}


def _interrupt(name: str, case: Case, output: Path) -> dict:
    args = [*case.args, "--output", str(output)] if case.args[0] == "train" else case.args
    process = start_cli(args)
    lines = []
    with killed_if_left_running(process):
        if case.trigger is None:
            time.sleep(case.delay)
        else:
            while case.trigger not in (lines[-1] if lines else ""):
                line = process.stdout.readline()
                assert line, f"{name}: ended before {case.trigger}: {process.stderr.read()[-500:]}"
                lines.append(line)
            time.sleep(case.delay)
        assert process.poll() is None, f"{name}: ended before the signal"
        return interrupt(process, lines, case.signals, timeout=30)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals")
    with ThreadPoolExecutor(len(CASES)) as pool:
        futures = {
            name: pool.submit(_interrupt, name, case, root / f"{index}.jsonl")
            for index, (name, case) in enumerate(CASES.items())
        }
        return {
            name: (future.result(), root / f"{index}.jsonl") for index, (name, future) in enumerate(futures.items())
        }


def _whole_json_lines(text: str) -> list[dict]:
    assert text == "" or text.endswith("\n"), f"a partial last line: {text[-120:]!r}"
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", list(CASES))
def test_signal_ends_the_run_quietly(outcomes, name):
    result, output = outcomes[name]
    case = CASES[name]
    expected = (-case.signals[0],) if name == "tensorflow import" else (128 + case.signals[0],)
    assert result["code"] in expected, result["stderr"][-500:]
    assert result["seconds"] < NO_HANG_SECONDS, f"took {result['seconds']:.2f} s after the signal"
    assert result["stderr"] == ""
    stdout = _whole_json_lines(result["stdout"]) if case.args[0] == "train" else None
    if case.args[0] == "explain":
        assert result["stdout"] == ""
        return
    saved = _whole_json_lines(output.read_text())
    assert saved == stdout, "--output must hold exactly the lines stdout got"
    assert not any(event["event"] == "summary" for event in saved)
    if name not in ("tensorflow import", "Ctrl+C twice"):  # those end the process without a last word
        # Cancelled at a batch edge or MC chunk: the run says so itself.
        assert saved[-1] == {"event": "status", "state": "stopped", "message": "cancelled"}


def test_closed_stdout_with_output_file_finishes_the_run(tmp_path):
    """`| head -1` with --output: the file still gets the whole run, and the exit is clean."""
    output = tmp_path / "run.jsonl"
    command = (
        f"'{sys.executable}' -m dropout_tui.tui.cli train --headless --epochs 2 --hidden 8 --mc-samples 3 --repeats 1 "
        f"--output '{output}' | head -1; exit ${{PIPESTATUS[0]}}"
    )
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["event"] == "status"
    assert _whole_json_lines(output.read_text())[-1]["event"] == "summary"
