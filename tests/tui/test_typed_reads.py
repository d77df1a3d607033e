"""What the UI reads from a recorded block that the type checker cannot vouch for: names it does not know."""

from __future__ import annotations

import pytest

from dropout_tui.engine.evaluation.block import Comparison, MethodResult
from dropout_tui.tui.screens.uncertainty_methods import comparison_sentence


@pytest.mark.parametrize("a, b", [("a_later_method", "mc"), ("mc", None)])
def test_a_comparison_naming_an_unknown_method_says_nothing(a: str | None, b: str | None):
    # A newer recording's method (or none) was looked up in the registry and raised KeyError mid-draw.
    entry = Comparison.parse({"a": a, "b": b, "metric": "ece", "verdict": "better", "a_value": 0.01, "b_value": 0.02})
    assert entry is None or comparison_sentence(entry, {}) is None


def test_a_comparison_of_known_methods_is_one_sentence():
    entry = Comparison("mc", "inference", "ece", 0.01, 0.02, -0.02, -0.005, "better")
    sentence = comparison_sentence(entry, {"mc": MethodResult(passes=30), "inference": MethodResult(passes=1)})
    assert sentence is not None and "MC dropout (30 passes)" in sentence and "0.010 vs 0.020" in sentence
