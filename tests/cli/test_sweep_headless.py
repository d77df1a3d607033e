"""`dropout-tui sweep --headless`: tagged lines, one sweep_summary, and the numbers of `train --rate r`, exactly.

Real subprocesses, all started at once (each pays TensorFlow's import; `sweep_streams`, tests/cli/conftest.py):
a sweep in one process, the same sweep with --jobs 2, and a separate `train --rate r` per rate. The sweep
reuses the train path, so every number of its run at rate r (losses, every mode, the uncertainty block, the
probe) equals the train run's; only timings differ.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.support.runs import SWEEP_RATES, run_cli
from tests.support.runs import TINY as SHARED_TINY

pytestmark = [pytest.mark.subprocess]

TINY = ["--epochs", "1", *SHARED_TINY]
RATES = SWEEP_RATES
TIMINGS = {"seconds", "samples_per_second"}


def _events(text: str) -> list[dict]:
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _without_timings(event: dict) -> dict:
    event = {key: value for key, value in event.items() if key not in TIMINGS}
    if event["event"] == "status" and event["state"] == "finished":
        event["message"] = ""  # "3 epoch(s) in 1.2 s"
    if event["event"] == "summary":
        event.pop("rate", None)
    return event


def _numbers(events: list[dict]) -> list[dict]:
    """A run's events as numbers: timings out, log lines out (TensorFlow says its start-up once per process),
    batch losses as one list (how they are grouped into lines depends on the clock)."""
    kept = [_without_timings(e) for e in events if e["event"] not in ("log", "batch_losses")]
    losses = [loss for e in events if e["event"] == "batch_losses" for loss in e["losses"]]
    return [*kept, {"batch_losses": losses}]


def _run_of(events: list[dict], rate: float) -> list[dict]:
    """One rate's lines of a sweep, without the tag (epoch_end keeps its own rate)."""
    run = [e for e in events if e.get("rate") == rate and not e["event"].startswith("sweep_")]
    return [e if e["event"] == "epoch_end" else {k: v for k, v in e.items() if k != "rate"} for e in run]


@pytest.mark.parametrize("name", ["sweep", "jobs"])
def test_a_sweep_tags_every_line_and_ends_with_its_summary(sweep_streams, name):
    code, out, err = sweep_streams[name]
    assert code == 0, err[-2000:]
    assert err == ""
    events = _events(out)
    first, last = events[0], events[-1]
    assert first["event"] == "sweep_started" and first["rates"] == list(RATES)
    assert first["jobs"] == (2 if name == "jobs" and (os.cpu_count() or 1) >= 2 else 1)
    assert first["config"]["rate"] is None and first["config"]["epochs"] == 1
    assert last["event"] == "sweep_summary" and last["complete"] is True
    assert [entry["rate"] for entry in last["rates"]] == list(RATES)
    assert all("rate" in event for event in events[1:-1])
    for rate in RATES:
        run = [event["event"] for event in events if event.get("rate") == rate]
        assert run.count("run_started") == 1 and run[-1] == "summary"


def test_output_holds_exactly_the_lines_of_stdout(sweep_streams):
    assert sweep_streams["output"] == sweep_streams["sweep"][1]


@pytest.mark.parametrize("name", ["sweep", "jobs"])
@pytest.mark.parametrize("rate", RATES)
def test_the_run_at_rate_r_is_train_at_rate_r(sweep_streams, name, rate):
    """Every event and number of the sweep's run equals a separate `train --rate r` process's."""
    train_code, train_out, train_err = sweep_streams[rate]
    assert train_code == 0, train_err[-2000:]
    train = _events(train_out)
    sweep = _events(sweep_streams[name][1])
    assert _numbers(_run_of(sweep, rate)) == _numbers(train)
    summary = next(entry["summary"] for entry in sweep[-1]["rates"] if entry["rate"] == rate)
    assert _without_timings(summary) == _without_timings(train[-1])


def test_jobs_2_gives_the_numbers_of_jobs_1(sweep_streams):
    one, two = _events(sweep_streams["sweep"][1]), _events(sweep_streams["jobs"][1])
    for rate in RATES:
        assert _numbers(_run_of(one, rate)) == _numbers(_run_of(two, rate))
    strip = [{**entry, "summary": _without_timings(entry["summary"])} for entry in one[-1]["rates"]]
    assert strip == [{**entry, "summary": _without_timings(entry["summary"])} for entry in two[-1]["rates"]]


# ---------------------------------------------------------------- failures


def test_a_failing_rate_does_not_end_the_sweep():
    """--lr 1e30 makes every loss NaN: each rate fails on its own line, the sweep goes on, exit 1."""
    code, out, err = run_cli("sweep", "--headless", "--rates", "0,0.5", "--lr", "1e30", *TINY)
    assert code == 1
    events = _events(out)
    assert [e["rate"] for e in events if e["event"] == "failed"] == [0.0, 0.5]
    assert events[-1] == {"event": "sweep_summary", "rates": [], "complete": False}
    assert [line.split(":")[2].strip() for line in err.splitlines()] == ["rate 0", "rate 0.5"]
    assert all(line.startswith("dropout-tui: failed: rate ") for line in err.splitlines())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bad_input_every_rate_shares_is_one_line_and_exit_2(tmp_path, jobs):
    missing = tmp_path / "missing.npz"
    code, out, err = run_cli("sweep", "--headless", "--rates", "0,0.5", "--jobs", jobs, "--data", str(missing), *TINY)
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("dropout-tui: error: ") and "missing.npz" in err
    assert _events(out)[-1]["event"] == "sweep_summary"
