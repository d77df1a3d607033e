"""What dropout does, measured on real (tiny) Keras models."""

import numpy as np
import pytest

from dropout_tui.engine.evaluation.predictor import Predictor, evaluate_modes, mc_moments, mc_sample_probs
from dropout_tui.engine.evaluation.rng import seed_state_variables
from dropout_tui.engine.model import layers as discovery
from tests.support.contract import MODE_KEYS


@pytest.mark.parametrize("rate", [0.5, 0.2])
def test_inverted_dropout_scaling_on_a_layer(rate):
    import keras

    layer = keras.layers.Dropout(rate, seed=1)
    ones = np.ones((4, 1000), dtype=np.float32)
    trained = np.asarray(layer(ones, training=True))
    kept = 1.0 / (1.0 - rate)
    assert np.all((trained == 0) | np.isclose(trained, kept))
    assert 0 < np.mean(trained == 0) < 1
    assert np.mean(trained == 0) == pytest.approx(rate, abs=0.05)
    np.testing.assert_array_equal(np.asarray(layer(ones, training=False)), ones)  # identity, no (1-rate) scaling


@pytest.fixture(scope="module")
def predictor(trained):
    return Predictor(trained)


def test_inference_is_deterministic(predictor, flat):
    _, x_test = flat
    np.testing.assert_array_equal(predictor.probs(x_test, training=False), predictor.probs(x_test, training=False))


def test_training_passes_differ(predictor, flat):
    _, x_test = flat
    first, second = predictor.probs(x_test, training=True), predictor.probs(x_test, training=True)
    assert not np.array_equal(first, second)


def test_evaluate_modes_contract(predictor, flat, digits):
    _, x_test = flat
    modes = evaluate_modes(predictor, x_test, digits.y_test, mc_samples=10, repeats=3)
    assert {name: set(values) for name, values in modes.items()} == MODE_KEYS
    assert modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    assert modes["trainable_flag"]["accuracy"] == modes["inference"]["accuracy"]
    assert modes["trainable_flag"]["loss"] == modes["inference"]["loss"]
    assert modes["training"]["accuracy_std"] > 0 and modes["training"]["repeats"] == 3
    assert modes["training"]["bn_moving_stats_shift"] == 0.0  # no BatchNorm here
    assert modes["mc"]["samples"] == 10
    for name in MODE_KEYS:
        assert 0.0 <= modes[name]["accuracy"] <= 1.0 and modes[name]["loss"] > 0


def test_trainable_flag_mode_restores_flags(trained, predictor, flat, digits):
    _, x_test = flat
    dropout = discovery.stochastic_layers(trained)[0]
    dropout.trainable = False
    try:
        evaluate_modes(predictor, x_test[:20], digits.y_test[:20], mc_samples=2, repeats=1)
        assert dropout.trainable is False
    finally:
        dropout.trainable = True


def test_mc_probabilities_sum_to_one(predictor, flat):
    _, x_test = flat
    passes = mc_sample_probs(predictor, x_test[:5], 40)
    assert passes.shape == (40, 5, 10)
    np.testing.assert_allclose(passes.sum(axis=-1), 1.0, atol=1e-5)
    mean, expected_entropy = mc_moments(predictor, x_test[:50], 40)
    np.testing.assert_allclose(mean.sum(axis=-1), 1.0, atol=1e-5)
    assert mean.shape == (50, 10) and expected_entropy.shape == (50,)
    assert len({passes[t, 0].tobytes() for t in range(40)}) > 1  # independent masks per copy


@pytest.mark.parametrize("samples, max_rows", [(30, 64), (50, 16), (7, 7)])
def test_sampler_chunks_are_bounded_and_keep_sample_order(trained, flat, samples, max_rows):
    """With dropout at rate 0 every pass must equal inference for the SAME sample: this
    catches any mix-up of samples and copies in the repeat/reshape logic."""
    _, x_test = flat
    x = x_test[:23]
    predictor = Predictor(trained)
    rows_seen = []
    original = predictor.call
    predictor.call = lambda batch: rows_seen.append(len(batch)) or original(batch)
    with discovery.dropout_rate(trained, 0.0):
        passes = mc_sample_probs(predictor, x, samples, max_rows=max_rows)
        mean, _ = mc_moments(predictor, x, samples, max_rows=max_rows)
    reference = Predictor(trained).inference_probs(x)
    assert max(rows_seen) <= max_rows
    assert sum(rows_seen) == 2 * samples * len(x)
    np.testing.assert_allclose(passes, np.broadcast_to(reference, passes.shape), atol=1e-6)
    np.testing.assert_allclose(mean, reference, atol=1e-6)


