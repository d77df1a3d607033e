"""`dropout-tui sweep`'s options: a bad --rates list or --jobs is one stderr line and exit 2 (in-process, before any
run), decided by the one check the engine uses too; and Ctrl+C / SIGTERM end a sweep within about a second with
the sweep_summary of the rates that finished."""

from __future__ import annotations

import json
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import dropout_tui.tui.cli as cli
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import BatchLosses
from dropout_tui.engine.limits import MAX_SWEEP_RATES
from dropout_tui.engine.run.controls import STOP_SIGNAL
from dropout_tui.engine.sweep.controls import SweepControls
from dropout_tui.engine.sweep.plan import check_rates, effective_jobs, parse_rates
from dropout_tui.engine.sweep.runner import Sweep, Tagged
from dropout_tui.tui.cli.child_command import train_command
from dropout_tui.tui.sweep.compare import load_runs
from dropout_tui.tui.sweep.export import sweep_dict
from dropout_tui.tui.sweep.metrics import run_text
from dropout_tui.tui.sweep.state import SweepState
from tests.support.processes import interrupt, killed_if_left_running, start_cli

TOO_MANY = ",".join(f"{index / 100:g}" for index in range(MAX_SWEEP_RATES + 1))

BAD = [
    (["--rates", ""], "--rates needs at least one rate"),
    (["--rates", "0,1"], "--rates holds 1: every rate must be in [0, 1)"),
    (["--rates", "0.2,-0.1"], "--rates holds -0.1: every rate must be in [0, 1)"),
    (["--rates", "0.1,nan"], "--rates holds nan"),
    (["--rates", "0.1,0.10"], "--rates lists 0.1 twice"),
    (["--rates", "0,1e-1,0.1"], "--rates lists 0.1 twice"),
    (["--rates", TOO_MANY], f"--rates takes at most {MAX_SWEEP_RATES} rates, got {MAX_SWEEP_RATES + 1}"),
    (["--rates", "0.1,x"], "--rates expects numbers separated by commas, got 'x'"),
    (["--rates", "0.1,,0.2"], "--rates has an empty entry in '0.1,,0.2'"),
    (["--jobs", "0"], "--jobs must be a positive integer"),
    (["--jobs", "two"], "expected a positive integer"),
    (["--rate", "0.2"], "sweep takes no --rate: use --rates R,R,..."),  # not an abbreviation of --rates
    (["--model", "m.keras"], "unrecognized arguments: --model"),
]


@pytest.mark.parametrize(("args", "expected"), BAD, ids=[" ".join(args)[:40] for args, _ in BAD])
@pytest.mark.parametrize("headless", [True, False])
def test_bad_sweep_input_is_one_line_and_exit_2(capsys, args, expected, headless):
    with pytest.raises(SystemExit) as raised:
        cli.main(["sweep", *args, *(["--headless"] if headless else [])])
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dropout-tui: error: ")
    assert expected in lines[0]
    assert "argument --rates: --rates" not in lines[0]  # the option is named once


def test_the_engine_checks_a_list_as_the_cli_does():
    assert check_rates([0, 0.5]) == (0.0, 0.5)
    assert parse_rates(" 0, 0.25 ,0.5") == (0.0, 0.25, 0.5)
    for rates in ([], [1.0], [0.1, 0.1], [True], [float("inf")], [i / 100 for i in range(MAX_SWEEP_RATES + 1)]):
        with pytest.raises(ConfigError):
            check_rates(rates)
    with pytest.raises(ConfigError, match="lists 0.2 twice"):
        Sweep(RunConfig(), [0.2, 0.2], lambda item: None)


def test_jobs_are_capped_by_the_cores_and_the_rates_and_the_sweep_says_so():
    assert effective_jobs(8, 5, cores=2) == (2, ["--jobs 8 runs 2 at once: this machine has 2 CPU core(s)"])
    assert effective_jobs(4, 3, cores=16) == (3, [])
    assert effective_jobs(1, 5, cores=1) == (1, [])


def test_a_child_run_gets_every_option_of_the_config():
    config = RunConfig(epochs=3, rate=0.25, lr=1e-4, ood="noise", devices="all", data_path="d.npz", task="regression")
    argv = train_command(config)
    args = cli.build_parser().parse_args(argv)
    from dropout_tui.tui.cli.options import config_from_args

    assert config_from_args(args) == config


# ---------------------------------------------------------------- signals

SLOW = ["--epochs", "40", "--hidden", "16", "--batch-size", "16", "--mc-samples", "5", "--repeats", "2"]
SIGNAL_CASES = {"SIGINT, one at a time": ("1", signal.SIGINT), "SIGTERM, --jobs 2": ("2", signal.SIGTERM)}
NO_HANG_SECONDS = 10.0  # the target is about a second (see the headless doc); on a loaded box a hang is not


def _interrupt(jobs: str, number: int, output: Path) -> dict:
    args = ["sweep", "--headless", "--rates", "0.1,0.2,0.3", "--jobs", jobs, *SLOW, "--eval-every", "40"]
    process = start_cli([*args, "--output", str(output)])
    lines, finished = [], 0
    with killed_if_left_running(process):
        # Once a rate has finished and the next is training, signal.
        while True:
            line = process.stdout.readline()
            assert line, f"ended early: {process.stderr.read()[-500:]}"
            lines.append(line)
            event = json.loads(line)
            finished += event["event"] == "summary"
            if finished and event["event"] == "batch_losses" and event["rate"] != _first_finished(lines):
                break
        return interrupt(process, lines, [number], timeout=60)


