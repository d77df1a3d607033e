"""docs/headless.schema.json is the headless contract: real runs validate against it line by line, and the schema
and docs/headless.md agree with the engine's event classes and its mode registry (so an undocumented field fails)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.evaluation import methods, regression_metrics, temperature, uncertainty
from dropout_tui.engine.evaluation.modes import MODES
from dropout_tui.engine.evaluation.scores import SCORE_NAMES
from dropout_tui.engine.events import EVENT_TYPES, EpochEnd, Notice, RateChanged, RateScheduled, SamplesChanged
from dropout_tui.engine.limits import MAX_SWEEP_RATES, TASKS
from tests.support.contract import doc_score_list, schema_registry_problems
from tests.support.runs import SWEEP_RATES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "headless.schema.json").read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]
DOC = (ROOT / "docs" / "headless.md").read_text(encoding="utf-8")
FIXTURES = sorted((ROOT / "tests" / "tui" / "fixtures").glob("*.jsonl"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
ALL_EVENT_TYPES = EVENT_TYPES  # train/inspect's events and the sweep's own


def _strict_json(line: str) -> dict:
    def reject(constant: str):
        raise ValueError(f"{constant} is not strict JSON")

    return json.loads(line, parse_constant=reject)


def _branch_errors(event: dict) -> list[jsonschema.ValidationError]:
    """Errors against the event's own branch: precise, where the top-level oneOf only says that nothing matched."""
    validator = jsonschema.Draft202012Validator({"$defs": DEFS, "$ref": f"#/$defs/{event.get('event')}"})
    return list(validator.iter_errors(event))


def _problems(lines: list[str]) -> list[str]:
    problems = []
    for number, line in enumerate(lines, 1):
        event = _strict_json(line)
        if VALIDATOR.is_valid(event):
            continue
        errors = _branch_errors(event) if event.get("event") in EVENT_TYPES else list(VALIDATOR.iter_errors(event))
        for error in errors:
            where = "/".join(str(part) for part in error.absolute_path)
            problems.append(f"line {number} ({event.get('event')}) {where}: {error.message[:200]}")
    return problems


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


# ---------------------------------------------------------------- real runs, every line


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.subprocess
def test_every_line_of_a_real_run_validates(headless_runs, task):
    code, out, err = headless_runs[task]
    assert code == 0, err
    assert err == ""
    assert "\x1b" not in out
    lines = out.splitlines()
    assert _problems(lines) == []
    events = [json.loads(line) for line in lines]
    names = {event["event"] for event in events}
    assert {"status", "run_started", "batch_losses", "epoch_end", "mode_evaluation", "sample_probe"} <= names
    summary = events[-1]
    assert summary["event"] == "summary" and summary["task"] == task
    assert all(event["task"] == task for event in events if event["event"] in ("run_started", "sample_probe"))


@pytest.mark.subprocess
def test_every_line_of_a_real_sweep_validates(sweep_streams):
    code, out, err = sweep_streams["sweep"]
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert _problems(lines) == []
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "sweep_started" and events[-1]["event"] == "sweep_summary"
    assert all(event["rate"] in SWEEP_RATES for event in events[1:-1])  # every run's line is tagged
    assert [entry["rate"] for entry in events[-1]["rates"]] == list(SWEEP_RATES)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.subprocess
def test_only_epoch_end_has_a_rate_outside_a_sweep(headless_runs, task):
    events = [json.loads(line) for line in headless_runs[task][1].splitlines()]
    assert [event["event"] for event in events if "rate" in event] == ["epoch_end"] * 2


def test_every_event_branch_takes_the_sweep_s_rate_tag_and_nothing_else():
    # epoch_end's rate is its own field (the same value in a sweep); the sweep's own lines are never tagged.
    for name in set(EVENT_TYPES) - {"epoch_end", "sweep_started", "sweep_summary"}:
        assert DEFS[name]["patternProperties"] == {"^rate$": {"$ref": "#/$defs/sweep_rate"}}, name
    assert DEFS["sweep_started"]["properties"]["rates"]["maxItems"] == MAX_SWEEP_RATES


@pytest.mark.subprocess
def test_the_classification_run_exercises_the_uncertainty_and_ood_branches(headless_runs):
    summary = json.loads(headless_runs["classification"][1].splitlines()[-1])
    assert summary["uncertainty"]["ood"]["source"] == "noise"  # the schema's non-null OOD branch was checked
    # The bootstrap gaps are optional in the schema (older recordings lack them); the engine always writes them.
    assert set(summary["uncertainty"]["gaps"]["auroc_error"]) == set(SCORE_NAMES[1:])
    assert set(summary["uncertainty"]["ood"]["gaps"]["auroc"]) == set(SCORE_NAMES[1:])


