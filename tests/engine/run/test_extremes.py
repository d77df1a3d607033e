"""Extreme settings and odd data through the real engine (tiny models, real TensorFlow)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import Failed, ModeEvaluation, RunStarted, SampleProbe
from dropout_tui.engine.run.session import Session

pytestmark = [pytest.mark.training]

TINY = dict(hidden=16, batch_size=64, mc_samples=5, repeats=2, epochs=1, seed=0)


def _run(**overrides):
    events: list = []

    def sink(event):
        json.loads(event.to_json())  # strict JSON: NaN/inf would raise here
        events.append(event)

    session = Session(RunConfig(**{**TINY, **overrides}), sink)
    summary = session.run()
    return session, summary, events


def _of(events, cls):
    return [event for event in events if isinstance(event, cls)]


def _all_finite(value) -> bool:
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


def _npz(path: Path, x_train, y_train, x_test, y_test) -> str:
    np.savez(
        path,
        x_train=np.asarray(x_train, np.float32),
        y_train=y_train,
        x_test=np.asarray(x_test, np.float32),
        y_test=y_test,
    )
    return str(path)


def test_rate_0_says_so_and_every_mode_agrees():
    _, summary, events = _run(rate=0.0)
    assert "rate is 0: dropout never drops anything, so every mode must agree" in _of(events, RunStarted)[0].notes
    modes = summary.modes
    accuracy = modes["inference"]["accuracy"]
    for name in ("training", "trainable_flag", "dropout_only", "mc"):
        assert modes[name]["accuracy"] == accuracy, name
        assert modes[name]["loss"] == pytest.approx(modes["inference"]["loss"], rel=1e-5), name
    for name in ("training", "dropout_only"):
        assert modes[name]["accuracy_std"] == 0 and modes[name]["loss_std"] == pytest.approx(0, abs=1e-7)
    probe = _of(events, SampleProbe)[-1]
    assert probe.std == pytest.approx(0, abs=1e-7) and probe.mutual_information == pytest.approx(0, abs=1e-6)
    assert max(probe.votes) == probe.samples  # every pass picks one class


def test_rate_0_95_runs_and_stays_finite():
    _, summary, events = _run(rate=0.95)
    assert summary is not None and _all_finite(summary.to_dict())
    assert summary.modes["training"]["accuracy_std"] > 0  # 95 % dropout: passes really differ


def test_one_pass_gives_zero_spread_not_nan():
    _, summary, events = _run(mc_samples=1, repeats=1)
    probe = _of(events, SampleProbe)[-1]
    assert probe.samples == 1 and len(probe.pass_probs) == 1
    assert probe.std == 0.0 and probe.mutual_information == 0.0 and math.isfinite(probe.predictive_entropy)
    assert summary.modes["mc"]["samples"] == 1 and _all_finite(summary.to_dict())
    assert summary.modes["training"]["accuracy_std"] == 0.0  # one repeat: no spread, not NaN


def test_huge_t_over_a_small_test_set_stays_in_bounded_chunks(tmp_path, monkeypatch):
    """T=10,000 on odd-shaped images (n, 5, 7, 3): flattened for the MLP, every compiled call within the budget."""
    from dropout_tui.engine.evaluation import calls as compiled
    from dropout_tui.engine.evaluation import evaluator

    calls: list = []  # (rows, copies) of every tiled call
    real_tiled = compiled.CompiledCalls.tiled

    def recording_tiled(self, mode, block, cut, rows, per_call, copies, consume, **kwargs):
        calls.append((rows, min(per_call, copies)))
        return real_tiled(self, mode, block, cut, rows, per_call, copies, consume, **kwargs)

    monkeypatch.setattr(compiled.CompiledCalls, "tiled", recording_tiled)
    rng = np.random.default_rng(0)
    data = _npz(
        tmp_path / "odd.npz",
        rng.random((40, 5, 7, 3)),
        np.arange(40) % 3,
        rng.random((30, 5, 7, 3)),
        np.arange(30) % 3,
    )
    session, summary, events = _run(data_path=data, mc_samples=10_000, repeats=1)
    assert summary is not None
    started = _of(events, RunStarted)[0]
    assert started.input_shape == [105] and started.classes == 3
    probe = _of(events, SampleProbe)[-1]
    assert probe.samples == 10_000 and len(probe.pass_probs) == 10_000 and probe.image_shape == [5, 7]
    width = 16  # --hidden 16: the widest activation after the cut
    assert 30 * 10_000 * width > evaluator.MAX_CHUNK_ELEMENTS  # so the passes had to be split into calls
    assert calls and max(rows * copies * width for rows, copies in calls) <= evaluator.MAX_CHUNK_ELEMENTS
    assert summary.modes["mc"]["samples"] == 10_000 and _all_finite(summary.to_dict())


def test_one_sample_data_with_a_batch_larger_than_the_data(tmp_path):
    data = _npz(tmp_path / "one.npz", [[0.1, 0.9, 0.3]], np.array([1]), [[0.5, 0.2, 0.7]], np.array([0]))
    _, summary, events = _run(data_path=data, batch_size=32, epochs=2)
    assert summary is not None and summary.n_train == 1 and summary.n_test == 1 and summary.epochs_run == 2
    assert _of(events, RunStarted)[0].steps_per_epoch == 1
    assert summary.modes["inference"]["accuracy"] in (0.0, 1.0) and _all_finite(summary.to_dict())


def test_one_class_data_is_a_clear_user_error(tmp_path):
    data = _npz(tmp_path / "zeros.npz", np.ones((6, 4)), np.zeros(6, int), np.ones((2, 4)), np.zeros(2, int))
    session, summary, events = _run(data_path=data)
    assert summary is None and session.user_error is not None  # headless: exit 2
    assert str(session.user_error) == "zeros.npz: labels name only 1 class; need at least 2"
    assert _of(events, Failed)[0].message == str(session.user_error)


def test_one_hot_labels_train(tmp_path):
    rng = np.random.default_rng(1)
    eye = np.eye(4, dtype=np.float32)
    data = _npz(
        tmp_path / "onehot.npz", rng.random((20, 6)), eye[np.arange(20) % 4], rng.random((8, 6)), eye[np.arange(8) % 4]
    )
    _, summary, events = _run(data_path=data)
    assert _of(events, RunStarted)[0].classes == 4
    probe = _of(events, SampleProbe)[-1]
    assert probe.label == 0 and len(probe.inference_probs) == 4
    assert _all_finite(summary.to_dict())


def test_non_finite_numbers_become_null_in_json():
    from dropout_tui.engine.events import EpochEnd

    modes = {"mc": {"accuracy": float("nan"), "loss": np.float32("inf"), "ece": np.float64("-inf"), "samples": 3}}
    line = ModeEvaluation(epoch=1, modes=modes).to_json()
    assert json.loads(line)["modes"]["mc"] == {"accuracy": None, "loss": None, "ece": None, "samples": 3}
    end = EpochEnd(
        epoch=1,
        train_loss_keras=float("nan"),
        train_loss_inference=1.0,
        test_loss_inference=1.0,
        train_accuracy_inference=0.5,
        test_accuracy_inference=0.5,
        seconds=1.0,
        samples_per_second=float("inf"),
        rate=float("nan"),
    )
    payload = json.loads(end.to_json())
    assert payload["train_loss_keras"] is None and payload["samples_per_second"] is None and payload["rate"] is None
