"""The sample probe: T dropout passes of one test sample, as the probe pane shows them."""

import math

import numpy as np
import pytest

from dropout_tui.engine.evaluation.evaluator import Evaluator
from dropout_tui.engine.evaluation.probe import display_image, probe_event
from dropout_tui.engine.model.heads import regression_head, softmax_head
from tests.support.rates import dropout_rate

pytestmark = [pytest.mark.training]


def _probe(model, x, target, samples, head=None, index=0):
    head = head or softmax_head(10)
    inference, passes = Evaluator(model, head=head, batch_size=32, seed=0).passes(x[np.newaxis], samples)
    return probe_event(
        head, index=index, target=target, image=x.reshape(8, 8), inference=inference[0], passes=passes[:, 0]
    )


def test_probe_fields_are_consistent(trained, flat, digits):
    _, x_test = flat
    probe = _probe(trained, x_test[5], digits.y_test[5], 60, index=5)
    assert probe.index == 5 and probe.label == digits.y_test[5] and probe.samples == 60
    assert len(probe.pass_probs) == 60 and sum(probe.votes) == 60 and len(probe.votes) == 10
    assert probe.predicted == int(np.argmax(probe.inference_probs))
    np.testing.assert_allclose(probe.inference_probs, trained.predict(x_test[5:6], verbose=0)[0], atol=1e-6)
    assert math.isclose(sum(probe.inference_probs), 1.0, abs_tol=1e-5)
    assert math.isclose(probe.mean, float(np.mean(probe.pass_probs)), rel_tol=1e-9)
    assert math.isclose(probe.std, float(np.std(probe.pass_probs)), rel_tol=1e-9)
    assert probe.std > 0 and probe.mutual_information > 0
    assert 0 <= probe.mutual_information <= probe.predictive_entropy <= math.log(10) + 1e-9
    assert probe.image_shape == [8, 8] and len(probe.image) == 64 and 0 <= min(probe.image) <= max(probe.image) <= 1
    assert probe.to_json()


def test_probe_without_dropout_has_no_spread(trained, flat, digits):
    _, x_test = flat
    with dropout_rate(trained, 0.0):
        probe = _probe(trained, x_test[0], digits.y_test[0], 20)
    assert probe.std < 1e-6 and probe.mutual_information < 1e-6
    assert probe.votes[probe.predicted] == 20


def test_a_regression_probe_shows_the_passes_against_the_target():
    import keras

    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(8), keras.layers.Dropout(0.5), keras.layers.Dense(1)]
    )
    x = np.linspace(0, 1, 64, dtype=np.float32)
    probe = _probe(model, x, np.array([0.25]), 30, head=regression_head(1))
    assert probe.task == "regression" and probe.target == [0.25] and len(probe.pass_values) == 30
    assert probe.mean == np.mean(probe.pass_values) and probe.std > 0
    np.testing.assert_allclose(probe.inference_outputs, model.predict(x[None], verbose=0)[0], atol=1e-6)
    assert probe.label is None and probe.mutual_information is None and probe.to_json()


def test_display_image_rescales_and_greys():
    pixels, shape = display_image(np.stack([np.full((2, 2), 10.0), np.zeros((2, 2)), np.full((2, 2), 20.0)], axis=-1))
    assert shape == [2, 2] and pixels == [0.0, 0.0, 0.0, 0.0]  # flat image -> zeros, no division by zero
    pixels, shape = display_image(np.array([[0.0, 255.0], [127.5, 255.0]]))
    assert pixels == [0.0, 1.0, 0.5, 1.0]
