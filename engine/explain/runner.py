"""Run every claim's experiment in order and judge it (imports TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable

import keras

from dropout_tui.engine import backends
from dropout_tui.engine.explain.claims import Claim, claims_on
from dropout_tui.engine.explain.lab import Lab
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.engine.run.versions import versions


class ExplainCancelled(Exception):
    """The caller asked to stop between two claims (the Explain screen was closed)."""


def run_explain(
    seed: int = 0,
    *,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[ClaimResult], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ExplainReport:
    lab = Lab(seed)
    results = []
    backend = keras.backend.backend()  # the process's: activated before Keras was imported
    for claim in claims_on(backend):
        # Checked between claims only: an experiment cannot be interrupted halfway through TensorFlow.
        if should_stop is not None and should_stop():
            raise ExplainCancelled
        if on_start is not None:
            on_start(claim.id)
        result = _run_claim(lab, claim)
        results.append(result)
        if on_result is not None:
            on_result(result)
    keras_version, tensorflow_version = versions()
    return ExplainReport(
        keras=keras_version,
        tensorflow=tensorflow_version,
        claims=tuple(results),
        backend=backend,
        backend_version=backends.version(backend),
    )


def _run_claim(lab: Lab, claim: Claim) -> ClaimResult:
    lab.reseed(claim.id)
    return claim.judge(claim.experiment()(lab))
