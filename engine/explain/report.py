"""What `explain` produces: one result per claim, and the report that holds them.

No TensorFlow here: the Explain screen lists the claims before the worker has
imported anything, and the CLI writes the report as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dropout_tui.engine.events import json_safe

VERDICTS = ("true", "false", "caveat")

CLAIM_TEXTS = (
    "At inference, Dropout scales each output by 1-rate.",
    "Setting `layer.trainable = True` on Dropout makes `evaluate`/`predict` use dropout.",
    "`model.evaluate(..., use_multiprocessing=True)` evaluates in worker processes.",
    "`training=True` at test time lowers accuracy and makes it vary.",
    "The training loss is higher than the test loss because of dropout.",
    "Calling the model with `training=True` during testing affects later training.",
    "A functional `Dropout(r)(x, training=True)` keeps dropout on in `predict`.",
    "Averaging many dropout passes (MC dropout) gives predictions at least as good as inference, "
    "with an uncertainty estimate.",
)


@dataclass(frozen=True)
class Measurement:
    """An experiment's numbers, plus text facts (an error message) the explanation quotes."""

    measured: dict[str, float]
    notes: dict[str, str]


@dataclass(frozen=True)
class ClaimResult:
    id: int
    claim: str
    verdict: str
    measured: dict[str, float]
    explanation: str

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "claim": self.claim,
            "verdict": self.verdict,
            "measured": {name: json_safe(float(value)) for name, value in self.measured.items()},
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ExplainReport:
    keras: str
    tensorflow: str
    claims: tuple[ClaimResult, ...]

    def to_dict(self) -> dict:
        return {"keras": self.keras, "tensorflow": self.tensorflow, "claims": [c.to_dict() for c in self.claims]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)
