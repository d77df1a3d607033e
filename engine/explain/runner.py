"""Run the eight experiments in order and judge each one (imports TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable

from dropout_tui.engine.explain import evaluation_claims, layer_claims, training_claims
from dropout_tui.engine.explain.lab import Lab
from dropout_tui.engine.explain.report import CLAIM_TEXTS, ClaimResult, ExplainReport, Measurement
from dropout_tui.engine.explain.verdicts import judge
from dropout_tui.engine.run.versions import versions

# In the order of CLAIM_TEXTS.
EXPERIMENTS: tuple[Callable[[Lab], Measurement], ...] = (
    layer_claims.scaling,
    layer_claims.trainable_flag,
    layer_claims.multiprocessing_flag,
    evaluation_claims.test_time_dropout,
    evaluation_claims.training_loss,
    training_claims.later_training,
    layer_claims.functional_training,
    evaluation_claims.mc_dropout,
)
assert len(EXPERIMENTS) == len(CLAIM_TEXTS)


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
    for claim_id, experiment in enumerate(EXPERIMENTS, start=1):
        if should_stop is not None and should_stop():
            raise ExplainCancelled
        if on_start is not None:
            on_start(claim_id)
        lab.reseed(claim_id)
        result = judge(claim_id, experiment(lab))
        results.append(result)
        if on_result is not None:
            on_result(result)
    keras_version, tensorflow_version = versions()
    return ExplainReport(keras=keras_version, tensorflow=tensorflow_version, claims=tuple(results))
