"""What the panes show for a regression run, and what inspect's model report lists (recurrent layers with both
rates, custom and always-on layers, augmentation); the rates come from run_started.rates. No TensorFlow."""

from __future__ import annotations

import dataclasses
import json

from textual.widgets import DataTable

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import ModeEvaluation, RateChanged
from dropout_tui.tui import export
from dropout_tui.tui.panes.modes import REGRESSION_COLUMNS, trend_scale
from dropout_tui.tui.run_state import RunState, rates_of
from tests.support import eventkit as ev
from tests.support.apps import replay_app, widget_text

LSTM = {
    "name": "lstm",
    "class": "LSTM",
    "kind": "recurrent",
    "rate": None,
    "noise_shape": None,
    "dropout": 0.2,
    "recurrent_dropout": 0.3,
}
CUSTOM = {"name": "always", "class": "AlwaysOnDropout", "kind": "custom", "rate": 0.1, "noise_shape": None}
CUSTOM["always_on"] = True
NOISE = {"name": "noise", "class": "GaussianNoise", "kind": "noise", "rate": None, "noise_shape": None, "stddev": 0.1}
RATES = {"lstm.dropout": 0.2, "lstm.recurrent_dropout": 0.3, "always": 0.1}


async def test_a_regression_run_switches_the_columns_and_the_probe(tmp_path):
    app = replay_app(tmp_path, ev.regression_run(), task="regression")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert tuple(str(column.label) for column in table.columns.values()) == REGRESSION_COLUMNS
        rows = {key.value: [str(c) for c in table.get_row(key)] for key in table.rows}
        assert rows["inference"][:4] == ["inference", "1", "0.8", ""]  # epoch 2: RMSE 2.0 / 2
        assert rows["training"][1:4] == ["1.1±0.01", "0.85", "+10.0%"]  # ± 0.02/sqrt(R-1); ΔRMSE in % of inference
        assert rows["mc"][5:] == ["0.25", "2.1", "42%"]  # MC std, Gaussian NLL, coverage of the 90% interval
        assert rows["trainable_flag"][5:] == ["", "", ""]
        assert "ΔRMSE: % of inference's" in app.query_one("#modes-pane").border_subtitle
        facts, detail = widget_text(app, "#probe-facts"), widget_text(app, "#probe-detail")
        assert "target 0.9" in facts and "dropout off: 0.52" in facts and "MC mean 0.5 ± 0.1" in facts
        assert "per pass, 0.4..0.9:" in detail and "·" in detail  # a NaN pass shows as a dot
        assert "target = mean +4.00 std" in detail
        caption = widget_text(app, "#loss-caption")  # MSE decomposes like NLL
        assert caption.startswith("fit 1.500 = clean train 1.100 + dropout 0.100 + drift 0.300")


def test_regression_trends_share_a_scale_relative_to_the_rmse():
    low, high = trend_scale([[100.0, 100.5]], relative=True)
    assert high - low >= 2.0  # 2% of 100: a 0.5 wobble stays a ripple
    assert trend_scale([[0.010, 0.0101]], relative=True)[1] < 0.011  # and small RMSEs keep their scale