def test_default_chunking_bounds_memory_for_huge_t(trained, flat):
    _, x_test = flat
    predictor = Predictor(trained, max_chunk_elements=64 * 500)  # 500 rows of 64 pixels per call
    rows_seen = []
    original = predictor.call
    predictor.call = lambda batch: rows_seen.append(len(batch)) or original(batch)
    mean, _ = mc_moments(predictor, x_test[:2], 2000)
    assert max(rows_seen) == 500 and sum(rows_seen) == 4000
    np.testing.assert_allclose(mean.sum(axis=-1), 1.0, atol=1e-5)


def test_noise_shape_masks_are_independent_across_copies():
    import keras

    # noise_shape (None, 1): one keep/drop decision per row, shared by all its features.
    inputs = keras.Input((6,))
    dropped = keras.layers.Dropout(0.5, noise_shape=(None, 1), seed=5)(inputs)
    model = keras.Model(inputs, keras.layers.Softmax()(dropped))
    x = np.linspace(0.1, 0.6, 6, dtype=np.float32)[None]
    passes = mc_sample_probs(Predictor(model), x, 200)[:, 0, :]
    distinct = {tuple(np.round(row, 6)) for row in passes}
    assert len(distinct) == 2  # whole row kept (scaled) or whole row dropped (uniform)
    uniform = np.isclose(passes, 1 / 6).all(axis=1)
    assert 0.3 < uniform.mean() < 0.7  # copies draw their masks independently


def test_logits_are_softmaxed(flat, digits):
    import keras

    x = flat[1][:8]
    inputs = keras.Input((x.shape[1],))
    logits = keras.layers.Dense(10, kernel_initializer=keras.initializers.GlorotUniform(seed=0))(inputs)
    model = keras.Model(inputs, keras.layers.Dropout(0.3, seed=0)(logits))
    predictor = Predictor(model, outputs_are_logits=True)
    np.testing.assert_allclose(predictor.probs(x, training=False).sum(axis=-1), 1.0, atol=1e-6)
    np.testing.assert_allclose(mc_sample_probs(predictor, x, 5).sum(axis=-1), 1.0, atol=1e-5)


def test_batchnorm_training_mode_shift_is_reported_and_restored(bn_model, flat, digits):
    _, x_test = flat
    before = [np.array(v.numpy()) for v in bn_model.non_trainable_variables]
    predictor = Predictor(bn_model, batch_size=32)
    modes = evaluate_modes(predictor, x_test, digits.y_test, mc_samples=5, repeats=2)
    after = [np.array(v.numpy()) for v in bn_model.non_trainable_variables if "seed_generator" not in v.path]
    before_stats = [b for b, v in zip(before, bn_model.non_trainable_variables) if "seed_generator" not in v.path]
    assert modes["training"]["bn_moving_stats_shift"] > 0
    for saved, now in zip(before_stats, after):
        np.testing.assert_array_equal(saved, now)  # restored bit for bit


def test_dropout_only_leaves_batchnorm_alone(bn_model, flat):
    _, x_test = flat
    stats = discovery.NormalizationState(bn_model)
    predictor = Predictor(bn_model)
    passes = predictor.probs(x_test, training=True, dropout_only=True)
    assert stats.max_relative_shift() == 0.0
    assert not np.array_equal(passes, predictor.probs(x_test, training=True, dropout_only=True))  # dropout still on
    # with dropout at 0, dropout_only is exactly inference: BN used its moving statistics
    with discovery.dropout_rate(bn_model, 0.0):
        np.testing.assert_allclose(
            predictor.probs(x_test, training=True, dropout_only=True), predictor.inference_probs(x_test), atol=1e-6
        )
    assert all(layer.trainable for layer in discovery.normalization_layers(bn_model))


def test_seeded_evaluation_is_repeatable_and_leaves_the_model_rng_alone(predictor, trained, flat, digits):
    _, x_test = flat
    states = [np.array(v.numpy()) for v in seed_state_variables(trained)]
    first = evaluate_modes(predictor, x_test, digits.y_test, mc_samples=5, repeats=2, seed=7)
    second = evaluate_modes(predictor, x_test, digits.y_test, mc_samples=5, repeats=2, seed=7)
    assert first == second
    for saved, variable in zip(states, seed_state_variables(trained)):
        np.testing.assert_array_equal(saved, variable.numpy())


def test_cancel_interrupts_the_sampler(trained, flat):
    from dropout_tui.engine.cancel import Cancelled

    calls = []
    predictor = Predictor(trained, should_cancel=lambda: len(calls) > 2, max_chunk_elements=64 * 10)
    original = predictor.call
    predictor.call = lambda batch: calls.append(1) or original(batch)
    with pytest.raises(Cancelled):
        mc_moments(predictor, flat[1], 10_000)
    assert len(calls) == 3
