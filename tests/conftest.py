"""Shared test set-up: the app's own quiet-TensorFlow environment, and the one real explain run."""

import time

import pytest

from dropout_tui.engine.quiet import prepare_environment

prepare_environment()


@pytest.fixture(scope="session")
def explain_run():
    """One real run of every explain experiment, shared by the engine, CLI and screen tests."""
    from dropout_tui.engine.explain.runner import run_explain

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