async def test_the_model_report_lists_recurrent_custom_and_augmentation_layers(tmp_path):
    started = ev.run_started(
        stochastic=[LSTM, CUSTOM, NOISE],
        command="inspect",
        rates=RATES,
        augmentation_layers=[{"name": "flip", "class": "RandomFlip"}],
        notes=["predict() is stochastic: a layer is random with training=False"],
    )
    app = replay_app(tmp_path, [started], command="inspect", model_path="m.keras")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        report = " ".join(widget_text(app, "#loss-caption").split())
        assert "lstm (LSTM dropout 0.2, recurrent 0.3)" in report
        assert "always (AlwaysOnDropout custom, 0.1, always on)" in report
        assert "noise (GaussianNoise stddev 0.1)" in report
        assert "always on, random in predict too: always" in report
        assert "augmentation (on in the training mode only): flip (RandomFlip)" in report
        assert "predict() is stochastic" in report
        assert "rates 0.20/0.30/0.10" in widget_text(app, "#config-line")
        # The engine's answer to +: every handle one step up; the report and the export follow.
        rates = {"lstm.dropout": 0.25, "lstm.recurrent_dropout": 0.35, "always": 0.15}
        app._buffer.put(RateChanged(epoch=1, global_step=0, rate=0.25, rates=rates))
        wanted = "lstm (LSTM dropout 0.25, recurrent 0.35)"
        for _ in range(60):  # the next tick draws it; a busy box may take a few
            await pilot.pause(0.05)
            if wanted in " ".join(widget_text(app, "#loss-caption").split()):
                break
        assert wanted in " ".join(widget_text(app, "#loss-caption").split())
        await pilot.press("e")
        await pilot.pause()
        exported = json.loads(next((tmp_path / "export").glob("*.json")).read_text())
        assert exported["rates"] == rates
        lstm, custom, noise = exported["stochastic_layers"]
        assert (lstm["dropout"], lstm["recurrent_dropout"], lstm["rate"]) == (0.25, 0.35, None)
        assert custom["rate"] == 0.15 and noise == NOISE
        assert exported["augmentation_layers"] == [{"name": "flip", "class": "RandomFlip"}]


def test_the_rates_come_from_run_started_and_older_streams_from_the_layers():
    state = RunState(RunConfig())
    state.apply(ev.run_started(stochastic=[LSTM, CUSTOM], rates=RATES))
    assert state.rates == RATES and next(iter(state.rates.values())) == 0.2
    old = RunState(RunConfig())
    old.apply(ev.run_started(stochastic=[LSTM, CUSTOM]))  # recorded before run_started.rates existed
    assert old.rates == RATES == rates_of([LSTM, CUSTOM])
    assert export.with_rates(LSTM, {"lstm.dropout": 0.5}) == {**LSTM, "dropout": 0.5}


async def test_a_binary_head_reports_like_any_classifier(tmp_path):
    probe = dataclasses.replace(ev.probe(), inference_probs=[0.3, 0.7], predicted=1, label=1, votes=[1, 3])
    app = replay_app(tmp_path, [ev.run_started(classes=2), *ev.epoch(1, uncertainty=ev.uncertainty(classes=2)), probe])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "p=0.700 (right)" in widget_text(app, "#probe-facts")
        await pilot.press("c")
        await pilot.pause()
        assert type(app.screen).__name__ == "UncertaintyScreen"


async def test_an_always_on_layer_labels_the_rows_for_what_they_measured(tmp_path):
    # predict() is random: "dropout off" would be untrue, and the flag's |Δp| is the layer's own randomness.
    started = ev.run_started(stochastic=[CUSTOM], rates={"always": 0.1})
    evaluation = ModeEvaluation(epoch=1, modes=ev.modes(0.85, flag_diff=0.53), **ev.SETTING)
    app = replay_app(tmp_path, [started, *ev.epoch(1)[:2], evaluation, ev.probe()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        notes = {key.value: str(table.get_row(key)[-1]) for key in table.rows}
        assert notes["inference"] == "always-on: random"
        assert notes["trainable_flag"] == "Δ: always-on noise"  # not "max |Δp| 0.53", as if the flag did it
        facts, detail = widget_text(app, "#probe-facts"), widget_text(app, "#probe-detail")
        assert "training=False: 3" in facts and "training=False " in detail
        assert "dropout off" not in facts + detail
    plain = replay_app(tmp_path, [ev.run_started(), *ev.epoch(1), ev.probe()])
    async with plain.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert str(plain.query_one(DataTable).get_row("inference")[-1]) == "dropout off"
        assert "dropout off: 3" in widget_text(plain, "#probe-facts")
