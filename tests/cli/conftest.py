"""Real headless runs that several test files read. Each is a TensorFlow process that costs seconds of CPU, so
each is started once a session, all of a fixture's processes at once (tests/conftest.py keeps the tests that
read one fixture on one pytest-xdist worker)."""

from __future__ import annotations

import pytest

from tests.support.runs import SWEEP_RATES, TINY, all_at_once, regression_data


@pytest.fixture(scope="session")
def headless_runs(tmp_path_factory) -> dict[str, object]:
    """`train --headless` for two epochs: a tiny classification run with OOD (its stream also written by
    --output, to "output") and a tiny regression run: name -> (exit, stdout, stderr)."""
    root = tmp_path_factory.mktemp("headless")
    output = root / "run.jsonl"
    data = regression_data(root / "linear.npz")
    two_epochs = ["train", "--headless", "--epochs", "2", *TINY]
    results: dict[str, object] = dict(
        all_at_once(
            {
                "classification": [*two_epochs, "--ood", "noise", "--output", str(output)],
                "regression": [*two_epochs, "--data", str(data), "--task", "regression"],
            }
        )
    )
    results["output"] = output.read_text(encoding="utf-8") if output.exists() else ""
    return results


@pytest.fixture(scope="session")
def sweep_streams(tmp_path_factory) -> dict[object, object]:
    """A one-epoch sweep over SWEEP_RATES in one process ("sweep", also written by --output, to "output"), the
    same sweep with --jobs 2 ("jobs") and `train --rate r` per rate (keyed by r)."""
    output = tmp_path_factory.mktemp("sweep") / "sweep.jsonl"
    rates = ",".join(map(str, SWEEP_RATES))
    one_epoch = ["--epochs", "1", *TINY]
    results: dict[object, object] = dict(
        all_at_once(
            {
                "sweep": ["sweep", "--headless", "--rates", rates, *one_epoch, "--output", str(output)],
                "jobs": ["sweep", "--headless", "--rates", rates, "--jobs", "2", *one_epoch],
                **{rate: ["train", "--headless", "--rate", str(rate), *one_epoch] for rate in SWEEP_RATES},
            }
        )
    )
    results["output"] = output.read_text(encoding="utf-8") if output.exists() else ""
    return results
