"""A Session driven from a thread, as the TUI drives it: controls, events, determinism."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import (
    BatchLosses,
    EpochEnd,
    Failed,
    Finished,
    ModeEvaluation,
    RateChanged,
    RunStarted,
    SampleProbe,
    SamplesChanged,
    Status,
    Summary,
)
from dropout_tui.engine.run.controls import Command, Controls
from tests.support.driver import Driver

pytestmark = [pytest.mark.training]

TINY = dict(hidden=16, batch_size=64, mc_samples=5, repeats=1, seed=0)


def _run(**overrides):
    driver = Driver(RunConfig(**{**TINY, **overrides})).start()
    driver.join()
    return driver


@pytest.fixture(scope="module")
def two_epochs():
    return _run(epochs=2)


def test_event_stream_of_a_run(two_epochs):
    driver = two_epochs
    assert isinstance(driver.result, Summary)
    kinds = [type(e) for e in driver.events if not e.EVENT == "log"]
    assert kinds[0] is Status and driver.events[0].state == "loading"
    assert kinds[-2:] == [Finished, Summary]
    started = driver.of(RunStarted)[0]
    assert started.n_train == 1437 and started.n_test == 360 and started.input_shape == [64]
    assert started.stochastic_layers == [
        {"name": "dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None}
    ]
    assert started.devices and started.keras_version.startswith("3.") and started.steps_per_epoch == 23
    assert [e.epoch for e in driver.of(EpochEnd)] == [1, 2]
    assert [e.epoch for e in driver.of(ModeEvaluation)] == [1, 2]  # final round is epoch 2's, not repeated
    assert len(driver.of(SampleProbe)) == 2
    summary = driver.result
    assert summary.epochs_run == 2 and summary.modes == driver.of(ModeEvaluation)[-1].modes
    assert [round_["epoch"] for round_ in summary.history] == [1, 2]
    # Every round says the setting it was measured at, and the summary's history keeps it.
    setting = [(e.rates, e.samples, e.repeats) for e in driver.of(ModeEvaluation)]
    assert setting == [({"dropout": 0.2}, 5, 1)] * 2
    assert [(r["rates"], r["samples"], r["repeats"]) for r in summary.history] == setting
    assert [e.state for e in driver.of(Status)][-1] == "finished"


def test_batch_losses_cover_every_step_and_match_keras(two_epochs):
    for epoch_end in two_epochs.of(EpochEnd):
        batches = [e for e in two_epochs.of(BatchLosses) if e.epoch == epoch_end.epoch]
        losses = [loss for e in batches for loss in e.losses]
        assert len(losses) == 23 and batches[0].first_step == 1
        assert [e.first_step for e in batches] == list(np.cumsum([0] + [len(e.losses) for e in batches[:-1]]) + 1)
        # per-batch losses recovered from Keras's running means (weighted by batch size:
        # 1437 = 22 * 64 + 29) average back to exactly what fit reports
        assert min(losses) > 0
        assert np.average(losses, weights=[64] * 22 + [29]) == pytest.approx(epoch_end.train_loss_keras, rel=1e-5)
        assert epoch_end.samples_per_second > 0 and epoch_end.rate == 0.2


def test_epoch_end_separates_dropout_from_averaging(two_epochs):
    for event in two_epochs.of(EpochEnd):
        assert event.train_loss_inference < event.train_loss_keras  # dropout on + epoch average is higher
        assert 0 < event.test_accuracy_inference <= 1


def test_two_seeded_runs_are_identical(two_epochs):
    again = _run(epochs=2)
    assert again.result.to_dict() | {"seconds": 0} == two_epochs.result.to_dict() | {"seconds": 0}
    assert [e.losses for e in again.of(BatchLosses)] != [] and [
        loss for e in again.of(BatchLosses) for loss in e.losses
    ] == [loss for e in two_epochs.of(BatchLosses) for loss in e.losses]

    def probes(driver):
        return [(e.index, e.pass_probs) for e in driver.of(SampleProbe)]

    assert probes(again) == probes(two_epochs)


def test_batch_losses_are_rate_limited():
    driver = _run(epochs=2, batch_size=4, eval_every=5)  # 360 fast steps per epoch
    for epoch_end in driver.of(EpochEnd):
        batches = [e for e in driver.of(BatchLosses) if e.epoch == epoch_end.epoch]
        assert sum(len(e.losses) for e in batches) == 360
        assert len(batches) <= epoch_end.seconds * 20 + 2  # <= ~20 events/s


def test_pause_serve_step_and_stop():
    controls = Controls()
    controls.pause()
    driver = Driver(RunConfig(epochs=5, eval_every=10, **TINY), controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, Status) and e.state == "paused")
    assert not driver.of(BatchLosses)  # paused before the first batch

    mark = len(driver.events)
    controls.probe("next")  # served while paused
    assert driver.wait_for(lambda e: isinstance(e, SampleProbe), after=mark).index == 1
    mark = len(driver.events)
    controls.set_samples(7)
    driver.wait_for(lambda e: isinstance(e, SamplesChanged) and e.samples == 7, after=mark)
    assert driver.wait_for(lambda e: isinstance(e, SampleProbe), after=mark).samples == 7

    mark = len(driver.events)
    controls.step()
    driver.wait_for(lambda e: isinstance(e, EpochEnd), after=mark)
    driver.wait_for(lambda e: isinstance(e, Status) and e.state == "paused", after=mark + 1)
    time.sleep(0.3)
    assert [e.epoch for e in driver.of(EpochEnd)] == [1]  # exactly one epoch ran

    controls.stop()
    driver.join()
    finished = driver.of(Finished)[0]
    assert finished.stopped_by_user and finished.epochs_run == 1
    assert driver.of(ModeEvaluation)[-1].epoch == 1  # the model is evaluated as it stands
    assert driver.result.modes["mc"]["samples"] == 7


def test_pause_mid_epoch_then_resume():
    controls = Controls()
    driver = Driver(RunConfig(epochs=2, eval_every=10, **{**TINY, "batch_size": 8}), controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, BatchLosses))
    controls.pause()
    driver.wait_for(lambda e: isinstance(e, Status) and e.state == "paused")
    steps = sum(len(e.losses) for e in driver.of(BatchLosses))
    time.sleep(0.3)
    assert sum(len(e.losses) for e in driver.of(BatchLosses)) == steps  # nothing trains while paused
    controls.resume()
    driver.join()
    assert driver.result.epochs_run == 2 and sum(len(e.losses) for e in driver.of(BatchLosses)) == 2 * 180


def test_rate_change_rebuilds_the_train_step():
    """Rate 0 draws no masks: the dropout seed counter must stop advancing once the
    new rate applies. A stale compiled train step would keep drawing (and dropping)."""
    controls = Controls()
    driver = Driver(RunConfig(epochs=2, eval_every=10, **{**TINY, "rate": 0.5}), controls=controls)
    submitted = []

    def change_rate_once(event):
        if isinstance(event, BatchLosses) and not submitted:
            submitted.append(True)
            for _ in range(10):  # 0.5 to 0 in steps of 0.05
                controls.shift_rate(-1)

    sink = driver.session._sink
    driver.session._sink = lambda event: (sink(event), change_rate_once(event))
    driver.start().join()
    changed = driver.of(RateChanged)
    assert [(e.epoch, e.rate, e.global_step) for e in changed] == [(2, 0.0, 24)]
    assert [e.rate for e in driver.of(EpochEnd)] == [0.5, 0.0]
    model = driver.session.prepared.model
    dropout = model.get_layer("dropout")
    assert dropout.rate == 0.0
    assert int(dropout.seed_generator.state.numpy()[1]) == 23  # only epoch 1's 23 steps drew masks


def test_set_samples_changes_t_for_the_next_evaluation():
    controls = Controls()
    controls.set_samples(11)
    driver = Driver(RunConfig(epochs=1, **TINY), controls=controls).start()
    driver.join()
    assert driver.of(SamplesChanged)[0].samples == 11
    assert driver.result.modes["mc"]["samples"] == 11


def test_cancel_mid_epoch_returns_promptly():
    controls = Controls()
    driver = Driver(RunConfig(epochs=200, **{**TINY, "batch_size": 4}), controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, BatchLosses))
    began = time.monotonic()
    controls.cancel()
    driver.join(timeout=5)
    assert time.monotonic() - began < 1.0
    assert driver.result is None and not driver.of(Summary) and not driver.of(Failed)
    assert driver.events[-1] == Status("stopped", "cancelled")


def test_cancel_mid_evaluation_returns_promptly():
    controls = Controls()
    driver = Driver(RunConfig(epochs=1, **{**TINY, "mc_samples": 200_000}), controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, Status) and e.state == "evaluating")
    time.sleep(0.2)
    began = time.monotonic()
    controls.cancel()
    driver.join(timeout=5)
    assert time.monotonic() - began < 1.0 and driver.result is None


def test_serve_mode_keeps_answering_after_the_summary():
    controls = Controls()
    driver = Driver(RunConfig(epochs=1, **TINY), serve=True, controls=controls).start()
    driver.wait_for(lambda e: isinstance(e, Summary))
    mark = len(driver.events)
    controls.probe("most_uncertain")
    probe = driver.wait_for(lambda e: isinstance(e, SampleProbe), after=mark)
    assert probe.mutual_information > 0
    mark = len(driver.events)
    controls.probe("prev")
    assert driver.wait_for(lambda e: isinstance(e, SampleProbe), after=mark).index == (probe.index - 1) % 360
    mark = len(driver.events)
    controls.submit(Command("evaluate"))
    assert driver.wait_for(lambda e: isinstance(e, ModeEvaluation), after=mark).epoch == 1
    mark = len(driver.events)
    controls.probe(10_000)  # out of range: a warning, not a crash
    assert "ignored probe index" in driver.wait_for(lambda e: e.EVENT == "notice", after=mark).message
    controls.cancel()
    driver.join(timeout=5)
    assert isinstance(driver.result, Summary)


def test_nan_loss_fails_naming_epoch_and_batch():
    driver = _run(epochs=2, lr=1e30)
    failed = driver.of(Failed)
    assert driver.result is None and len(failed) == 1
    assert failed[0].epoch == 1 and failed[0].batch >= 1
    assert f"epoch 1, batch {failed[0].batch}" in failed[0].message and "\n" not in failed[0].message
    assert not driver.of(EpochEnd)  # stopped at that batch


def test_bad_input_becomes_a_user_error_event(tmp_path):
    driver = _run(epochs=1, data_path=str(tmp_path / "missing.npz"))
    assert driver.result is None and driver.session.user_error is not None
    assert "no such file" in driver.of(Failed)[0].message


def test_a_config_built_in_code_is_validated_like_the_command_line():
    driver = _run(epochs=1, task="ranking")
    assert driver.result is None and driver.session.user_error is not None
    assert "--task must be classification or regression, got 'ranking'" in driver.of(Failed)[0].message


def test_unexpected_exception_becomes_failed_with_traceback(monkeypatch):
    from dropout_tui.engine.evaluation.evaluator import Evaluator

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(Evaluator, "evaluate", broken)
    driver = _run(epochs=1)
    failed = driver.of(Failed)[0]
    assert failed.message == "RuntimeError: boom second line" and "Traceback" in failed.traceback
    assert driver.result is None and driver.session.user_error is None


def test_nan_free_json_even_with_diverging_loss():
    driver = _run(epochs=1, lr=1e30)
    for event in driver.of(BatchLosses):
        payload = json.loads(event.to_json())
        assert all(loss is None or math.isfinite(loss) for loss in payload["losses"])
