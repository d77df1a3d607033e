"""`sweep --ensemble K`: each rate's run trains its K members and its summary carries the ensemble method.

Real subprocesses at tiny settings, --jobs 1 and --jobs 2 at once: the sweep reuses the train path, so each
rate gets its `ensemble_member` line (tagged with the rate), `methods.ensemble` with K members in its
summary and in the sweep_summary, and the same figures whichever process trained it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.runs import SWEEP_RATES, TINY, run_cli

pytestmark = [pytest.mark.subprocess]

RATES = SWEEP_RATES
ONE_EPOCH = ["--epochs", "1", *TINY]
K = 2


@pytest.fixture(scope="module")
def sweeps() -> dict[int, list[dict]]:
    rates = ",".join(map(str, RATES))
    base = ["sweep", "--headless", "--rates", rates, *ONE_EPOCH, "--ensemble", str(K)]
    with ThreadPoolExecutor(2) as pool:
        futures = {jobs: pool.submit(run_cli, *base, "--jobs", str(jobs)) for jobs in (1, 2)}
        results = {jobs: future.result() for jobs, future in futures.items()}
    for jobs, (code, _, err) in results.items():
        assert code == 0, f"--jobs {jobs}: {err[-2000:]}"
    return {jobs: [json.loads(line) for line in out.splitlines()] for jobs, (_, out, _) in results.items()}


def _ensembles(events: list[dict]) -> dict[float, dict]:
    """Each rate's `methods.ensemble` as the sweep_summary holds it."""
    (summary,) = [event for event in events if event["event"] == "sweep_summary"]
    return {entry["rate"]: entry["summary"]["uncertainty"]["methods"].get("ensemble") for entry in summary["rates"]}


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_rate_trains_its_members_and_its_summary_carries_the_ensemble(sweeps, jobs):
    events = sweeps[jobs]
    members = [event for event in events if event["event"] == "ensemble_member"]
    assert sorted(event["rate"] for event in members) == sorted(RATES)  # K - 1 = 1 more member per rate
    assert all((event["member"], event["members"]) == (K, K) for event in members)
    summaries = {event["rate"]: event for event in events if event["event"] == "summary"}
    ensembles = _ensembles(events)
    assert set(ensembles) == set(RATES)
    for rate, ensemble in ensembles.items():
        assert ensemble is not None, f"rate {rate}: no ensemble in the sweep_summary"
        assert ensemble["members"] == K and ensemble["passes"] == K
        assert 0.0 <= ensemble["ece"] <= 1.0 and ensemble["nll"] > 0.0
        assert summaries[rate]["uncertainty"]["methods"]["ensemble"] == ensemble
        last = [event for event in members if event["rate"] == rate][-1]
        assert last["uncertainty"]["methods"]["ensemble"] == ensemble  # the last member's block is the summary's


def test_jobs_2_trains_the_ensembles_of_jobs_1(sweeps):
    assert _ensembles(sweeps[2]) == _ensembles(sweeps[1])
