"""`compare` says where each run came from and what it was measured at, warns about runs that cannot be compared
and about a run loaded twice, in the app (80x24) and in `compare --headless` (one JSON object, the schema's
$defs/compare). Files are written from recorded streams (tests/tui/fixtures), no TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

import dropout_tui.tui.cli as cli
from dropout_tui.tui.panes.chart import Chart
from dropout_tui.tui.sweep.app import SweepApp
from dropout_tui.tui.sweep.compare import load_runs
from dropout_tui.tui.sweep.comparison import facts, short_names, summary_line, warnings
from tests.cli.test_compare import RUN, SWEEP, _sweep_export, _train_export
from tests.support.eventkit import screen_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "headless.schema.json").read_text(encoding="utf-8"))
COMPARE = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/compare"})


def _headless(capsys, *files: Path) -> dict:
    assert cli.main(["compare", "--headless", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1  # one object, not a stream
    return json.loads(out)


def _edited(source: Path, target: Path, **changes) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key in ("dataset", "epochs_run"):
            data[key] = value
        else:
            data["config"][key] = value
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def test_headless_gives_every_run_with_its_provenance_and_setting(tmp_path, capsys):
    document = _headless(capsys, RUN, SWEEP)
    assert list(COMPARE.iter_errors(document)) == []
    runs = document["runs"]
    assert [run["label"] for run in runs] == ["run.jsonl"] + ["sweep.jsonl"] * 3
    assert [run["rates"] for run in runs] == [{"dropout": 0.2}, {"dropout": 0.0}, {"dropout": 0.2}, {"dropout": 0.5}]
    summary = json.loads(RUN.read_text().splitlines()[-1])
    assert runs[0]["modes"] == summary["modes"]
    for run in runs:
        assert (run["dataset"], run["task"], run["epochs"], run["seed"]) == ("digits", "classification", 3, 0)
        assert (run["samples"], run["repeats"]) == (30, 5)
        assert run["model"] == "default MLP (128 hidden)"
    assert document["warnings"] == []


def test_a_sweep_export_and_its_own_stream_are_flagged_as_loaded_twice(tmp_path, capsys):
    export = _sweep_export(tmp_path / "sweep.json")
    document = _headless(capsys, export, SWEEP)
    assert list(COMPARE.iter_errors(document)) == []
    assert len(document["warnings"]) == 3  # one per rate
    assert all("sweep.jsonl repeats a run of sweep.json" in line for line in document["warnings"])


def test_runs_of_other_data_or_length_are_warned_about_and_the_line_says_what_differs(tmp_path):
    base = _train_export(tmp_path / "base.json")
    other = _edited(base, tmp_path / "other.json", dataset="mnist", epochs_run=5, seed=7)
    runs = [facts(run) for run in load_runs([str(base), str(other)])]
    assert warnings(runs) == [
        "runs differ in dataset (digits, mnist) and epochs (3, 5): their numbers are not comparable"
    ]
    assert summary_line(runs) == "2 runs · differ: dataset, epochs, seed · same: T=30, R=5, tensorflow"
    same_seed = [facts(run) for run in load_runs([str(base), str(_edited(base, tmp_path / "s.json", seed=3))])]
    assert warnings(same_seed) == []  # another seed is a replicate, not an unrelated run
    assert summary_line(same_seed) == "2 runs · differ: seed · same: digits, 3 epochs, T=30, R=5, tensorflow"


def test_names_keep_what_tells_them_apart():
    names = short_names(["dropout-tui-20261206-033851.json", "dropout-tui-sweep-20261206-034012.json"])
    assert names == {
        "dropout-tui-20261206-033851.json": "20261206-033851.json",
        "dropout-tui-sweep-20261206-034012.json": "sweep-20261206-034012.json"[:9] + "…" + "034012.json"[-10:],
    }
    assert short_names(["run.jsonl"]) == {"run.jsonl": "run.jsonl"}  # one file: nothing to strip
    assert short_names(["a.json", "a.jsonl"]) == {"a.json": "a.json", "a.jsonl": "a.jsonl"}  # no empty names


async def test_at_80x24_the_table_shows_what_differs_and_the_status_warns(tmp_path, monkeypatch):
    base = _train_export(tmp_path / "dropout-tui-20261206-033851.json")
    other = _edited(base, tmp_path / "dropout-tui-20261206-041502.json", epochs_run=5, seed=4)
    lines: list[int] = []
    real_plot = Chart.plot
    monkeypatch.setattr(
        Chart, "plot", lambda self, xs, ys, **kw: lines.append(len(xs)) or real_plot(self, xs, ys, **kw)
    )
    app = SweepApp(compare=load_runs([str(base), str(other)]), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
    screen = text.splitlines()
    assert "2 runs · differ: epochs, seed · same: digits, T=30, R=5, tensorflow" in screen[0]
    assert "⚠ runs differ in epochs (3, 5)" in screen[1]
    header = next(line for line in screen if " ep " in line and "seed" in line)
    rows = [line for line in screen if ".json " in line]  # the shared "dropout-tui-20261206-0" left out
    assert len(rows) == 2 and rows[0].startswith("│033851.json 0.20  3    0") and "041502.json 0.20  5    4" in rows[1]
    assert header.index("ep") < header.index("seed")
    assert lines == []  # both runs at rate 0.2: x is the table's order, so no line joins them
