"""One real run of every explain experiment, shared by the tests in this folder."""

import time

import pytest


@pytest.fixture(scope="session")
def explain_run():
    from engine.explain.runner import run_explain

    began = time.perf_counter()
    report = run_explain(seed=0)
    return report, time.perf_counter() - began


@pytest.fixture(scope="session")
def explain_report(explain_run):
    return explain_run[0]


@pytest.fixture(scope="session")
def measured(explain_report):
    """claim id -> its measured numbers."""
    return {claim.id: claim.measured for claim in explain_report.claims}
