"""The user's rate and T commands as the engine serves them: each layer's own rate, no no-op changes, one limit."""

from __future__ import annotations

import keras
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    EpochEnd,
    ModeEvaluation,
    Notice,
    RateChanged,
    RateScheduled,
    RunStarted,
    SampleProbe,
    SamplesChanged,
    Status,
    Summary,
)
from dropout_tui.engine.run.controls import Command, Controls
from tests.support import inspect_models as models
from tests.support.driver import Driver

pytestmark = [pytest.mark.training]

TINY = dict(hidden=16, batch_size=64, mc_samples=5, repeats=1, seed=0)


@pytest.fixture(scope="module")
def two_rates(tmp_path_factory):
    """A saved model whose two Dropout layers have different rates, and data for it."""
    folder = tmp_path_factory.mktemp("rates")
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.Dropout(0.5, name="wide")(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    x = keras.layers.Dropout(0.1, name="narrow")(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    path = folder / "two_rates.keras"
    keras.Model(inputs, outputs).save(path)
    x_test, y_test = models.random_data((6,), 3)
    return str(path), models.save_npz(folder / "data.npz", x_test, y_test)


def _serving(config: RunConfig) -> Driver:
    driver = Driver(config, serve=True).start()
    driver.wait_for(lambda e: isinstance(e, Summary))
    return driver


def test_inspect_shifts_every_layer_from_its_own_rate_and_evaluates_at_once(two_rates):
    model, data = two_rates
    driver = _serving(RunConfig(command="inspect", model_path=model, data_path=data, mc_samples=5, repeats=1))
    try:
        mark = len(driver.events)
        driver.controls.shift_rate(+1)
        changed = driver.wait_for(lambda e: isinstance(e, RateChanged), after=mark)
        assert changed.rates == {"wide": 0.55, "narrow": pytest.approx(0.15)}
        assert changed.rate == 0.55  # the first layer's, not a flattened single value
        evaluation = driver.wait_for(lambda e: isinstance(e, ModeEvaluation), after=mark)
        assert driver.events.index(evaluation) > driver.events.index(changed)  # measured at the new rates
        assert (evaluation.rates, evaluation.samples, evaluation.repeats) == (changed.rates, 5, 1)  # and says so
        assert not [e for e in driver.events[mark:] if isinstance(e, RateScheduled)]  # nothing waits for an epoch
        model = driver.session.prepared.model
        assert (model.get_layer("wide").rate, model.get_layer("narrow").rate) == (0.55, pytest.approx(0.15))
    finally:
        driver.controls.cancel()
        driver.join()


def test_keys_pressed_during_a_measurement_wait_for_one_evaluation_not_one_each(two_rates):
    model, data = two_rates
    driver = _serving(RunConfig(command="inspect", model_path=model, data_path=data, mc_samples=5, repeats=1))
    try:
        mark = len(driver.events)
        driver.controls.submit(Command("evaluate", None))  # busy measuring while the three + arrive
        for _ in range(3):
            driver.controls.shift_rate(+1)
        final = driver.wait_for(lambda e: isinstance(e, RateChanged) and e.rates["wide"] == 0.65, after=mark)
        driver.wait_for(lambda e: isinstance(e, ModeEvaluation), after=driver.events.index(final))  # the last one
        evaluations = [e for e in driver.events[mark:] if isinstance(e, ModeEvaluation)]
        assert 1 <= len(evaluations) <= 2  # four when every + measured on its own
        assert len(driver.of(RateChanged)) == 3  # every step is still recorded
    finally:
        driver.controls.cancel()
        driver.join()


def test_a_step_never_moves_the_rate_the_other_way(two_rates):
    model, data = two_rates
    driver = _serving(RunConfig(command="inspect", model_path=model, data_path=data, mc_samples=5, repeats=1))
    try:
        for _ in range(2):  # narrow: 0.1 -> 0.05 -> 0; wide: 0.5 -> 0.45 -> 0.4
            driver.controls.shift_rate(-1)
        driver.wait_for(lambda e: isinstance(e, RateChanged) and e.rates["narrow"] == 0.0)
        mark = len(driver.events)
        driver.controls.shift_rate(-1)  # narrow cannot go lower and stays; wide moves on
        changed = driver.wait_for(lambda e: isinstance(e, RateChanged), after=mark)
        assert changed.rates == {"wide": pytest.approx(0.35), "narrow": 0.0}
    finally:
        driver.controls.cancel()
        driver.join()


def test_plus_at_the_top_of_the_range_changes_nothing_and_says_why():
    driver = _serving(RunConfig(epochs=1, rate=0.97, **TINY))
    try:
        mark = len(driver.events)
        driver.controls.shift_rate(+1)
        notice = driver.wait_for(lambda e: isinstance(e, Notice), after=mark)
        assert notice.message == "rate stays at 0.97: a step up would reach 1"
        assert driver.session.prepared.model.get_layer("dropout").rate == 0.97
        assert not [e for e in driver.events[mark:] if isinstance(e, RateChanged)]
    finally:
        driver.controls.cancel()
        driver.join()


def test_plus_then_minus_while_paused_records_no_change():
    controls = Controls()
    controls.pause()
    driver = Driver(RunConfig(epochs=2, eval_every=5, **TINY), controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, Status) and e.state == "paused")
    controls.shift_rate(+1)
    scheduled = driver.wait_for(lambda e: isinstance(e, RateScheduled))
    assert (scheduled.epoch, scheduled.rate, scheduled.withdrawn) == (1, 0.25, False)
    mark = len(driver.events)
    controls.shift_rate(-1)
    withdrawn = driver.wait_for(lambda e: isinstance(e, RateScheduled), after=mark)
    assert withdrawn.withdrawn and withdrawn.rates == {"dropout": 0.2}
    controls.resume()
    driver.join()
    assert not driver.of(RateChanged)
    assert [e.rate for e in driver.of(EpochEnd)] == [0.2, 0.2]


def test_a_change_while_training_waits_for_the_next_epoch():
    controls = Controls()
    driver = Driver(RunConfig(epochs=2, eval_every=5, **{**TINY, "batch_size": 8}), controls=controls).start()
    driver.wait_for(lambda e: e.EVENT == "batch_losses")
    controls.shift_rate(+1)
    scheduled = driver.wait_for(lambda e: isinstance(e, RateScheduled))
    assert scheduled.epoch == 2 and scheduled.rate == 0.25
    driver.join()
    assert [(e.epoch, e.rate) for e in driver.of(RateChanged)] == [(2, 0.25)]
    assert [e.rate for e in driver.of(EpochEnd)] == [0.2, 0.25]


def test_t_takes_any_value_the_command_line_takes():
    driver = _serving(RunConfig(epochs=1, **{**TINY, "mc_samples": 5000}))
    try:
        mark = len(driver.events)
        driver.controls.set_samples(10_000)  # T doubled from 5000: the app once capped this at 1024
        assert driver.wait_for(lambda e: isinstance(e, SamplesChanged), after=mark).samples == 10_000
        mark = len(driver.events)
        driver.controls.set_samples(0)
        assert (
            "--mc-samples must be a positive integer"
            in driver.wait_for(lambda e: isinstance(e, Notice), after=mark).message
        )
    finally:
        driver.controls.cancel()
        driver.join()


def test_t_after_training_measures_every_mode_at_once_and_keys_pressed_together_once():
    driver = _serving(RunConfig(epochs=1, **TINY))
    try:
        mark = len(driver.events)
        driver.controls.set_samples(7)
        probe = driver.wait_for(lambda e: isinstance(e, SampleProbe), after=mark)
        rounds = [e for e in driver.events[mark : driver.events.index(probe)] if isinstance(e, ModeEvaluation)]
        assert [(e.samples, e.modes["mc"]["samples"]) for e in rounds] == [(7, 7)] and probe.samples == 7
        mark = len(driver.events)
        driver.controls.submit(Command("evaluate", None))  # busy measuring while T and + arrive together
        driver.controls.set_samples(9)
        driver.controls.shift_rate(+1)
        driver.wait_for(
            lambda e: isinstance(e, ModeEvaluation) and e.samples == 9 and e.rates["dropout"] == 0.25, after=mark
        )
        rounds = [(e.samples, e.rates["dropout"]) for e in driver.events[mark:] if isinstance(e, ModeEvaluation)]
        assert rounds[-1] == (9, 0.25) and (9, 0.2) not in rounds and len(rounds) <= 2  # one round for both keys
    finally:
        driver.controls.cancel()
        driver.join()


def test_a_key_pressed_while_an_epoch_is_evaluated_applies_to_the_next_epoch():
    controls = Controls()
    driver = Driver(RunConfig(epochs=2, **TINY), controls=controls)
    sink = driver.session._sink

    def press_plus_during_the_first_evaluation(event):
        sink(event)
        if isinstance(event, ModeEvaluation) and event.epoch == 1:
            controls.shift_rate(+1)

    driver.session._sink = press_plus_during_the_first_evaluation
    driver.start().join()
    assert [(e.epoch, e.rate) for e in driver.of(RateScheduled)] == [(2, 0.25)]
    assert [(e.epoch, e.rate) for e in driver.of(RateChanged)] == [(2, 0.25)]
    assert [e.rate for e in driver.of(EpochEnd)] == [0.2, 0.25]
    assert [e.rates for e in driver.of(ModeEvaluation)] == [{"dropout": 0.2}, {"dropout": 0.25}]


def test_recurrent_rates_shift_too_and_the_evaluation_follows(tmp_path):
    from tests.support import zoo

    model, data = zoo.lstm_classifier()
    model_path, data_path = zoo.save_pair(model, data, tmp_path, "lstm")
    driver = _serving(RunConfig(command="inspect", model_path=model_path, data_path=data_path, mc_samples=5, repeats=2))
    try:
        started = driver.of(RunStarted)[0]
        assert started.rates == {"lstm.dropout": 0.2, "lstm.recurrent_dropout": 0.3}
        mark = len(driver.events)
        for _ in range(8):  # 0.2 -> 0.6 and 0.3 -> 0.7: the recurrent layer drops far more
            driver.controls.shift_rate(+1)
        driver.wait_for(lambda e: isinstance(e, RateChanged) and e.rates["lstm.dropout"] == 0.6, after=mark)
        last = driver.wait_for(
            lambda e: (
                isinstance(e, ModeEvaluation) and driver.session.prepared.model.get_layer("lstm").cell.dropout == 0.6
            ),
            after=mark,
        )
        cell = driver.session.prepared.model.get_layer("lstm").cell
        assert (cell.dropout, cell.recurrent_dropout) == (0.6, pytest.approx(0.7))
        first = driver.of(ModeEvaluation)[0]
        assert last.modes["dropout_only"]["loss"] > first.modes["dropout_only"]["loss"]  # measured at the new rates
    finally:
        driver.controls.cancel()
        driver.join()
