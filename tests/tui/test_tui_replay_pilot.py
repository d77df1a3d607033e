"""Pilot tests on hand-built event streams: every key, failures, odd inputs. No TensorFlow."""

from __future__ import annotations

import json

from textual import work
from textual.widgets import DataTable

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import (
    Failed,
    Finished,
    LogRecord,
    ModeEvaluation,
    Notice,
    RateChanged,
    RateScheduled,
    SamplesChanged,
    Status,
)
from dropout_tui.tui import explain_job
from dropout_tui.tui.app import DropoutApp, create_app
from dropout_tui.tui.panes.log import LogPane
from dropout_tui.tui.redraw import MODES_TABLE
from tests.support import eventkit as ev
from tests.support.apps import replay_app, until, widget_text
from tests.support.eventkit import screen_text


def _log_text(app: DropoutApp) -> str:
    """The log's words, with the pane's line wrapping undone."""
    view = app.query_one(LogPane).view
    return "" if view is None else " ".join(" ".join(strip.text for strip in view.lines).split())


def _stream():
    return [Status("loading", "loading TensorFlow"), ev.run_started(), *ev.epoch(1), *ev.epoch(2), ev.probe()]


async def test_panes_show_the_stream(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert table.row_count == 5
        flag = [str(c) for c in table.get_row("trainable_flag")]
        assert flag[-1] == "flag changed nothing" and flag[4] == "+0.0"
        assert [str(c) for c in table.get_row("training")][1] == "85.0±0.5"  # std 1.0 over R=5: error 1.0/sqrt(4)
        assert [str(c) for c in table.get_row("dropout_only")][-1] == "norm. frozen ≈training"
        caption = widget_text(app, "#loss-caption")  # ev.epoch: fit 0.8, clean train 0.4, dropout on 0.45, test 0.5
        assert caption == (
            "fit 0.800 = clean train 0.400 + dropout 0.050 + drift 0.350; test 0.500: generalisation gap 0.100"
        )
        assert "votes 3:3 5:1" in widget_text(app, "#probe-detail")
        status = widget_text(app, "#status-line")
        assert "epoch 2/5" in status and "1,000 samples/s" in status and "CPU" in status


async def test_controls_reach_the_engine(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        assert app.controls.paused
        assert "paused" in widget_text(app, "#status-line")
        await pilot.press("s")
        assert not app.controls.paused  # one step credit lets an epoch run
        await pilot.press("plus", "plus", "minus", "t", "T", "T", "n", "p", "u", "r")
        commands = [(c.name, c.value) for c in app.controls.pending_commands()]
        assert commands == [
            ("shift_rate", 1),
            ("shift_rate", 1),
            ("shift_rate", -1),
            ("set_samples", 15),  # T=30 from the config: halved, then doubled twice
            ("set_samples", 30),
            ("set_samples", 60),
            ("probe", "next"),
            ("probe", "prev"),
            ("probe", "most_uncertain"),
            ("probe", "redraw"),
        ]
        await pilot.press("x")
        assert app.controls.stop_requested and not app.controls.cancelled
        await pilot.press("q")
    assert app.controls.cancelled and app.return_code == 0


async def test_the_engine_decides_the_rate_and_the_app_shows_its_answer(tmp_path):
    # --rate 0.97: the UI sends a step, never a rate of its own; the engine answers that + cannot go up.
    app = replay_app(tmp_path, [ev.run_started(stochastic=[{**ev.DROPOUT[0], "rate": 0.97}])], rate=0.97)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("plus")
        assert [(c.name, c.value) for c in app.controls.pending_commands()] == [("shift_rate", 1)]
        app._buffer.put(Notice("rate stays at 0.97: a step up would reach 1"))
        await until(pilot, lambda: bool(_messages(app)))
        assert _messages(app) == ["rate stays at 0.97: a step up would reach 1"]
        assert "rate 0.97" in widget_text(app, "#config-line") and not app.state.rate_changes


async def test_keys_before_the_model_exists_or_without_rates_say_why_nothing_happens(tmp_path):
    app = replay_app(tmp_path, [])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("plus")
        assert app.controls.pending_commands() == [] and "still loading" in _messages(app)[-1]
        app._buffer.put(ev.run_started(stochastic=[{"name": "noise", "class": "GaussianNoise", "stddev": 0.1}]))
        await pilot.pause(0.2)
        await pilot.press("minus")
        assert app.controls.pending_commands() == [] and "no layer with a dropout rate" in _messages(app)[-1]


async def test_t_and_T_move_from_the_current_T_to_the_limits_of_the_cli(tmp_path):
    app = replay_app(tmp_path, [ev.run_started()], mc_samples=5000)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "T=5000" in widget_text(app, "#config-line")
        await pilot.press("T")  # no UI cap below the CLI's: 10000, not 1024
        assert [c.value for c in app.controls.pending_commands()] == [10000]
        app._buffer.put(SamplesChanged(samples=10000))
        # The header follows the engine, not the start value.
        await until(pilot, lambda: "T=10000" in widget_text(app, "#config-line"))
        assert "T=5000" not in widget_text(app, "#config-line")
    app = replay_app(tmp_path, [ev.run_started()], mc_samples=2**31 - 1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("T")
        assert app.controls.pending_commands() == [] and "T stays at 2147483647" in _messages(app)[-1]
        await pilot.press("t")
        assert [c.value for c in app.controls.pending_commands()] == [1073741824]


async def test_t_after_training_says_now_and_the_modes_row_header_and_export_follow_its_round(tmp_path):
    done = [*_stream(), Finished(epochs_run=2, seconds=3.0, stopped_by_user=False)]
    app = replay_app(tmp_path, done, epochs=2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("T")
        assert [c.value for c in app.controls.pending_commands()] == [60]
        assert _messages(app)[-1] == "MC samples T = 60 now: every mode is evaluated again"
        # The engine's answer: T, then the round measured at it.
        modes = ev.modes(0.9)
        modes["mc"]["samples"] = 60
        app._buffer.put(SamplesChanged(samples=60))
        app._buffer.put(ModeEvaluation(epoch=2, modes=modes, **{**ev.SETTING, "samples": 60}))
        await until(pilot, lambda: str(app.query_one(DataTable).get_row("mc")[0]) == "mc (T=60)")
        assert "T=60" in widget_text(app, "#config-line")
        app.action_export()
        exported = json.loads(next((tmp_path / "export").glob("*.json")).read_text())
        assert exported["samples"] == exported["modes"]["mc"]["samples"] == exported["history"][-1]["samples"] == 60


def _messages(app: DropoutApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_one_export_writes_one_round_in_its_svg_and_its_json(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.draw_now({MODES_TABLE})  # the modes table was just drawn: the throttle holds a new round back for a while
        app._buffer.put(ModeEvaluation(epoch=2, modes=ev.modes(0.4321), **{**ev.SETTING, "rates": {"dropout": 0.3}}))
        app._tick()
        app.action_export()  # `e` before the next frame
        (results,) = (tmp_path / "export").glob("*.json")
        exported = json.loads(results.read_text())
        assert exported["modes"]["inference"]["accuracy"] == 0.4321 and exported["rates"] == {"dropout": 0.3}
        svg = results.with_suffix(".svg").read_text().replace("&#160;", " ")
        assert "43.2" in svg and "90.0" not in svg  # the round the JSON holds, not the one drawn before it


async def test_export_key_writes_files_and_reports_errors(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        files = sorted(p.suffix for p in (tmp_path / "export").iterdir())
        assert files == [".csv", ".json", ".svg"]
        results = json.loads(next((tmp_path / "export").glob("*.json")).read_text())
        assert [h["epoch"] for h in results["history"]] == [1, 2]
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        app.export_dir = blocker / "sub"
        await pilot.press("e")
        await pilot.pause()
        assert any("export failed" in n.message for n in app._notifications)
        assert app.is_running


async def test_failure_is_shown_and_app_stays_up(tmp_path):
    failed = Failed(message="loss became NaN at epoch 2", epoch=2, traceback="Traceback (most recent call last):\nX")
    app = replay_app(tmp_path, [ev.run_started(), *ev.epoch(1), LogRecord("WARNING", "tf says hi"), failed])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "FAILED: loss became NaN" in widget_text(app, "#status-line")
        assert "1 warning" in widget_text(app, "#status-line")
        assert any("loss became NaN" in n.message for n in app._notifications)
        log = _log_text(app)
        assert "WARNING: tf says hi" in log and "Traceback (most recent call last):" in log
        assert app.query_one(LogPane).display  # narrow screens switch to the log on failure
        await pilot.press("space")
        assert app.is_running


async def test_q_after_a_failed_run_exits_1_as_headless_does(tmp_path):
    failed = Failed(message="loss became NaN at epoch 2", epoch=2)
    app = replay_app(tmp_path, [ev.run_started(), *ev.epoch(1), failed])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert notices == ["Run failed: loss became NaN at epoch 2"]  # no traceback to promise
        await pilot.press("q")
    assert app.return_code == 1


async def test_bad_input_found_by_the_run_ends_the_app_with_exit_2(tmp_path, monkeypatch):
    @work(thread=True, exclusive=True, exit_on_error=False, name="engine")
    def refuse(self) -> None:
        self.refused = ConfigError("--devices 3: this machine has no GPU and 2 CPU core(s) to split")

    monkeypatch.setattr(DropoutApp, "_run_engine", refuse)
    app = create_app(RunConfig(epochs=1), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    assert app.return_code == 2 and str(app.refused).startswith("--devices 3")


async def test_worker_exception_is_shown_with_traceback(tmp_path, monkeypatch):
    @work(thread=True, exclusive=True, exit_on_error=False, name="engine")
    def explode(self) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(DropoutApp, "_run_engine", explode)
    app = create_app(RunConfig(epochs=1), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):  # the engine starts once the main screen is up, and fails at once
            if "FAILED" in widget_text(app, "#status-line"):
                break
            await pilot.pause(0.05)
        assert "FAILED: RuntimeError: engine exploded" in widget_text(app, "#status-line")
        assert 'raise RuntimeError("engine exploded")' in _log_text(app)
        assert app.is_running


async def test_nan_everywhere_never_crashes(tmp_path):
    nan = float("nan")
    events = [ev.run_started(), *ev.epoch(1, fit=nan, test=float("inf")), ev.probe(image=[nan] * 64)]
    app = replay_app(tmp_path, events)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "fit nan" in widget_text(app, "#loss-caption") and "test inf" in widget_text(app, "#loss-caption")


async def test_inspect_mode_and_models_without_dropout(tmp_path):
    app = replay_app(
        tmp_path,
        [ev.run_started(stochastic=[]), ev.probe(image=[0.1] * 10, shape=[10])],
        command="inspect",
        model_path="m.keras",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "no training" in widget_text(app, "#loss-caption")
        assert "no stochastic layers" in app.query_one("#modes-pane").border_subtitle
        assert "non-image input" in widget_text(app, "#probe-facts")
        assert "every pass is identical" in widget_text(app, "#probe-detail")
        await pilot.press("plus")
        assert app.controls.pending_commands() == []


async def test_inspect_mode_shows_what_was_found_in_the_model(tmp_path):
    import dataclasses

    layers = [
        {"name": "sd", "class": "SpatialDropout2D", "rate": 0.2, "noise_shape": [None, 1, 1, None]},
        {"name": "drop", "class": "Dropout", "rate": 0.3, "noise_shape": None},
    ]
    notes = [
        "predict() is deterministic: dropout is off in predict and evaluate",
        "outputs are logits (final activation linear): softmax applied",
    ]
    started = dataclasses.replace(
        ev.run_started(stochastic=layers),
        command="inspect",
        notes=notes,
        normalization_layers=[{"name": "bn", "class": "BatchNormalization"}],
    )
    app = replay_app(tmp_path, [started], command="inspect", model_path="m.keras")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        report = " ".join(widget_text(app, "#loss-caption").split())
        assert "sd (SpatialDropout2D 0.2 noise_shape (None, 1, 1, None))" in report
        assert "drop (Dropout 0.3)" in report
        assert "BatchNormalization layers: 1" in report
        assert "predict() is deterministic" in report and "softmax applied" in report
        assert app.query_one("#loss-pane").border_title == "Model (inspect)"
        await pilot.press("l")
        await pilot.pause()
        log = _log_text(app)
        assert "softmax applied" in log


async def test_help_theme_log_and_explain_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(explain_job, "measure", ev.FakeExplain())
    app = replay_app(tmp_path, [ev.run_started(), Finished(epochs_run=1, seconds=2.0, stopped_by_user=True)])
    async with app.run_test(size=(80, 24)) as pilot:
        assert "stopped" in widget_text(app, "#status-line")
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        assert "why? the Explain screen" in screen_text(app)
        await pilot.press("escape")
        dark = app.current_theme.dark
        await pilot.press("d")
        assert app.current_theme.dark != dark
        assert not app.query_one(LogPane).display
        await pilot.press("l")
        assert app.query_one(LogPane).display
        await pilot.press("w")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExplainScreen"


async def test_no_color_renders(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        svg = app.export_screenshot()
        assert "Loss by epoch" in svg.replace("&#160;", " ")
        assert app.is_running


async def test_inspect_rates_are_each_layers_own_and_every_pane_and_the_export_agree(tmp_path):
    import dataclasses

    layers = [
        {"name": "drop", "class": "Dropout", "rate": 0.5, "noise_shape": None},
        {"name": "drop2", "class": "Dropout", "rate": 0.3, "noise_shape": None},
    ]
    started = dataclasses.replace(ev.run_started(stochastic=layers), command="inspect")
    app = replay_app(tmp_path, [started, ev.probe()], command="inspect", model_path="m.keras")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert "rates 0.50/0.30" in widget_text(app, "#config-line")  # the model's rates, not RunConfig's 0.2
        await pilot.press("plus")
        assert [(c.name, c.value) for c in app.controls.pending_commands()] == [("shift_rate", 1)]
        # The engine's answer: each layer one step up, applied at once (inspect does not train).
        app._buffer.put(RateChanged(epoch=1, global_step=0, rate=0.55, rates={"drop": 0.55, "drop2": 0.35}))
        await until(pilot, lambda: "drop (Dropout 0.55)" in widget_text(app, "#loss-caption"))
        assert "rates 0.55/0.35" in widget_text(app, "#config-line")
        report = " ".join(widget_text(app, "#loss-caption").split())
        assert "drop (Dropout 0.55)" in report and "drop2 (Dropout 0.35)" in report
        assert "now: every mode is evaluated again" in [n.message for n in app._notifications][-1]
        await pilot.press("e")
        await pilot.pause()
        exported = json.loads(next((tmp_path / "export").glob("*.json")).read_text())
        assert exported["rates"] == {"drop": 0.55, "drop2": 0.35}
        assert [layer["rate"] for layer in exported["stochastic_layers"]] == [0.55, 0.35]


async def test_plus_then_minus_while_paused_records_nothing(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("space", "plus")
        app._buffer.put(RateScheduled(epoch=3, rate=0.25, rates={"dropout": 0.25}))
        await until(pilot, lambda: "rate 0.25 at epoch 3" in widget_text(app, "#status-line"))
        await pilot.press("minus")
        app._buffer.put(RateScheduled(epoch=3, rate=0.2, rates={"dropout": 0.2}, withdrawn=True))
        await until(pilot, lambda: "at epoch 3" not in widget_text(app, "#status-line"))
        assert "withdrawn" in [n.message for n in app._notifications][-1]
        await pilot.press("e")
        await pilot.pause()
        exported = json.loads(next((tmp_path / "export").glob("*.json")).read_text())
        assert exported["rate_changes"] == [] and app.state.rate_changes == []
