"""The sweep app on replayed, hand-built event streams (no TensorFlow): the table, the chart's metric keys, progress,
export, pause/stop/quit against a stand-in sweep, compare mode, the help, sizes; and its key table."""

from __future__ import annotations

import csv
import json
import threading

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    BatchLosses,
    EpochEnd,
    Failed,
    Finished,
    ModeEvaluation,
    RunStarted,
    Status,
    Summary,
    SweepStarted,
    SweepSummary,
)
from dropout_tui.engine.sweep.runner import Tagged
from dropout_tui.tui import keys as keytable
from dropout_tui.tui.export_series import HEADER
from dropout_tui.tui.keys import EVERYWHERE, KEYS, SWEEP
from dropout_tui.tui.sweep import app as sweep_app
from dropout_tui.tui.sweep.app import SweepApp, SweepHelp
from dropout_tui.tui.sweep.compare import load_runs
from dropout_tui.tui.sweep.metrics import COLUMNS, metrics_for
from dropout_tui.tui.sweep.panes import chart_points, fit_columns, table_cells
from dropout_tui.tui.sweep.state import SweepState
from tests.support.apps import until
from tests.support.eventkit import screen_text

CONFIG = RunConfig(epochs=2, mc_samples=5, repeats=2)
LAYER = {"name": "dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None}


def _modes(rate: float) -> dict:
    accuracy = 0.95 - 0.1 * rate
    return {
        "inference": {"accuracy": accuracy, "loss": 0.2, "ece": 0.02, "brier": 0.1},
        "training": {
            "accuracy": accuracy - rate / 4,
            "accuracy_std": 0.01,
            "loss": 0.3,
            "loss_std": 0.01,
            "repeats": 2,
            "bn_moving_stats_shift": 0.0,
        },
        "trainable_flag": {"accuracy": accuracy, "loss": 0.2, "max_abs_diff_vs_inference": 0.0},
        "dropout_only": {"accuracy": accuracy - rate / 5, "accuracy_std": 0.01, "loss": 0.3, "loss_std": 0.01,
                         "repeats": 2},
        "mc": {"accuracy": accuracy + 0.01, "loss": 0.19 + rate / 10, "ece": 0.03, "brier": 0.09, "samples": 5},
    }  # fmt: skip


def _uncertainty(rate: float) -> dict:
    score = {"auroc_error": 0.8 + rate / 10, "aurc": 0.02, "accuracy_at_coverage": {}, "curve": []}
    return {"reliability": {}, "scores": {"mutual_information": score, "max_prob": score}, "decomposition": {}}


def _run(rate: float, epochs: int = 2, finish: bool = True) -> list[Tagged]:
    config, layers = {**CONFIG.to_dict(), "rate": rate}, [{**LAYER, "rate": rate}]
    events = [
        Status("loading", "loading data"),
        RunStarted("train", config, "digits", 128, 32, [8, 8], 10, layers, [], "3", "2", ["CPU"], 4),
        Status("running", f"training {epochs} epoch(s)"),
    ]
    for epoch in range(1, epochs + 1):
        events += [
            BatchLosses(epoch, 1, (epoch - 1) * 4 + 1, [0.9, 0.8, 0.7, 0.6], 1000.0),
            EpochEnd(epoch, 0.5 + rate, 0.4, 0.45, 0.9, 0.88, 1.5, 1000.0, rate, 0.4 + rate / 2),
            Status("evaluating", f"evaluating every mode after epoch {epoch}"),
            ModeEvaluation(epoch, _modes(rate), 0.5, _uncertainty(rate)),
        ]
    if finish:
        layers = [{**LAYER, "rate": rate}]
        summary = Summary("digits", 128, 32, epochs, 3.0, layers, _modes(rate), uncertainty=_uncertainty(rate))
        events += [Status("finished", ""), Finished(epochs, 3.0, False), summary]
    return [Tagged(rate, event) for event in events]


def _sweep(rates=(0.0, 0.2, 0.5), partial: bool = False) -> list:
    items = [SweepStarted(list(rates), 1, {**CONFIG.to_dict(), "rate": None})]
    for rate in rates[:-1] if partial else rates:
        items += _run(rate)
    if partial:
        items += _run(rates[-1], finish=False)[:5]  # one epoch's batches and its epoch_end
        return items
    summaries = [{"rate": t.rate, "summary": t.event.to_dict()} for t in items if isinstance(t, Tagged)]
    summaries = [entry for entry in summaries if entry["summary"]["event"] == "summary"]
    return [*items, SweepSummary(summaries, True)]


def _app(tmp_path, items=None, rates=(0.0, 0.2, 0.5), **kwargs) -> SweepApp:
    app = SweepApp(CONFIG, rates=rates, export_dir=tmp_path, replay=_sweep(rates) if items is None else items)
    app.animation_level = "none"
    return app


async def test_the_table_has_a_row_per_rate_and_the_finished_numbers(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "finished: 3 of 3 rates" in text
        rows = [line for line in text.splitlines() if "done" in line]
        assert len(rows) == 3
        # rate 0.5: fit 1.000, clean 0.400, penalty +0.250, test 0.450, accuracies 90.0, 77.5±1.0, 91.0
        assert "0.50 done 1.000 0.400 +0.250 0.450 90.0 77.5±1.0 91.0" in rows[2]
        assert "0.850" in rows[2]  # MC mutual information's AUROC


async def test_metric_keys_cycle_the_chart_and_highlight_its_columns(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        classification = metrics_for("classification")
        assert app.metric.key == "accuracy" and "metric 1 of" in screen_text(app)
        await pilot.press("m")
        assert app.metric.key == classification[1].key
        assert classification[1].title in screen_text(app)
        await pilot.press("M", "M")
        assert app.metric.key == classification[-1].key
        for _ in classification:  # every metric draws
            await pilot.press("m")
            await pilot.pause()
        assert app.metric.key == classification[-1].key


async def test_a_run_in_progress_shows_its_epoch_and_is_drawn_as_it_trains(tmp_path):
    app = _app(tmp_path, items=_sweep(partial=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "training rate 0.50 (2 of 3 done)" in text
        assert "epoch 1/2" in text and "ETA" in text
        assert any(line.startswith("│0.50  1/2") for line in text.splitlines())
        assert "│ rate 0.50: drawn as it trains" in text


async def test_export_writes_every_finished_rate_and_compare_reads_it_back(tmp_path):
    app = _app(tmp_path, items=_sweep(partial=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert any(n.message.startswith("wrote dropout-tui-sweep-") for n in app._notifications)
    (results,) = tmp_path.glob("dropout-tui-sweep-*.json")
    assert results.with_suffix(".svg").read_text().startswith("<svg")
    data = json.loads(results.read_text())
    assert data["event"] == "sweep_summary" and data["complete"] is False
    assert [entry["rate"] for entry in data["rates"]] == [0.0, 0.2]
    assert [len(entry["summary"]["history"]) for entry in data["rates"]] == [2, 2]
    assert data["unfinished"][0]["rate"] == 0.5 and len(data["unfinished"][0]["epochs"]) == 1
    runs = load_runs([str(results)])
    assert [run.rate for run in runs] == [0.0, 0.2] and runs[1].modes == _modes(0.2)
    rows = list(csv.DictReader(results.with_suffix(".csv").read_text().splitlines()))
    assert list(rows[0]) == list(HEADER)
    for metric in metrics_for(app.state.task):  # every chart m/M cycle through, the points it draws
        for series, xs, ys in chart_points(app.state, metric):
            got = [(float(r["x"]), float(r["y"])) for r in rows if r["series"] == f"{metric.key}:{series.label}"]
            assert got == list(zip(xs, ys, strict=True)) and all(r["x_name"] == "rate" for r in rows)
    assert any(r["series"] == "accuracy:mc" for r in rows)


async def test_a_failed_export_says_so_and_the_app_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    app = _app(blocker / "sub")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert any(n.message.startswith("export failed: ") for n in app._notifications)
        assert app.is_running


class FakeSweep:
    """Stands in for engine.sweep.Sweep in the app's worker: one run that trains until stopped or cancelled."""

    started = threading.Event()

    def __init__(self, config, rates, sink, controls, *, jobs=1, command=None) -> None:
        self.sink, self.controls, self.rates, self.user_error = sink, controls, rates, None

    def run(self):
        self.sink(SweepStarted(list(self.rates), 1, {}))
        run = self.controls.begin_run()
        for item in _run(self.rates[0], finish=False)[:4]:
            self.sink(item)
        FakeSweep.started.set()
        while not run.stop_requested:
            run.wait(0.05)
        self.sink(SweepSummary([], False))


@pytest.fixture
def fake_sweep(monkeypatch):
    FakeSweep.started.clear()
    monkeypatch.setattr(sweep_app, "Sweep", FakeSweep)
    return FakeSweep


async def test_pause_stop_and_quit_reach_the_sweep(tmp_path, fake_sweep):
    app = SweepApp(CONFIG, rates=(0.1, 0.3), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert fake_sweep.started.wait(10)
        await until(pilot, lambda: "training rate 0.10" in screen_text(app))
        await pilot.press("space")
        assert app.controls.paused and "paused (space resumes)" in screen_text(app)
        await pilot.pause()
        assert "space Resume" in screen_text(app).splitlines()[-1]  # the footer says what space does now
        await pilot.press("space")
        assert not app.controls.paused
        await pilot.pause()
        assert "space Pause" in screen_text(app).splitlines()[-1]
        await pilot.press("x")
        assert app.controls.stop_requested and not app.controls.cancelled
        await until(pilot, lambda: "ended: 0 of 2 rates" in screen_text(app))
        await pilot.press("q")
    assert app.return_code == 0 and app.controls.cancelled


async def test_ctrl_c_quits_with_130_and_cancels_the_sweep(tmp_path, fake_sweep):
    app = SweepApp(CONFIG, rates=(0.1,), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert fake_sweep.started.wait(10)
        await pilot.press("ctrl+c")
    assert app.return_code == 130 and app.controls.cancelled


async def test_the_first_frame_comes_before_any_run(tmp_path, monkeypatch):
    gate = threading.Event()

    class Waiting(FakeSweep):
        def run(self):
            gate.wait(10)

    monkeypatch.setattr(sweep_app, "Sweep", Waiting)
    app = SweepApp(CONFIG, rates=(0.1, 0.3), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "loading TensorFlow (0 of 2 done)" in text and "0.10 wait" in text
        gate.set()


async def test_a_tick_that_lands_during_shutdown_draws_nothing(tmp_path):
    # Textual empties the screen stack before it stops the app's timers; a tick in between crashed the exit.
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)):
        pass
    assert not app.screen_stack
    app._tick()


async def test_too_small_a_terminal_says_so_and_the_panes_come_back(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert "needs at least 80x24" in screen_text(app) and "60x20" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "needs at least" not in screen_text(app) and "finished: 3 of 3" in screen_text(app)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_it_fits_from_80x24_to_200x60(tmp_path, size):
    app = _app(tmp_path, rates=tuple(i / 20 for i in range(20)))  # the most rates a sweep takes
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        lines = text.splitlines()
        assert len(lines) == size[1] and all(len(line) <= size[0] for line in lines)
        assert "m/M: metric 1 of" in text and "Metric" in lines[-1]
        if size == (200, 60):
            assert "more column" not in text and sum("done" in line for line in lines) == 20
        else:
            assert "more column" in text  # the frame says what was left out
            await pilot.press("down", "down", "down")
            await pilot.pause()
            assert "0.15 done" in screen_text(app)


def test_columns_give_way_by_priority_on_a_narrow_terminal():
    state = SweepState.planned(CONFIG, (0.0, 0.5))
    for item in _sweep((0.0, 0.5)):
        state.apply(item)
    cells = table_cells(state, COLUMNS)
    shown, _, hidden = fit_columns(COLUMNS, cells, 78)
    kept = [COLUMNS[index].key for index in shown]
    assert hidden == 2 and "aurc" not in kept and "auroc" not in kept and kept[:2] == ["rate", "run"]
    assert fit_columns(COLUMNS, cells, 200)[2] == 0


async def test_compare_shows_files_and_has_no_run_keys(tmp_path):
    sweep_file = tmp_path / "runs.jsonl"
    sweep_file.write_text("\n".join(item.to_json() for item in _sweep()) + "\n")
    app = SweepApp(compare=load_runs([str(sweep_file)]), export_dir=tmp_path)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "3 runs · differ: rate · same: digits, 2 epochs, seed 0, T=5, R=2" in text
        assert text.count("runs.jsonl") == 3  # a row each (one file: its name is kept whole)
        assert "1 file(s) │ x: each run's rate" in text
        footer = text.splitlines()[-1]
        assert "Pause" not in footer and "Stop" not in footer and "Export" in footer
        await pilot.press("space", "x")
        assert not app.controls.paused and not app.controls.stop_requested
        await pilot.press("e")
        await pilot.pause()
    (results,) = tmp_path.glob("dropout-tui-compare-*.json")
    assert json.loads(results.read_text())["files"] == ["runs.jsonl"]
    rows = list(csv.DictReader(results.with_suffix(".csv").read_text().splitlines()))
    accuracy = [(float(r["x"]), float(r["y"])) for r in rows if r["series"] == "accuracy:mc"]
    (points,) = [
        zip(xs, ys)
        for series, xs, ys in chart_points(app.state, metrics_for("classification")[0])
        if series.label == "mc"
    ]
    assert accuracy == list(points) and len(accuracy) == 3


async def test_the_help_lists_the_sweep_keys_and_closes(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, SweepHelp)
        box, keys = app.screen.query_one("#help-box"), app.screen.query_one("#help-text")
        assert keys.region.bottom <= box.content_region.bottom and box.region.bottom <= 24  # the terms follow
        text = screen_text(app)
        for key in keytable.keys_for(SWEEP):
            assert key.description in text, key
        await pilot.press("escape")
        assert not isinstance(app.screen, SweepHelp) and app.is_running


def test_every_sweep_binding_comes_from_the_key_table():
    table = {(k.key, k.action) for k in KEYS if k.where in (SWEEP, EVERYWHERE) and k.action != keytable.COMMAND_PALETTE}
    assert {(binding.key, binding.action) for binding in SweepApp.BINDINGS} == table
    for key in KEYS:
        if key.where in (SWEEP, EVERYWHERE):
            assert hasattr(SweepApp, f"action_{key.action_name}"), key
    keys = [k.key for k in KEYS if k.where == SWEEP]
    assert len(keys) == len(set(keys))
    everywhere = {k.key for k in KEYS if k.where == EVERYWHERE}
    assert not everywhere & set(keys)


@pytest.mark.subprocess
def test_the_sweep_app_starts_without_tensorflow():
    """TensorFlow loads inside the worker's first run: the first frame never waits for it."""
    import subprocess
    import sys

    code = (
        "import sys, dropout_tui.tui.sweep.app, dropout_tui.tui.cli.sweep_headless; print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


async def test_at_80x24_the_export_notice_names_its_directory_and_the_legend_every_score(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = SweepApp(CONFIG, rates=(0.0, 0.2, 0.5), export_dir="dropout-tui-export", replay=_sweep((0.0, 0.2, 0.5)))
    app.animation_level = "none"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        while app.metric.key != "auroc":
            await pilot.press("m")
        await pilot.pause()
        legend = str(app.query_one("#sweep-legend").render())
        assert legend.endswith("mutual info (MC)") and "…" not in legend  # was cut to "mutual ..."
        await pilot.press("e")
        await pilot.pause()
        screen = screen_text(app).splitlines()
    (written,) = (tmp_path / "dropout-tui-export").glob("*.json")
    notice = screen[0]  # notices cover the settings row, not the key bar
    assert "in dropout-tui-export" in notice and ".json" in notice and ".svg" in notice and "e Export" in screen[-1]
    assert written.stem[-6:] in notice  # the time stamp's end stays when the name is cut


@pytest.mark.parametrize("fails", [True, False], ids=["a rate failed", "every rate finished"])
async def test_q_exits_1_after_a_failed_rate_as_headless_does(tmp_path, fails):
    items = _sweep((0.0, 0.2))
    if fails:
        items = [*items[: len(_run(0.0)) + 1], *_run(0.2, finish=False)[:5], Tagged(0.2, Failed("loss became NaN"))]
    app = _app(tmp_path, items, rates=(0.0, 0.2))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("q")
    assert app.return_code == (1 if fails else 0)
