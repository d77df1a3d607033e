"""What a comparison of two methods' figures reports, and the level it is judged at (no NumPy: the app reads it)."""

from __future__ import annotations

from dataclasses import dataclass

LEVEL = 0.95  # the interval a gap must leave out zero from to count as real


@dataclass(frozen=True)
class Gap:
    """One figure of ``a`` minus ``b``, the interval around it, and whether that interval leaves out 0."""

    gap: float | None  # None: the figure is undefined (no rows, no errors...)
    low: float | None  # None: too little to judge the noise by
    high: float | None
    distinguishable: bool  # the interval lies wholly above or below 0

    def to_json(self) -> dict:
        return {"gap": self.gap, "low": self.low, "high": self.high, "distinguishable": self.distinguishable}


UNDEFINED = Gap(None, None, None, False)
