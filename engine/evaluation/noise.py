"""The noise of a repeated mode's mean (R stochastic passes over the test set) and whether two such means differ.

``training`` and ``dropout_only`` report the mean and the spread (``np.std``, ddof 0) of R passes. Their means
are random: two modes identical in distribution (a plain MLP has no BatchNorm, so both run the same masks) still
differ by a point or more at R=5. The mean's standard error is the spread over sqrt(R - 1) (the sample standard
deviation over sqrt(R)); two means are told apart at the paired bootstrap's level (engine/evaluation/bootstrap.py)
under a normal approximation, since the passes are summed inside the compiled evaluation and their rows are gone.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from dropout_tui.engine.evaluation.gap import LEVEL, Gap

Z = NormalDist().inv_cdf((1 + LEVEL) / 2)  # 1.96 at 95%


def standard_error(spread: float | None, repeats: int | None) -> float | None:
    """The standard error of a mean over ``repeats`` passes whose spread (ddof 0) is ``spread``; None below R=2."""
    if spread is None or repeats is None or repeats < 2 or not math.isfinite(spread):
        return None
    return spread / math.sqrt(repeats - 1)


def repeats_gap(a: dict, b: dict, key: str = "accuracy") -> Gap:
    """``a[key] - b[key]`` for two repeated modes' entries (``key``, ``key_std``, ``repeats``) and its interval."""
    mean_a, mean_b = a.get(key), b.get(key)
    if mean_a is None or mean_b is None or not math.isfinite(mean_a - mean_b):
        return Gap(None, None, None, False)
    gap = float(mean_a - mean_b)
    error_a, error_b = (standard_error(entry.get(f"{key}_std"), entry.get("repeats")) for entry in (a, b))
    if error_a is None or error_b is None:
        return Gap(gap, None, None, False)
    half = Z * math.sqrt(error_a * error_a + error_b * error_b)
    low, high = gap - half, gap + half
    return Gap(gap, low, high, low > 0 or high < 0)
