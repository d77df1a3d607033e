"""The claims about test-time dropout: one registry that the runner, the CLI and the Explain screen read.

Eight hold on every backend; claims 9 and 10 are about JAX's and PyTorch's own
API and run only there (``claims_on``).

Importing this module loads no TensorFlow: the Explain screen lists the claims
in its first frame, before TensorFlow has loaded. Each claim therefore names its
experiment as "module:function" and imports it only when the claim is run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dropout_tui.engine.explain import backend_verdicts as bv
from dropout_tui.engine.explain import verdicts as v
from dropout_tui.engine.explain.report import ClaimResult, Measurement

if TYPE_CHECKING:
    from dropout_tui.engine.explain.lab import Lab

Experiment = Callable[["Lab"], Measurement]


@dataclass(frozen=True)
class Claim:
    """A claim, the experiment that measures it and the pure functions that judge and explain its numbers.

    ``measure`` is the experiment as "module:function" (it imports TensorFlow);
    ``verdict`` reads the numbers once and ``explanation`` words that verdict
    with the numbers, without testing them again.
    """

    id: int
    text: str
    measure: str
    verdict: Callable[[v.Numbers], v.Verdict]
    explanation: Callable[[v.Numbers, v.Notes, v.Verdict], str]
    backend: str | None = None  # a claim about one backend's own API runs only there; None: on every backend

    def runs_on(self, backend: str) -> bool:
        return self.backend is None or self.backend == backend

    def experiment(self) -> Experiment:
        module, _, name = self.measure.partition(":")
        return getattr(importlib.import_module(module), name)

    def judge(self, measurement: Measurement) -> ClaimResult:
        """This claim's result, decided by the measured numbers alone."""
        verdict = self.verdict(measurement.measured)
        return ClaimResult(
            id=self.id,
            claim=self.text,
            verdict=verdict.value,
            measured=dict(measurement.measured),
            explanation=self.explanation(measurement.measured, measurement.notes, verdict),
        )


_LAYER = "dropout_tui.engine.explain.layer_claims"
_EVALUATION = "dropout_tui.engine.explain.evaluation_claims"
_TRAINING = "dropout_tui.engine.explain.training_claims"
_BACKEND = "dropout_tui.engine.explain.backend_claims"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        1,
        "At inference, Dropout scales each output by 1-rate.",
        f"{_LAYER}:scaling",
        v.verdict_scaling,
        v.explain_scaling,
    ),
    Claim(
        2,
        "Setting `layer.trainable = True` on Dropout makes `evaluate`/`predict` use dropout.",
        f"{_LAYER}:trainable_flag",
        v.verdict_trainable,
        v.explain_trainable,
    ),
    Claim(
        3,
        "`model.evaluate(..., use_multiprocessing=True)` evaluates in worker processes.",
        f"{_LAYER}:multiprocessing_flag",
        v.verdict_multiprocessing,
        v.explain_multiprocessing,
    ),
    Claim(
        4,
        "`training=True` at test time lowers accuracy and makes it vary.",
        f"{_EVALUATION}:test_time_dropout",
        v.verdict_test_time_dropout,
        v.explain_test_time_dropout,
    ),
    Claim(
        5,
        "The training loss is higher than the test loss because of dropout.",
        f"{_EVALUATION}:training_loss",
        v.verdict_training_loss,
        v.explain_training_loss,
    ),
    Claim(
        6,
        "Calling the model with `training=True` during testing affects later training.",
        f"{_TRAINING}:later_training",
        v.verdict_later_training,
        v.explain_later_training,
    ),
    Claim(
        7,
        "A functional `Dropout(r)(x, training=True)` keeps dropout on in `predict`.",
        f"{_LAYER}:functional_training",
        v.verdict_functional_training,
        v.explain_functional_training,
    ),
    Claim(
        8,
        "Averaging many dropout passes (MC dropout) gives predictions at least as good as inference, "
        "with an uncertainty estimate.",
        f"{_EVALUATION}:mc_dropout",
        v.verdict_mc_dropout,
        v.explain_mc_dropout,
    ),
    Claim(
        9,
        "`jax.jit` of `model(x, training=True)` gives fresh dropout masks on every call (JAX).",
        f"{_BACKEND}:jax_jit_training",
        bv.verdict_jax_jit,
        bv.explain_jax_jit,
        backend="jax",
    ),
    Claim(
        10,
        "`model.eval()` turns Keras dropout off (PyTorch).",
        f"{_BACKEND}:torch_eval_mode",
        bv.verdict_torch_eval,
        bv.explain_torch_eval,
        backend="torch",
    ),
)


def claims_on(backend: str) -> tuple[Claim, ...]:
    """The claims explain runs on ``backend``: every shared claim and that backend's own."""
    return tuple(claim for claim in CLAIMS if claim.runs_on(backend))