@pytest.mark.subprocess
def test_the_regression_run_reports_its_methods_as_distributions(headless_runs):
    events = [json.loads(line) for line in headless_runs["regression"][1].splitlines()]
    blocks = [event["uncertainty"] for event in events if event["event"] in ("mode_evaluation", "summary")]
    assert blocks and all(list(block) == ["methods"] for block in blocks)
    assert all(list(block["methods"]) == ["inference", "mc"] for block in blocks)
    summary = events[-1]
    assert summary["uncertainty"]["methods"]["mc"]["sharpness"] == summary["modes"]["mc"]["std"]


@pytest.mark.subprocess
def test_the_classification_run_reports_every_method(headless_runs):
    summary = json.loads(headless_runs["classification"][1].splitlines()[-1])
    methods, modes = summary["uncertainty"]["methods"], summary["modes"]
    assert list(methods) == ["inference", "temperature_scaled", "mc"]
    accuracy = modes["inference"]["accuracy"]
    assert methods["temperature_scaled"]["accuracy"] == methods["inference"]["accuracy"] == accuracy
    assert methods["mc"]["ece"] == modes["mc"]["ece"] and methods["mc"]["passes"] == modes["mc"]["samples"]
    assert list(summary["uncertainty"]["ood"]["methods"]) == list(methods)


def test_events_a_headless_run_never_writes_validate_too():
    """The app-only events and a NaN that json_safe writes as null, built by the engine's own classes."""
    events = [
        RateScheduled(epoch=3, rate=0.25, rates={"dropout": 0.25}),
        RateChanged(epoch=3, global_step=47, rate=0.25, rates={"dropout": 0.25, "lstm.recurrent_dropout": 0.1}),
        SamplesChanged(samples=60),
        Notice("rate stays at 0.95: a step up would reach 1"),
        EpochEnd(1, float("nan"), 0.5, 0.6, 0.8, 0.7, 1.0, 100.0, float("nan")),
    ]
    assert _problems([event.to_json() for event in events]) == []


def test_an_undocumented_field_or_event_is_rejected():
    line = Notice("x").to_dict()
    assert VALIDATOR.is_valid(line)
    assert not VALIDATOR.is_valid({**line, "extra": 1})
    assert not VALIDATOR.is_valid({**line, "event": "no_such_event"})


# ---------------------------------------------------------------- the recorded fixture


@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.name for path in FIXTURES])
def test_the_recorded_fixtures_follow_the_contract(fixture):
    """The streams the snapshot tests replay are real runs of this engine (re-record them when it changes)."""
    assert FIXTURES, "no recorded streams found"
    problems = [
        f"line {number} ({_strict_json(line)['event']}): {error.message[:200]}"
        for number, line in enumerate(fixture.read_text(encoding="utf-8").splitlines(), 1)
        for error in _branch_errors(_strict_json(line))
    ]
    assert problems == []


# ---------------------------------------------------------------- one fact in one place


def test_the_schema_mode_and_score_parts_are_the_registries():
    assert schema_registry_problems(DEFS) == []


def test_the_documented_scores_are_the_registry():
    assert doc_score_list() in " ".join(DOC.split())


def test_the_schema_tasks_are_the_registry():
    assert DEFS["task"]["enum"] == list(TASKS)


def _doc_mode_table() -> dict[str, dict[str, set[str]]]:
    """docs/headless.md's modes table: mode -> task -> the keys its row lists."""
    lines = DOC[DOC.index("## The modes") :].splitlines()
    header = next(line for line in lines if line.startswith("| mode |"))
    tasks = [cell.strip().removesuffix(" keys") for cell in header.strip("|").split("|")[2:]]
    rows = {}
    for line in lines[1:]:
        if line.startswith("## "):
            break
        match = re.match(r"\| `(\w+)` \|", line)
        if match:
            cells = line.strip("|").split("|")[2:]
            rows[match.group(1)] = {t: set(re.findall(r"`(\w+)`", cell)) for t, cell in zip(tasks, cells, strict=True)}
    return rows


def test_the_documented_mode_table_is_the_registry():
    assert _doc_mode_table() == {mode.name: {task: set(mode.metrics[task]) for task in TASKS} for mode in MODES}


