"""`dropout-tui compare`: exports (train's and the sweep's `e`) and headless .jsonl (train and sweep) read back into
runs; anything else refused in one line, exit 2, before the app opens. Files are written here from recorded
streams (tests/tui/fixtures), no TensorFlow."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import dropout_tui.tui.cli as cli
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import RateChanged
from dropout_tui.engine.sweep.runner import sweep_item_from_json
from dropout_tui.tui.export import results_dict
from dropout_tui.tui.replay import load_events
from dropout_tui.tui.run_state import RunState
from dropout_tui.tui.sweep.compare import load_runs
from dropout_tui.tui.sweep.comparison import compare_columns, facts, headless_document, summary_line, warnings
from dropout_tui.tui.sweep.export import sweep_dict
from dropout_tui.tui.sweep.metrics import COLUMNS, columns_for
from dropout_tui.tui.sweep.state import SweepState

FIXTURES = Path(__file__).resolve().parents[1] / "tui" / "fixtures"
RUN, SWEEP = FIXTURES / "run.jsonl", FIXTURES / "sweep.jsonl"


def _train_export(path: Path) -> Path:
    state = RunState(RunConfig(epochs=3))
    for event in load_events(RUN):
        state.apply(event)
    path.write_text(json.dumps(results_dict(state), indent=2), encoding="utf-8")
    return path


def _sweep_state() -> SweepState:
    state = SweepState.planned(RunConfig(epochs=3), (0.0, 0.2, 0.5))
    for item in load_events(SWEEP, sweep_item_from_json):
        state.apply(item)
    return state


def _sweep_export(path: Path) -> Path:
    path.write_text(json.dumps(sweep_dict(_sweep_state()), indent=2), encoding="utf-8")
    return path


def _cell(run, key: str) -> str:
    return next(column for column in COLUMNS if column.key == key).text(run)


def test_a_train_stream_and_its_export_give_the_same_run(tmp_path):
    exported, streamed = load_runs([str(_train_export(tmp_path / "train.json")), str(RUN)])
    summary = json.loads(RUN.read_text().splitlines()[-1])
    for run in (exported, streamed):
        assert run.rate == 0.2 and run.state == "finished" and len(run.epochs) == 3
        assert run.modes == summary["modes"]
    assert [exported.label, streamed.label] == ["train.json", "run.jsonl"]
    assert [_cell(exported, key) for key in ("fit", "test", "acc_mc")] == [
        _cell(streamed, key) for key in ("fit", "test", "acc_mc")
    ]
    assert [exported.x, streamed.x] == [1.0, 2.0]  # one rate twice: the chart goes by the table's order


def test_an_export_after_plus_is_compared_at_the_rate_its_figures_were_measured_at(tmp_path):
    # The recorded run (rate 0.2), then `+ +` after training: the engine applies 0.3 and measures every mode again.
    state = RunState(RunConfig(epochs=3))
    for event in load_events(RUN):
        state.apply(event)
    end = state.evaluations[-1]
    state.apply(RateChanged(epoch=4, global_step=0, rate=0.3, rates={"dropout": 0.3}))
    modes = {name: {**metrics, "accuracy": 0.5} for name, metrics in end.modes.items()}
    state.apply(dataclasses.replace(end, modes=modes, rates={"dropout": 0.3}))
    path = tmp_path / "after-plus.json"
    path.write_text(json.dumps(results_dict(state)), encoding="utf-8")
    (run,) = load_runs([str(path)])
    assert run.rate == 0.3 and run.modes["mc"]["accuracy"] == 0.5
    # A stamped round wins over the layers' rates (an export written before rounds carried their setting lies there).
    data = json.loads(path.read_text())
    data["stochastic_layers"][0]["rate"] = 0.2
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_runs([str(path)])[0].rate == 0.3


def test_a_sweep_stream_and_its_export_give_every_rate(tmp_path):
    streamed = load_runs([str(SWEEP)])
    exported = load_runs([str(_sweep_export(tmp_path / "sweep.json"))])
    summary = json.loads(SWEEP.read_text().splitlines()[-1])
    for runs in (streamed, exported):
        assert [run.rate for run in runs] == [0.0, 0.2, 0.5] == [run.x for run in runs]  # x: the rates
        assert [run.modes for run in runs] == [entry["summary"]["modes"] for entry in summary["rates"]]
        assert [len(run.epochs) for run in runs] == [3, 3, 3]
    assert [len(run.summary.history) for run in exported] == [3, 3, 3]  # the export keeps every round


def test_files_of_every_kind_side_by_side(tmp_path):
    runs = load_runs([str(SWEEP), str(RUN), str(_train_export(tmp_path / "a.json"))])
    assert [run.label for run in runs] == ["sweep.jsonl"] * 3 + ["run.jsonl", "a.json"]
    assert [run.x for run in runs] == [1.0, 2.0, 3.0, 4.0, 5.0]


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "not JSON": "hello\n",
        "a JSON list": "[1, 2]\n",
        "JSON without a summary": '{"event": "status", "state": "running", "message": ""}\n',
        "a summary without modes": '{"event": "summary", "dataset": "digits", "stochastic_layers": []}\n',
        "an unfinished run": "\n".join(RUN.read_text().splitlines()[:-1]) + "\n",
        "lines that are not events": '{"a": 1}\n{"b": 2}\n',
        "an empty sweep": '{"event": "sweep_summary", "rates": [], "complete": false}\n',
        "an empty file": "",
    }
    paths = {}
    for index, (name, text) in enumerate(files.items()):
        paths[name] = tmp_path / f"bad{index}.json"
        paths[name].write_text(text, encoding="utf-8")
    paths["binary"] = tmp_path / "binary.json"
    paths["binary"].write_bytes(b"\xff\xfe\x00garbage")
    paths["a directory"] = tmp_path
    paths["a missing file"] = tmp_path / "missing.json"
    return paths


BAD = [
    "not JSON",
    "a JSON list",
    "JSON without a summary",
    "a summary without modes",
    "an unfinished run",
    "lines that are not events",
    "an empty sweep",
    "an empty file",
    "binary",
    "a directory",
    "a missing file",
]


@pytest.mark.parametrize("name", BAD)
def test_a_file_that_is_not_an_export_is_refused_in_one_line(tmp_path, capsys, name):
    bad = _bad_files(tmp_path)[name]
    code = cli.main(["compare", str(RUN), str(bad)])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dropout-tui: error: compare: {bad}"), lines


def test_compare_needs_a_file(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["compare"])
    assert raised.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_files_that_share_a_name_are_labelled_by_their_path(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _train_export(tmp_path / "a" / "run.json"), _train_export(tmp_path / "b" / "run.json")
    assert [run.label for run in load_runs([str(first), str(second)])] == [str(first), str(second)]


def test_runs_of_different_backends_are_compared_and_each_says_its_backend(tmp_path):
    lines = RUN.read_text(encoding="utf-8").splitlines()
    summary = json.loads(lines[-1])
    assert summary["backend"] == "tensorflow"
    on_jax = tmp_path / "jax.jsonl"
    on_jax.write_text("\n".join([*lines[:-1], json.dumps({**summary, "backend": "jax", "backend_version": "0.10.2"})]))
    runs = load_runs([str(RUN), str(on_jax)])
    tensorflow, jax = runs
    (column,) = [c for c in compare_columns(runs, columns_for("classification", compare=True)) if c.key == "backend"]
    assert [column.text(tensorflow), column.text(jax)] == ["tensorflow", "jax"]
    assert jax.summary.backend_version == "0.10.2"
    all_facts = [facts(run) for run in runs]
    assert "differ: backend" in summary_line(all_facts)
    assert warnings(all_facts) == []  # the same figures on another backend: not the same run loaded twice
    assert [run["backend"] for run in headless_document(runs)["runs"]] == ["tensorflow", "jax"]
    # One backend throughout: no column, the line above the table says it once.
    same = load_runs([str(RUN)])
    assert "backend" not in [c.key for c in compare_columns(same, columns_for("classification", compare=True))]
    assert "tensorflow" in summary_line([facts(run) for run in same])
