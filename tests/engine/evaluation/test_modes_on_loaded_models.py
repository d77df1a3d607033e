"""The evaluation modes on loaded models: BatchNorm stays honest, noise_shape stays correct."""

import keras
import numpy as np
import pytest

from dropout_tui.engine.evaluation.predictor import Predictor, evaluate_modes, mc_sample_probs
from dropout_tui.engine.model.layers import normalization_in_inference, normalization_layers
from dropout_tui.engine.model.loading import load_user_model
from tests.support import inspect_models as models


def _all_variables(model):
    return {v.path: np.array(v.numpy(), copy=True) for v in model.variables}


def _moving_stats(model):
    return [
        np.array(v.numpy(), copy=True) for layer in normalization_layers(model) for v in layer.non_trainable_variables
    ]


@pytest.fixture(scope="module")
def bn_model(tmp_path_factory):
    """A BN CNN whose moving statistics are far from the test batches' statistics."""
    path = tmp_path_factory.mktemp("bn") / "cnn.keras"
    models.bn_cnn().save(path)
    return load_user_model(str(path), unsafe=False)


@pytest.fixture(scope="module")
def bn_data():
    x, y = models.random_data((8, 8, 1), 10, n=64, seed=1)
    return x * 3.0 + 2.0, y  # shifted and scaled: training-mode BN will move a lot


def test_training_mode_moves_bn_stats_reports_the_shift_and_restores_every_weight_bit_exactly(bn_model, bn_data):
    x, y = bn_data
    before = _all_variables(bn_model)
    trainable_flags = [layer.trainable for layer in bn_model._flatten_layers()]
    modes = evaluate_modes(Predictor(bn_model, batch_size=16), x, y, mc_samples=4, repeats=2, seed=3)
    assert modes["training"]["bn_moving_stats_shift"] > 0.1
    after = _all_variables(bn_model)
    assert after.keys() == before.keys()
    for path, value in before.items():
        assert np.array_equal(after[path], value), path
    assert [layer.trainable for layer in bn_model._flatten_layers()] == trainable_flags


def test_dropout_only_leaves_bn_untouched_and_in_inference_mode(bn_model, bn_data):
    x, _ = bn_data
    stats = _moving_stats(bn_model)
    predictor = Predictor(bn_model, batch_size=16)
    dropout_only = predictor.probs(x, training=True, dropout_only=True)
    mc = mc_sample_probs(predictor, x[:4], 8)
    for saved, now in zip(stats, _moving_stats(bn_model)):
        assert np.array_equal(saved, now)
    # BN in inference mode: the BN output equals the one computed from the moving statistics.
    bn = bn_model.get_layer("bn")
    features = keras.Model(bn_model.input, bn.output)
    with normalization_in_inference(bn_model):
        switched = features(x, training=True).numpy()
    np.testing.assert_allclose(switched, features(x, training=False).numpy(), rtol=1e-5, atol=1e-5)
    assert not np.allclose(features(x, training=True).numpy(), switched, atol=1e-2)
    # ...while dropout stays on: passes differ.
    assert not np.array_equal(dropout_only, predictor.probs(x, training=True, dropout_only=True))
    assert len({p.tobytes() for p in mc[:, 0]}) > 1


def _mask_model(noise_shape, layer=None):
    inputs = keras.Input((3, 4))
    layer = layer or keras.layers.Dropout(0.5, noise_shape=noise_shape, name="masked")
    return keras.Model(inputs, layer(inputs))


@pytest.mark.parametrize(
    "noise_shape",
    [(None, 1, 4), (None, 1, None), (1, 1, 4)],
    ids=["batch-none", "none-features", "batch-one"],
)
def test_vectorised_sampler_shares_masks_within_a_sample_and_not_across_copies(noise_shape):
    model = _mask_model(noise_shape)
    passes = mc_sample_probs(Predictor(model), np.ones((1, 3, 4), np.float32), 64)[:, 0].reshape(64, 3, 4)
    # Within one sample: the mask is shared along the axis of size 1 (the 3 rows).
    assert np.array_equal(passes, np.repeat(passes[:, :1], 3, axis=1))
    # Across the T copies: independent masks, so (almost) all 64 differ among 2^4 patterns.
    assert len({p.tobytes() for p in passes}) >= 12


def test_vectorised_sampler_with_spatial_dropout_drops_whole_channels():
    inputs = keras.Input((4, 4, 6))
    model = keras.Model(inputs, keras.layers.SpatialDropout2D(0.5)(inputs))
    passes = mc_sample_probs(Predictor(model), np.ones((1, 4, 4, 6), np.float32), 32)[:, 0]
    per_channel = passes.reshape(32, 16, 6)
    assert np.array_equal(per_channel, np.repeat(per_channel[:, :1], 16, axis=1))
    assert len({p.tobytes() for p in per_channel[:, 0]}) > 8


def test_model_without_stochastic_layers_all_modes_agree(tmp_path):
    path = tmp_path / "plain.keras"
    models.plain_model().save(path)
    model = load_user_model(str(path), unsafe=False)
    x, y = models.random_data((6,), 3, n=50)
    modes = evaluate_modes(Predictor(model), x, y, mc_samples=5, repeats=2, seed=0)
    reference = modes["inference"]
    for name in ("training", "trainable_flag", "dropout_only", "mc"):
        assert modes[name]["accuracy"] == pytest.approx(reference["accuracy"], abs=1e-12), name
        assert modes[name]["loss"] == pytest.approx(reference["loss"], rel=1e-5), name
    assert modes["training"]["accuracy_std"] == 0.0
    assert modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0


@pytest.mark.timeout(90)
def test_efficientnet_b0_through_every_mode():
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)
    x = np.random.default_rng(0).uniform(0, 255, size=(16, 32, 32, 3)).astype(np.float32)
    y = np.arange(16) % 10
    before = _all_variables(model)
    modes = evaluate_modes(Predictor(model, batch_size=8), x, y, mc_samples=4, repeats=1, seed=0)
    assert set(modes) == {"inference", "training", "trainable_flag", "dropout_only", "mc"}
    assert modes["training"]["bn_moving_stats_shift"] > 0
    assert modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    after = _all_variables(model)
    assert all(np.array_equal(after[path], value) for path, value in before.items())