def test_the_uncertainty_block_matches_the_engine():
    """A real report (pure NumPy), with an OOD table, validates: its keys, scores, coverages and bin count."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=40)
    mc_mean = (probs + rng.dirichlet(np.ones(4), size=40)) / 2
    expected = uncertainty.entropy(mc_mean) * 0.9
    labels = rng.integers(0, 4, size=40)
    scores = uncertainty.uncertainty_scores(probs, mc_mean, expected)
    ood = {"source": "noise", "n": 40, "scores": uncertainty.ood_table(scores, scores)}
    scaled, temperatures = temperature.cross_fitted(np.log(probs), labels, seed=0)
    extra = {"temperature": float(np.mean(temperatures)), "temperatures": list(temperatures)}
    predictions = {
        "inference": methods.Prediction(probs, 1),
        "temperature_scaled": methods.Prediction(scaled, 1, predicted=np.argmax(probs, axis=1), extra=extra),
        "mc": methods.Prediction(mc_mean, 5, expected_entropy=expected),
        "ensemble": methods.Prediction(mc_mean, 3, expected_entropy=expected, extra={"members": 3}),
    }
    report = json.loads(json.dumps(methods.classification_report(predictions, labels, ood, predictions)))
    validator = jsonschema.Draft202012Validator({"$defs": DEFS, "$ref": "#/$defs/uncertainty"})
    assert [error.message for error in validator.iter_errors(report)] == []
    assert set(DEFS["methods_classification"]["properties"]) == set(methods.METHOD_NAMES)
    assert set(DEFS["method_classification"]["required"]) == set(methods.CLASSIFICATION_FIGURES)
    bins = DEFS["reliability"]["properties"]["bins"]
    assert bins["minItems"] == bins["maxItems"] == uncertainty.RELIABILITY_BINS


def test_the_regression_block_matches_the_engine():
    rng = np.random.default_rng(0)
    samples, y = rng.normal(size=(5, 30, 1)), rng.normal(size=30)
    predictions = {
        "inference": methods.RegressionPrediction(samples[0], None, 1),
        "mc": methods.RegressionPrediction.from_samples(samples),
        "ensemble": methods.RegressionPrediction.from_samples(samples[:3], members=3),
    }
    report = json.loads(json.dumps(methods.regression_report(predictions, y)))
    validator = jsonschema.Draft202012Validator({"$defs": DEFS, "$ref": "#/$defs/uncertainty_regression"})
    assert [error.message for error in validator.iter_errors(report)] == []
    assert set(DEFS["method_regression"]["required"]) == set(methods.REGRESSION_FIGURES)
    levels = DEFS["method_regression"]["properties"]["coverage"]["oneOf"][1]["required"]
    assert levels == [str(level) for level in regression_metrics.INTERVAL_LEVELS]


def _wire_keys(cls) -> set[str]:
    """The keys cls.to_dict() writes (Summary drops history), from an instance with every field None."""
    return set(cls(**{f.name: None for f in dataclasses.fields(cls)}).to_dict())


def test_every_event_type_has_a_branch():
    refs = [branch["$ref"] for branch in SCHEMA["oneOf"]]
    assert sorted(refs) == sorted(f"#/$defs/{name}" for name in ALL_EVENT_TYPES)


@pytest.mark.parametrize("name", list(ALL_EVENT_TYPES))
def test_the_branch_lists_exactly_the_fields_of_the_event_class(name):
    branch, keys = DEFS[name], _wire_keys(ALL_EVENT_TYPES[name])
    assert branch["properties"]["event"] == {"const": name}
    assert set(branch["properties"]) == set(branch["required"]) == keys
    assert branch["additionalProperties"] is False


def test_the_config_object_lists_exactly_the_run_config():
    config = DEFS["config"]
    assert set(config["properties"]) == set(config["required"]) == {f.name for f in dataclasses.fields(RunConfig)}


@pytest.mark.training
def test_the_stochastic_layer_object_lists_every_key_discovery_writes():
    from dropout_tui.engine.model.discovery import KINDS, StochasticLayer

    layer = StochasticLayer("lstm", "LSTM", 0.1, 0.2, None, kind="recurrent", dropout=0.1, always_on=True)
    schema = DEFS["stochastic_layer"]
    assert set(schema["properties"]) == set(layer.to_json())
    assert set(schema["required"]) == set(StochasticLayer("d", "Dropout", 0.2, None, None).to_json())
    assert schema["properties"]["kind"]["enum"] == list(KINDS)


# ---------------------------------------------------------------- docs/headless.md


def _doc_section(name: str) -> str:
    """From the event's `### name` heading to the next ## or ### heading."""
    return re.search(rf"^### `{name}`.*?(?=^#{{2,3}} |\Z)", DOC, re.S | re.M).group(0)


@pytest.mark.parametrize("name", list(ALL_EVENT_TYPES))
def test_the_doc_has_a_row_for_every_field_of_every_event(name):
    section = _doc_section(name)
    missing = [key for key in sorted(_wire_keys(ALL_EVENT_TYPES[name]) - {"event"}) if f"| `{key}` |" not in section]
    assert missing == []


def _property_names(node) -> set[str]:
    names = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for value in node.values():
            names |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value)
    return names


def test_the_doc_names_every_key_of_the_schema_and_points_to_it():
    missing = [key for key in sorted(_property_names(SCHEMA)) if not re.search(rf"(?<![\w.]){re.escape(key)}\b", DOC)]
    assert missing == []
    assert "headless.schema.json" in DOC
