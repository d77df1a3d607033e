"""What `explain` produces: one result per claim, and the report that holds them.

No TensorFlow here: the claim registry, the Explain screen and the CLI's
printing use these types before TensorFlow has loaded (or without it at all).
"""

from __future__ import annotations

import json
import math
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
    backend: str = "tensorflow"  # the Keras backend the claims ran on
    backend_version: str = ""

    def to_dict(self) -> dict:
        return {
            "keras": self.keras,
            "tensorflow": self.tensorflow,
            "backend": self.backend,
            "backend_version": self.backend_version,
            "claims": [c.to_dict() for c in self.claims],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ExplainReport:
        """The report ``to_dict`` wrote (another process's, for ``explain --backend all``)."""
        claims = tuple(
            # to_dict wrote NaN as null (strict JSON)
            ClaimResult(
                **{**claim, "measured": {name: math.nan if x is None else x for name, x in claim["measured"].items()}}
            )
            for claim in data["claims"]
        )
        return cls(data["keras"], data["tensorflow"], claims, data["backend"], data["backend_version"])

    @property
    def versions(self) -> str:
        """How tables and the screen name what the claims ran on."""
        from dropout_tui.engine import backends

        on = backends.label(self.backend)
        if self.backend == "tensorflow":
            return f"Keras {self.keras}, TensorFlow {self.tensorflow}"
        return f"Keras {self.keras}, {on} {self.backend_version}"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


def _number(value: float | None) -> float:
    return math.nan if value is None else value
