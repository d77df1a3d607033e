"""What `explain` produces: one result per claim, and the report that holds them.

No TensorFlow here: the claim registry, the Explain screen and the CLI's
printing use these types before TensorFlow has loaded (or without it at all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dropout_tui.engine.events import json_safe

VERDICTS = ("true", "false", "caveat")


@dataclass(frozen=True)
class Measurement:
    """An experiment's numbers, plus text facts (an error message) the explanation quotes."""

    measured: dict[str, float]
    notes: dict[str, str]


@dataclass(frozen=True)
class ClaimResult:
    """One claim as judged on this Keras: what the CLI prints and the Explain screen shows, row by row."""

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
    """Every claim's result, with the versions they were measured on (the `explain --json` object)."""

    keras: str
    tensorflow: str
    claims: tuple[ClaimResult, ...]

    def to_dict(self) -> dict:
        return {"keras": self.keras, "tensorflow": self.tensorflow, "claims": [c.to_dict() for c in self.claims]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)
