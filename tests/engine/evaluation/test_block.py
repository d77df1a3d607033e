"""The uncertainty block parsed once into typed structures (engine/evaluation/block.py): every number of a
recorded round read back as the JSON has it, and a lenient read of what older or damaged streams hold."""

from __future__ import annotations

import json
from pathlib import Path

from dropout_tui.engine.evaluation.block import Reliability, ScoreResult, UncertaintyBlock
from dropout_tui.engine.events import ModeEvaluation, event_from_json

RUN = Path(__file__).resolve().parents[2] / "tui" / "fixtures" / "run.jsonl"


def test_a_recorded_round_reads_back_number_for_number():
    lines = [line for line in RUN.read_text().splitlines() if '"mode_evaluation"' in line]
    raw = json.loads(lines[-1])["uncertainty"]
    event = event_from_json(lines[-1])
    assert isinstance(event, ModeEvaluation)
    block = event.block
    assert block is not None and event.block is block  # parsed once
    assert list(block.scores) == list(raw["scores"])
    for name, entry in raw["scores"].items():
        parsed = block.scores[name]
        assert (parsed.auroc_error, parsed.aurc) == (entry["auroc_error"], entry["aurc"])
        assert parsed.accuracy_at("0.9") == entry["accuracy_at_coverage"]["0.9"]
        assert [list(point) for point in parsed.curve] == entry["curve"]
    for which in ("inference", "mc"):
        rel, parsed_rel = raw["reliability"][which], block.reliability[which]
        assert (parsed_rel.ece, parsed_rel.mce, parsed_rel.ace) == (rel["ece"], rel["mce"], rel["ace"])
        assert [(b.lo, b.hi, b.count, b.accuracy, b.confidence) for b in parsed_rel.bins] == [
            (b["lo"], b["hi"], b["count"], b["accuracy"], b["confidence"]) for b in rel["bins"]
        ]
    assert block.decomposition.mutual_information == raw["decomposition"]["mutual_information"]
    assert block.ood is not None and (block.ood.source, block.ood.n) == (raw["ood"]["source"], raw["ood"]["n"])
    assert block.ood.scores["entropy"].fpr95 == raw["ood"]["scores"]["entropy"]["fpr95"]


def test_missing_and_non_finite_values_read_as_none_and_empty():
    assert UncertaintyBlock.parse(None) is None and UncertaintyBlock.parse([1]) is None
    empty = UncertaintyBlock.parse({})
    assert empty is not None and empty.scores == {} and empty.reliability == {} and empty.ood is None
    assert empty.decomposition.entropy is None
    score = ScoreResult.parse({"aurc": float("nan"), "curve": [[0.5, None], [1.0, 0.1], "bad"]})
    assert score.aurc is None and score.curve == ((1.0, 0.1),) and score.accuracy_at("0.9") is None
    rel = Reliability.parse({"bins": [{"lo": 0, "hi": 0.5, "count": True}, {"hi": 1}], "ece": float("inf")})
    assert rel is not None and rel.ece is None and len(rel.bins) == 1 and rel.bins[0].count == 0


def test_methods_and_comparisons_parse_leniently():
    from dropout_tui.engine.evaluation.block import Comparison, MethodResult

    block = UncertaintyBlock.parse(
        {
            "methods": {
                "mc": {"accuracy": 0.9, "nll": float("nan"), "passes": 30, "temperature": 1.2},
                "inference": {"passes": True, "ece": "0.05"},  # a bool is no count; a numeric string is a number
                "broken": "not a row",
            },
            "comparisons": [
                {"a": "mc", "b": "inference", "metric": "ece", "a_value": 0.02, "low": None, "verdict": "better"},
                {"a": 1, "b": "mc", "metric": "ece"},  # no names: left out
                "junk",
            ],
        }
    )
    assert block is not None
    assert block.methods["mc"] == MethodResult(accuracy=0.9, passes=30)
    assert block.methods["inference"] == MethodResult(ece=0.05)
    assert block.methods["broken"] == MethodResult()
    assert block.comparisons == (Comparison("mc", "inference", "ece", 0.02, None, None, None, "better"),)


def test_a_block_without_methods_has_none():
    block = UncertaintyBlock.parse({})
    assert block is not None and block.methods == {} and block.comparisons == ()


def test_a_regressors_methods_parse_with_their_curves():
    from dropout_tui.engine.evaluation.block import Calibration, RegressionMethodResult, regression_methods

    methods = regression_methods(
        {
            "methods": {
                "inference": {"rmse": 0.5, "nll": None, "coverage": None, "calibration": None, "passes": 1},
                "mc": {
                    "coverage": {"0.9": 0.81, "0.5": "nan"},
                    "calibration": {
                        "expected": [0.0, 0.5, 1.0],
                        "observed": [0.0, None, 1.0],
                        "miscalibration_area": 0.1,
                    },
                    "passes": 30,
                },
            }
        }
    )
    assert methods["inference"] == RegressionMethodResult(rmse=0.5, passes=1)  # a point: no curve
    assert methods["mc"].coverage == {"0.9": 0.81, "0.5": None}
    assert methods["mc"].calibration == Calibration((0.0, 1.0), (0.0, 1.0), 0.1)  # the non-finite point left out
    assert regression_methods(None) == {} and regression_methods({"methods": "junk"}) == {}
