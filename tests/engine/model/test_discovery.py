"""Stochastic and normalisation layers are found through nesting and survive a save/load round trip."""

import time

import keras
import pytest

from dropout_tui.engine.model.layers import describe_normalization, describe_stochastic
from dropout_tui.engine.model.loading import load_user_model
from tests.support import inspect_models as models


def _round_trip(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    model.save(path)
    return load_user_model(str(path), unsafe=False)


def test_every_stochastic_class_is_listed_with_rate_stddev_and_noise_shape(tmp_path):
    loaded = _round_trip(models.all_stochastic_mlp(), tmp_path)
    assert [layer.to_json() for layer in describe_stochastic(loaded)] == [
        {"name": "plain_dropout", "class": "Dropout", "rate": 0.2, "noise_shape": None},
        {"name": "gauss_dropout", "class": "GaussianDropout", "rate": 0.1, "noise_shape": None},
        {"name": "alpha_dropout", "class": "AlphaDropout", "rate": 0.15, "noise_shape": None},
        {"name": "gauss_noise", "class": "GaussianNoise", "rate": None, "noise_shape": None, "stddev": 0.05},
        {"name": "shared_dropout", "class": "Dropout", "rate": 0.25, "noise_shape": [None, 1, 4]},
        # Spatial dropout builds its mask shape in call(); discovery reports that effective shape.
        {"name": "spatial_1d", "class": "SpatialDropout1D", "rate": 0.3, "noise_shape": [None, 1, None]},
        {"name": "spatial_2d", "class": "SpatialDropout2D", "rate": 0.35, "noise_shape": [None, 1, 1, None]},
        {"name": "spatial_3d", "class": "SpatialDropout3D", "rate": 0.4, "noise_shape": [None, 1, 1, 1, None]},
    ]
    assert describe_normalization(loaded) == []


def test_nested_sequential_and_layers_inside_layers(tmp_path):
    loaded = _round_trip(models.nested_model(), tmp_path)
    assert [(layer.name, layer.cls, layer.rate) for layer in describe_stochastic(loaded)] == [
        ("inner_dropout", "Dropout", 0.1),
        ("held_dropout", "Dropout", 0.3),
    ]
    assert describe_normalization(loaded) == [{"name": "inner_bn", "class": "BatchNormalization"}]


def test_subclass_of_a_stochastic_layer_counts():
    class AlwaysOnDropout(keras.layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    inputs = keras.Input((4,))
    model = keras.Model(inputs, AlwaysOnDropout(0.5, name="mc")(inputs))
    assert [(layer.name, layer.cls) for layer in describe_stochastic(model)] == [("mc", "AlwaysOnDropout")]


def test_channels_first_spatial_dropout_noise_shape():
    inputs = keras.Input((3, 4, 4))
    layer = keras.layers.SpatialDropout2D(0.2, data_format="channels_first", name="cf")
    model = keras.Model(inputs, layer(inputs))
    assert describe_stochastic(model)[0].noise_shape == [None, None, 1, 1]


@pytest.mark.timeout(60)
def test_efficientnet_b0_discovery():
    start = time.perf_counter()
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)
    found = describe_stochastic(model)
    assert len(found) == 10  # 9 block drop-connect layers + top_dropout
    assert all(layer.cls == "Dropout" for layer in found)
    block_drops = [layer for layer in found if layer.name.endswith("_drop")]
    assert len(block_drops) == 9 and all(layer.noise_shape == [None, 1, 1, 1] for layer in block_drops)
    assert {"name": "top_dropout", "class": "Dropout", "rate": 0.2, "noise_shape": None} in [
        layer.to_json() for layer in found
    ]
    assert len(describe_normalization(model)) == 49
    assert time.perf_counter() - start < 15
