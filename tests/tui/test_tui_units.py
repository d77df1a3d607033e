"""UI building blocks without a terminal: formatting, state folding, export, fd capture."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from textual.app import App, ComposeResult

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    Failed,
    Finished,
    LogRecord,
    ModeEvaluation,
    Notice,
    RateChanged,
    RateScheduled,
    SamplesChanged,
    Summary,
    json_safe,
)
from dropout_tui.tui import export
from dropout_tui.tui.bridge import EventBuffer
from dropout_tui.tui.fmt import duration, num, rates_text, sparkline, tidy_log
from dropout_tui.tui.panes.log import LogPane
from dropout_tui.tui.panes.probe import probe_detail, render_image
from dropout_tui.tui.redraw import LOSS, STATUS
from dropout_tui.tui.run_state import RunState
from tests.support import eventkit as ev

LAYER = {"name": "dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None}


def test_numbers_never_leak_nan_or_inf():
    assert num(float("nan")) == "nan"
    assert num(float("inf")) == "inf"
    assert num(None) == "-"
    assert num(0.12345) == "0.123"
    assert sparkline([0.0, float("nan"), 1.0, float("inf")], 0.0, 1.0) == "▁·█·"
    assert sparkline([float("nan")]) == "·"
    assert len(sparkline(range(100), width=10)) == 10
    assert duration(3725) == "1:02:05"
    assert duration(float("nan")) == "-"


def test_event_buffer_hands_everything_over_once():
    buffer = EventBuffer()
    buffer.put(LogRecord("INFO", "a"))
    buffer.put(LogRecord("INFO", "b"))
    assert [e.message for e in buffer.drain()] == ["a", "b"]
    assert buffer.drain() == []


def test_state_folds_a_stream_and_keeps_nan_out_of_the_numbers():
    state = RunState(RunConfig(epochs=2))
    assert state.message == "loading TensorFlow"
    state.apply(ev.run_started())
    for event in ev.epoch(1) + [ev.probe(), RateChanged(epoch=2, global_step=5, rate=0.25)]:
        state.apply(event)
    assert state.state == "running"
    assert state.batch_x == [0.25, 0.5, 0.75, 1.0]
    assert state.epoch == 1 and state.rates == {"dropout": 0.25}
    assert state.mode_trend("mc") == [pytest.approx(0.86)]
    assert state.eta_seconds() == pytest.approx(1.5)
    assert LOSS in state.apply(ev.epoch(2)[0])
    dirty = state.apply(Failed(message="boom", traceback="Traceback ...\nValueError: boom"))
    assert state.state == "failed" and "log" in dirty
    assert state.logs[-1][1].startswith("boom\nTraceback")


def _epochs(*seconds: float) -> RunState:
    state = RunState(RunConfig(epochs=5))
    state.apply(ev.run_started())
    for n, took in enumerate(seconds, 1):
        state.apply(dataclasses.replace(ev.epoch(n)[1], seconds=took))
    return state


def test_the_eta_leaves_the_first_epoch_and_its_tracing_out_once_a_second_is_done():
    assert _epochs(10.0).eta_seconds() == pytest.approx(4 * 10.0)  # the only estimate there is
    assert _epochs(10.0, 2.0, 2.2).eta_seconds() == pytest.approx(2 * (2.0 + 2.2) / 2)  # not (10+2+2.2)/3
    assert _epochs(10.0, float("nan")).eta_seconds() == pytest.approx(3 * 10.0)  # no finite steady epoch yet
    assert _epochs(float("nan")).eta_seconds() is None


async def test_the_log_pane_draws_the_new_lines_and_leaves_the_state_as_it_was():
    state = RunState(RunConfig(epochs=2))
    state.log("warning", "first")

    class Logs(App):
        def compose(self) -> ComposeResult:
            yield LogPane(state, id="one")
            yield LogPane(state, id="two")

    app = Logs()
    async with app.run_test(size=(60, 20)) as pilot:
        one, two = app.query_one("#one", LogPane), app.query_one("#two", LogPane)
        one.update_from(state)
        state.log("info", "second")
        one.update_from(state)
        one.update_from(state)  # nothing new: nothing written again
        two.update_from(state)  # a second view of the same state sees every line
        await pilot.pause()
        assert list(state.logs) == [("warning", "first"), ("info", "second")]
        for pane in (one, two):
            assert pane.view is not None
            assert [strip.text.rstrip() for strip in pane.view.lines] == ["WARNING: first", "second"]


def test_probe_picture_and_text():
    picture = render_image([i / 63 for i in range(64)], [8, 8])
    assert picture is not None and picture.plain.count("\n") == 3  # 8 pixel rows -> 4 text rows
    assert len(picture.plain.splitlines()[0]) == 8
    assert render_image([0.5] * 10, [10]) is None  # tabular input: no picture
    mono = render_image([1.0] * 64, [8, 8], no_color=True)
    assert set(mono.plain.replace("\n", "")) == {"█"}
    big = render_image([0.0] * 28 * 28, [28, 28, 1])
    assert len(big.plain.splitlines()[0]) <= 16
    text = probe_detail(ev.probe(), stochastic=True, width=30)
    assert "votes 3:3 5:1" in text and "MI 0.200" in text and "·" in text


def _state_mid_run() -> RunState:
    state = RunState(RunConfig(epochs=5))
    for event in [ev.run_started(), *ev.epoch(1), ev.probe()]:
        state.apply(event)
    return state


def test_export_is_atomic_timestamped_and_never_overwrites(tmp_path):
    state = _state_mid_run()
    first = export.export(state, "<svg/>", tmp_path / "out", now=0)
    second = export.export(state, "<svg/>", tmp_path / "out", now=0)
    assert first.results != second.results and first.screenshot != second.screenshot
    data = json.loads(first.results.read_text())
    assert data["complete"] is False and data["epochs_run"] == 1
    assert set(data["modes"]) == {"inference", "training", "trainable_flag", "dropout_only", "mc"}
    assert data["history"][0]["epoch"] == 1
    assert data["probe"]["pass_probs"][2] is None  # NaN became null: strict JSON
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")) == []


def test_export_into_an_impossible_directory_raises_oserror(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        export.export(_state_mid_run(), "<svg/>", blocker / "sub")
    assert blocker.read_text() == "not a directory"


def test_loss_axis_is_logarithmic_with_readable_loss_labels():

    from dropout_tui.tui.panes.loss_chart import LogLossFormatter, to_log

    formatter = LogLossFormatter()
    ticks = formatter.get_ticks(math.log10(0.03), math.log10(2.5), 8)
    assert formatter.get_labels_for_ticks(ticks) == ["0.05", "0.1", "0.2", "0.5", "1", "2"]
    # A late-run gap of 0.05 vs 0.08 is a fifth of a decade apart: visible, unlike on a 0..2 linear axis.
    train, test = to_log([0.05, 0.08])
    assert test - train > 0.2
    assert to_log([0.0]) == [math.log10(1e-4)]  # zero or negative never reaches log10
    narrow = formatter.get_labels_for_ticks(formatter.get_ticks(math.log10(0.2), math.log10(0.25), 5))
    assert len(narrow) >= 2


def test_a_short_loss_chart_gets_fewer_labels_so_none_overprint():
    import math

    from dropout_tui.tui.panes.loss_chart import LogLossFormatter

    short, tall = LogLossFormatter(rows=lambda: 4), LogLossFormatter(rows=lambda: 30)
    assert len(short.get_ticks(math.log10(0.03), math.log10(2.5), 8)) <= 2
    assert len(tall.get_ticks(math.log10(0.03), math.log10(2.5), 8)) == 6


def test_rates_fold_from_the_engines_answers_and_a_withdrawn_change_leaves_no_trace():
    state = RunState(RunConfig(epochs=5))
    state.apply(ev.run_started())
    assert state.rates == {"dropout": 0.2}
    dirty = state.apply(RateScheduled(epoch=3, rate=0.25, rates={"dropout": 0.25}))
    assert state.scheduled is not None and STATUS in dirty
    state.apply(RateScheduled(epoch=3, rate=0.2, rates={"dropout": 0.2}, withdrawn=True))  # + then -
    assert state.scheduled is None and state.rate_changes == []
    assert state.apply(RateChanged(epoch=3, global_step=9, rate=0.2, rates={"dropout": 0.2})) == {STATUS}
    assert state.rate_changes == []  # 0.20 -> 0.20 is no change: nothing on the chart or in the export
    assert state.take_notices() == ["rate change from epoch 3: 0.25", "rate change withdrawn: rates stay at 0.20"]
    state.apply(RateScheduled(epoch=4, rate=0.25, rates={"dropout": 0.25}))
    assert LOSS in state.apply(RateChanged(epoch=4, global_step=13, rate=0.25, rates={"dropout": 0.25}))
    assert state.rates == {"dropout": 0.25} and len(state.rate_changes) == 1
    assert state.take_notices() == ["rate change from epoch 4: 0.25"]  # applied as announced: no second notice
    state.apply(Notice("rate stays at 0.95: a step up would reach 1"))
    assert state.take_notices() == ["rate stays at 0.95: a step up would reach 1"]


def test_rates_and_counts_in_words():
    assert rates_text({"d": 0.2}) == "rate 0.20"
    assert rates_text({"a": 0.5, "b": 0.3}) == "rates 0.50/0.30"
    assert rates_text({"a": 0.5, "b": 0.5}) == "rate 0.50"
    assert rates_text({str(i): i / 10 for i in range(1, 6)}) == "rates 0.10-0.50 (5 layers)"
    assert rates_text({"d": 0.125}) == "rate 0.125"
    assert rates_text({}) == "no dropout rate"


def test_tensorflow_start_up_lines_are_said_once_in_plain_words():
    state = RunState(RunConfig())
    onednn = (
        "I0000 00:00:1795823922.905898   16425 port.cc:153] oneDNN custom operations are on. You may see slightly "
        "different numerical results due to floating-point round-off errors from different computation orders."
    )
    state.log("info", onednn)
    state.log("", onednn)
    state.log("warning", "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
    state.log("warning", "W0000 00:00:1795823922.9   16425 op_level_cost.cc:690] Unknown op: Foo")
    state.log("info", "2024-05-01 12:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:210] other")
    assert list(state.logs) == [
        (
            "startup",
            "TensorFlow uses oneDNN: numbers may differ in the last digits (TF_ENABLE_ONEDNN_OPTS=0 turns it off)",
        ),
        ("warning", "Unknown op: Foo"),
        ("info", "other"),
    ]
    assert state.warnings == 1  # start-up noise is no warning
    assert tidy_log("info", "plain text stays") == ("info", "plain text stays")


def test_trends_share_one_scale_that_shows_real_size():
    from dropout_tui.tui.panes.modes import TREND_MIN_SPAN, trend_scale

    wobble = [[0.950, 0.953, 0.951], [0.90, 0.903, 0.90]]
    low, high = trend_scale(wobble)
    assert low <= 0.90 and high >= 0.953  # one scale for every row
    flat = trend_scale([[0.950, 0.953, 0.951]])
    assert flat[1] - flat[0] == pytest.approx(TREND_MIN_SPAN)  # a 0.3-point wobble is not a full-height swing
    assert sparkline([0.950, 0.953, 0.951], *flat) in ("▄▅▄", "▄▄▄", "▃▄▄", "▄▅▅")
    assert trend_scale([[None], []]) is None


def test_the_export_states_the_setting_its_figures_were_measured_at(tmp_path):
    # A change not measured yet: the figures are still the 0.2 round's, so the export says 0.2 and T=30.
    state = _state_mid_run()
    state.apply(RateChanged(epoch=2, global_step=5, rate=0.25, rates={"dropout": 0.25}))
    state.apply(SamplesChanged(samples=60))
    data = export.results_dict(state)
    assert (data["rates"], data["samples"], data["repeats"]) == ({"dropout": 0.2}, 30, 5)
    assert data["stochastic_layers"][0]["rate"] == 0.2
    assert [change["rate"] for change in data["rate_changes"]] == [0.25]
    # Its round, measured at 0.25 and T=60, then becomes the export's figures and setting.
    state.apply(ModeEvaluation(epoch=1, modes=ev.modes(0.5), rates={"dropout": 0.25}, samples=60, repeats=5))
    data = export.results_dict(state)
    assert (data["rates"], data["samples"], data["stochastic_layers"][0]["rate"]) == ({"dropout": 0.25}, 60, 0.25)


def test_an_export_after_plus_holds_the_round_measured_at_the_new_rate():
    # The run: training over (summary at 0.2), `+ +` re-evaluates at 0.3, then `e`.
    state = RunState(RunConfig(epochs=1))
    for event in [ev.run_started(), *ev.epoch(1, uncertainty=ev.uncertainty(seed=1)), ev.probe()]:
        state.apply(event)
    end = state.evaluations[-1]
    state.apply(Finished(epochs_run=1, seconds=1.0, stopped_by_user=False))
    state.apply(
        Summary("digits", 10, 5, 1, 1.0, [LAYER], end.modes, uncertainty=end.uncertainty, history=[end.history_entry()])
    )
    state.apply(RateChanged(epoch=2, global_step=4, rate=0.3, rates={"dropout": 0.3}))
    again = ModeEvaluation(
        epoch=1, modes=ev.modes(0.5), uncertainty=ev.uncertainty(seed=2), rates={"dropout": 0.3}, samples=30, repeats=5
    )
    state.apply(again)
    data = export.results_dict(state)
    last = data["history"][-1]
    assert data["modes"] == last["modes"] == json_safe(again.modes)
    assert data["uncertainty"] == last["uncertainty"] == json_safe(again.uncertainty)
    assert data["rates"] == last["rates"] == {"dropout": 0.3}
    assert [(r["rates"], r["samples"], r["repeats"]) for r in data["history"]] == [
        ({"dropout": 0.2}, 30, 5),
        ({"dropout": 0.3}, 30, 5),
    ]


def test_the_batch_series_is_finite_logged_and_averaged_down_like_a_plain_loop():
    import random

    from dropout_tui.tui.panes.loss_chart import LOSS_FLOOR, batch_series

    rng = random.Random(0)
    xs = [i / 50 for i in range(1003)]
    ys = [rng.uniform(0.01, 3.0) for _ in xs]
    ys[5], ys[17], xs[40] = float("nan"), float("inf"), float("nan")  # dropped, never drawn
    ys[60] = 0.0  # sits on the log floor
    pairs = [(a, math.log10(max(b, LOSS_FLOOR))) for a, b in zip(xs, ys) if math.isfinite(a) and math.isfinite(b)]
    limit = 100
    expected_x, expected_y = [], []
    for index in range(limit):  # the reference: neighbours averaged in equal-count bins
        chunk = pairs[index * len(pairs) // limit : (index + 1) * len(pairs) // limit]
        expected_x.append(sum(p[0] for p in chunk) / len(chunk))
        expected_y.append(sum(p[1] for p in chunk) / len(chunk))
    x, y = batch_series(xs, ys, limit)
    assert len(x) == len(y) == limit
    assert x == pytest.approx(expected_x) and y == pytest.approx(expected_y)
    short_x, short_y = batch_series(xs[:30], ys[:30], limit)
    assert short_x == [a for a, _ in pairs[:28]] and short_y == pytest.approx([b for _, b in pairs[:28]])


def test_a_repeated_mode_reads_the_same_in_the_modes_table_and_the_sweep():
    # ± is the standard error of the mean over R passes everywhere (issue 17: one number on every surface).
    from dropout_tui.engine.evaluation.modes import TRAINING
    from dropout_tui.engine.events import ModeEvaluation
    from dropout_tui.tui.panes.modes import mode_row
    from dropout_tui.tui.sweep.metrics import _accuracy_spread
    from dropout_tui.tui.sweep.state import RateRun

    metrics = {"accuracy": 0.877, "accuracy_std": 0.006, "repeats": 5, "loss": 0.637, "loss_std": 0.01}
    run = RateRun(0.2)
    run.evaluations.append(ModeEvaluation(epoch=3, modes={TRAINING.name: metrics}))
    table = mode_row(TRAINING, metrics, 0.908, "", None)[1]
    assert table == _accuracy_spread(run) == "87.7±0.3"  # 0.6 / sqrt(5 - 1), not the spread 0.6
