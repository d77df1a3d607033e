"""The sample probe: T passes of one test sample."""

import math

import numpy as np

from dropout_tui.engine.evaluation import rng
from dropout_tui.engine.evaluation.predictor import Predictor, mc_mutual_information
from dropout_tui.engine.evaluation.probe import display_image, most_uncertain_index, probe_sample
from dropout_tui.engine.model import layers as discovery


def test_probe_fields_are_consistent(trained, flat, digits):
    _, x_test = flat
    probe = probe_sample(Predictor(trained), x_test[5], digits.y_test[5], 60, index=5, image=digits.x_test[5])
    assert probe.index == 5 and probe.label == digits.y_test[5] and probe.samples == 60
    assert len(probe.pass_probs) == 60 and sum(probe.votes) == 60 and len(probe.votes) == 10
    assert probe.predicted == int(np.argmax(probe.inference_probs))
    assert math.isclose(sum(probe.inference_probs), 1.0, abs_tol=1e-5)
    assert math.isclose(probe.mean, float(np.mean(probe.pass_probs)), rel_tol=1e-9)
    assert math.isclose(probe.std, float(np.std(probe.pass_probs)), rel_tol=1e-9)
    assert probe.std > 0 and probe.mutual_information > 0
    assert 0 <= probe.mutual_information <= probe.predictive_entropy <= math.log(10) + 1e-9
    assert probe.image_shape == [8, 8] and len(probe.image) == 64 and 0 <= min(probe.image) <= max(probe.image) <= 1
    assert probe.to_json()


def test_probe_without_dropout_has_no_spread(trained, flat, digits):
    _, x_test = flat
    with discovery.dropout_rate(trained, 0.0):
        probe = probe_sample(Predictor(trained), x_test[0], digits.y_test[0], 20)
    assert probe.std < 1e-6 and probe.mutual_information < 1e-6
    assert probe.votes[probe.predicted] == 20


def test_most_uncertain_is_the_highest_mutual_information(trained, flat):
    _, x_test = flat
    predictor = Predictor(trained)
    with rng.seeded(trained, 3):
        information = mc_mutual_information(predictor, x_test, 20)
    with rng.seeded(trained, 3):
        assert most_uncertain_index(predictor, x_test, 20) == int(np.argmax(information))


def test_display_image_rescales_and_greys():
    pixels, shape = display_image(np.stack([np.full((2, 2), 10.0), np.zeros((2, 2)), np.full((2, 2), 20.0)], axis=-1))
    assert shape == [2, 2] and pixels == [0.0, 0.0, 0.0, 0.0]  # flat image -> zeros, no division by zero
    pixels, shape = display_image(np.array([[0.0, 255.0], [127.5, 255.0]]))
    assert pixels == [0.0, 1.0, 0.5, 1.0]