def _first_finished(lines: list[str]) -> float | None:
    for line in lines:
        event = json.loads(line)
        if event["event"] == "summary":
            return event["rate"]
    return None


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep-signals")
    with ThreadPoolExecutor(len(SIGNAL_CASES)) as pool:
        futures = {
            name: (pool.submit(_interrupt, jobs, number, root / f"{index}.jsonl"), root / f"{index}.jsonl")
            for index, (name, (jobs, number)) in enumerate(SIGNAL_CASES.items())
        }
        return {name: (future.result(), output) for name, (future, output) in futures.items()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(SIGNAL_CASES))
@pytest.mark.subprocess
def test_a_signal_ends_the_sweep_with_the_finished_rates(interrupted, name):
    result, output = interrupted[name]
    number = SIGNAL_CASES[name][1]
    assert result["code"] == 128 + number, result["stderr"][-500:]
    assert result["seconds"] < NO_HANG_SECONDS, f"took {result['seconds']:.2f} s after the signal"
    assert result["stderr"] == ""
    assert result["stdout"].endswith("\n")
    events = [json.loads(line) for line in result["stdout"].splitlines()]
    assert output.read_text() == result["stdout"], "--output must hold exactly the lines stdout got"
    summary = events[-1]
    assert summary["event"] == "sweep_summary" and summary["complete"] is False
    finished = [event["rate"] for event in events if event["event"] == "summary"]
    assert finished and [entry["rate"] for entry in summary["rates"]] == [r for r in (0.1, 0.2, 0.3) if r in finished]
    assert len(finished) < 3


# ---------------------------------------------------------------- a stop (the app's `x`, SIGUSR1 headless)


def _stop_once_training(args: list[str], training: set) -> dict:
    """Start the CLI, send STOP_SIGNAL once every rate in ``training`` (None: a train run) has a batch, read it out."""
    process = start_cli(args)
    lines, seen = [], set()
    with killed_if_left_running(process):
        while not training <= seen:
            line = process.stdout.readline()
            assert line, f"ended early: {process.stderr.read()[-500:]}"
            lines.append(line)
            event = json.loads(line)
            if event["event"] == "batch_losses":
                seen.add(event.get("rate"))
        return interrupt(process, lines, [STOP_SIGNAL], timeout=120)


@pytest.mark.subprocess
@pytest.mark.timeout(300)
def test_a_stopped_headless_train_evaluates_the_model_as_it_is_and_exits_0():
    result = _stop_once_training(["train", "--headless", *SLOW], {None})
    assert result["code"] == 0 and result["stderr"] == "", result["stderr"][-500:]
    events = [json.loads(line) for line in result["stdout"].splitlines()]
    finished = next(event for event in events if event["event"] == "finished")
    assert finished["stopped_by_user"] is True and finished["epochs_run"] < 40
    assert events[-1]["event"] == "summary" and events[-2]["event"] == "finished"


@pytest.mark.subprocess
@pytest.mark.timeout(300)
def test_the_app_s_x_with_jobs_2_keeps_every_run_in_progress_as_jobs_1_does():
    # The sweep app's `x` is SweepControls.stop(): its children used to be SIGTERMed, the rows read "cut", the
    # export held no rate and compare refused it.
    state = SweepState.planned(RunConfig(epochs=40, hidden=16, batch_size=16, mc_samples=5, repeats=2), (0.1, 0.3))
    items, training = [], set()
    controls = SweepControls()

    def sink(item) -> None:
        items.append(item)
        if isinstance(item, Tagged) and isinstance(item.event, BatchLosses):
            training.add(item.rate)
            if training == {0.1, 0.3} and not controls.stop_requested:
                controls.stop()

    sweep = Sweep(state.config, (0.1, 0.3), sink, controls, jobs=2, command=train_command)
    if sweep.jobs < 2:
        pytest.skip("one CPU core: --jobs 2 runs one rate at a time")
    summary = sweep.run()
    for item in items:
        state.apply(item)
    assert [entry["rate"] for entry in summary.rates] == [0.1, 0.3] and summary.complete is False
    assert [run_text(run) for run in state.runs] == [f"x@{len(run.epochs)}" for run in state.runs]
    assert all(run.evaluations and run.summary.modes == run.evaluations[-1].modes for run in state.runs)
    assert sweep_dict(state)["rates"] and not sweep_dict(state)["unfinished"]


@pytest.mark.subprocess
@pytest.mark.timeout(300)
def test_sigusr1_stops_a_headless_sweep_with_jobs_2_keeping_its_runs_and_exit_0(tmp_path):
    result = _stop_once_training(["sweep", "--headless", "--rates", "0.1,0.3", "--jobs", "2", *SLOW], {0.1, 0.3})
    assert result["code"] == 0 and result["stderr"] == "", result["stderr"][-500:]
    events = [json.loads(line) for line in result["stdout"].splitlines()]
    assert events[0]["jobs"] == 2
    summary = events[-1]
    assert summary["event"] == "sweep_summary" and summary["complete"] is False
    assert [entry["rate"] for entry in summary["rates"]] == [0.1, 0.3]
    for rate in (0.1, 0.3):
        finished = [e for e in events if e["event"] == "finished" and e["rate"] == rate]
        rounds = [e for e in events if e["event"] == "mode_evaluation" and e["rate"] == rate]
        assert finished[0]["stopped_by_user"] is True and rounds  # evaluated as it is, like --jobs 1
    stream = tmp_path / "stopped.jsonl"
    stream.write_text(result["stdout"], encoding="utf-8")
    assert [run.rate for run in load_runs([str(stream)])] == [0.1, 0.3]  # compare reads it
