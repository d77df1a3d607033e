"""Pilot tests on a REAL short training run (embedded digits, real TensorFlow)."""

from __future__ import annotations

import time

import pytest
from textual.widgets import DataTable

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.app import create_app
from tests.support.apps import widget_text

pytestmark = [pytest.mark.timeout(120), pytest.mark.training]
NO_HANG_SECONDS = 10.0  # the 2 s quit target is measured in bench/; a test only catches a hang


async def _until(pilot, condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def test_four_epochs_fill_every_pane(tmp_path):
    app = create_app(RunConfig(epochs=4, mc_samples=10, repeats=2), export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        live_elapsed = []

        def sampling_elapsed(condition):
            def check() -> bool:
                if app.state.finished is None:
                    live_elapsed.append(app.state.elapsed(time.monotonic()))
                return bool(condition())

            return check

        await _until(pilot, sampling_elapsed(lambda: app.state.batch_loss), what="the first batch")
        await pilot.press("plus")  # takes effect from the next epoch
        await _until(pilot, sampling_elapsed(lambda: app.state.finished is not None), what="the run to finish")
        # Elapsed never jumps back at the end: live it counts from the run's start, as Finished.seconds does
        # (TensorFlow's import before it is not run time).
        assert max(live_elapsed) <= app.state.finished.seconds + 1.5  # a tick or two of lag, not the import
        await pilot.pause(0.3)
        state = app.state
        assert [e.epoch for e in state.epochs] == [1, 2, 3, 4]
        assert len(state.batch_loss) == 4 * 45
        table = app.query_one(DataTable)
        rows = {key.value: [str(c) for c in table.get_row(key)] for key in table.rows}
        assert set(rows) == {"inference", "training", "trainable_flag", "dropout_only", "mc"}
        assert rows["trainable_flag"][-1] == "flag changed nothing"
        assert "±" in rows["training"][1]
        assert rows["mc"][0] == "mc (T=10)"
        assert float(rows["inference"][1]) > 50  # digits: an MLP gets far above chance in 3 epochs
        caption = widget_text(app, "#loss-caption")
        assert caption.startswith("fit ") and "= clean train" in caption and "+ dropout" in caption
        assert "drift" in caption and "generalisation gap" in caption
        assert "test #0" in app.query_one("#probe-pane").border_title
        assert "votes" in widget_text(app, "#probe-detail")
        status = widget_text(app, "#status-line")
        assert status.startswith("finished") and "epoch 4/4" in status and "samples/s" in status
        (change,) = state.rate_changes  # the key may reach the engine in epoch 1 or 2 on a busy machine
        assert change.rate == 0.25 and change.epoch in (2, 3, 4)
        assert [e.rate for e in state.epochs] == [
            pytest.approx(0.2 if e.epoch < change.epoch else 0.25) for e in state.epochs
        ]
        assert "rate 0.25" in widget_text(app, "#config-line")  # the rate in use, where the run's settings are
        assert "CPU" in status or "GPU" in status
        await pilot.press("n")
        await _until(pilot, lambda: app.state.probe.index == 1, timeout=20, what="probe of sample 1")
        assert "test #1" in app.query_one("#probe-pane").border_title
        await pilot.press("q")


async def test_pause_step_stop_and_quit_mid_run(tmp_path):
    app = create_app(RunConfig(epochs=30, mc_samples=5, repeats=1), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: app.state.batch_loss, what="the first batch")
        await pilot.press("space")
        await _until(pilot, lambda: app.state.state == "paused", timeout=20, what="the engine to pause")
        batches = len(app.state.batch_loss)
        await pilot.pause(1.0)
        assert len(app.state.batch_loss) == batches, "training went on while paused"
        assert "paused" in widget_text(app, "#status-line")
        epochs = len(app.state.epochs)
        await pilot.press("s")
        await _until(pilot, lambda: len(app.state.epochs) > epochs, timeout=30, what="the stepped epoch")
        await _until(pilot, lambda: app.state.state == "paused", timeout=20, what="pause after the step")
        assert len(app.state.epochs) == epochs + 1
        await pilot.press("x")
        await _until(pilot, lambda: app.state.finished is not None, timeout=30, what="the stop")
        assert app.state.finished.stopped_by_user
        assert app.state.finished.epochs_run < 30
        assert app.is_running  # the panes stay after a stop
        await pilot.press("space")  # training is over: a notification, no crash
        await pilot.press("q")
        started = time.monotonic()
    assert time.monotonic() - started < NO_HANG_SECONDS
    assert app.controls.cancelled


async def test_quit_mid_epoch_returns_quickly(tmp_path):
    app = create_app(RunConfig(epochs=30, mc_samples=5, repeats=1), export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: len(app.state.batch_loss) > 10, what="training to run")
        started = time.monotonic()
        await pilot.press("q")
    assert time.monotonic() - started < NO_HANG_SECONDS
    worker = next(iter(app.workers), None)
    if worker is not None:  # the engine sees the cancel at its next batch edge
        await worker.wait()
    assert time.monotonic() - started < NO_HANG_SECONDS


async def test_plus_then_minus_while_paused_changes_nothing_and_T_is_confirmed(tmp_path):
    app = create_app(RunConfig(epochs=3, mc_samples=5000, repeats=1), export_dir=tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _until(pilot, lambda: app.state.batch_loss, what="the first batch")
        await pilot.press("space")
        await _until(pilot, lambda: app.state.state == "paused", timeout=20, what="the engine to pause")
        await pilot.press("plus")
        await _until(pilot, lambda: app.state.scheduled is not None, timeout=20, what="the scheduled change")
        await pilot.press("minus")
        await _until(pilot, lambda: app.state.scheduled is None, timeout=20, what="the withdrawn change")
        await pilot.press("t")  # 5000 -> 2500, confirmed by the engine
        await _until(pilot, lambda: app.state.samples == 2500, timeout=20, what="T=2500")
        assert "T=2500" in widget_text(app, "#config-line") and "T=5000" not in widget_text(app, "#config-line")
        await pilot.press("space", "x")
        await _until(pilot, lambda: app.state.finished is not None, timeout=60, what="the stop")
        assert app.state.rate_changes == [] and {e.rate for e in app.state.epochs} == {0.2}
        await pilot.press("q")
