"""Stochastic, augmentation and normalisation layers are found through nesting, by class and by behaviour."""

import time

import keras
import numpy as np
import pytest

from dropout_tui.engine.model.layers import (
    describe_augmentation,
    describe_normalization,
    describe_stochastic,
    survey,
)
from dropout_tui.engine.model.loading import load_user_model
from tests.support import inspect_models as models

pytestmark = [pytest.mark.training]


def _round_trip(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    model.save(path)
    return load_user_model(str(path), unsafe=False)


def test_every_stochastic_class_is_listed_with_rate_stddev_and_noise_shape(tmp_path):
    loaded = _round_trip(models.all_stochastic_mlp(), tmp_path)
    assert [layer.to_json() for layer in describe_stochastic(loaded)] == [
        {"name": "plain_dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None},
        {"name": "gauss_dropout", "class": "GaussianDropout", "kind": "dropout", "rate": 0.1, "noise_shape": None},
        {"name": "alpha_dropout", "class": "AlphaDropout", "kind": "dropout", "rate": 0.15, "noise_shape": None},
        {
            "name": "gauss_noise",
            "class": "GaussianNoise",
            "kind": "noise",
            "rate": None,
            "noise_shape": None,
            "stddev": 0.05,
        },
        {"name": "shared_dropout", "class": "Dropout", "kind": "dropout", "rate": 0.25, "noise_shape": [None, 1, 4]},
        # Spatial dropout builds its mask shape in call(); discovery reports that effective shape.
        {
            "name": "spatial_1d",
            "class": "SpatialDropout1D",
            "kind": "dropout",
            "rate": 0.3,
            "noise_shape": [None, 1, None],
        },
        {
            "name": "spatial_2d",
            "class": "SpatialDropout2D",
            "kind": "dropout",
            "rate": 0.35,
            "noise_shape": [None, 1, 1, None],
        },
        {
            "name": "spatial_3d",
            "class": "SpatialDropout3D",
            "kind": "dropout",
            "rate": 0.4,
            "noise_shape": [None, 1, 1, 1, None],
        },
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
    assert [(layer.name, layer.cls, layer.kind, layer.always_on) for layer in describe_stochastic(model)] == [
        ("mc", "AlwaysOnDropout", "dropout", True)
    ]


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
    assert {"name": "top_dropout", "class": "Dropout", "kind": "dropout", "rate": 0.2, "noise_shape": None} in [
        layer.to_json() for layer in found
    ]
    assert len(describe_normalization(model)) == 49
    assert time.perf_counter() - start < 15


def _recurrent(name, cls, dropout, recurrent_dropout):
    return {
        "name": name,
        "class": cls,
        "kind": "recurrent",
        "rate": None,
        "noise_shape": None,
        "dropout": dropout,
        "recurrent_dropout": recurrent_dropout,
    }


def _dropout(name, rate, cls="Dropout", noise_shape=None, **extra):
    return {"name": name, "class": cls, "kind": "dropout", "rate": rate, "noise_shape": noise_shape, **extra}


FLIP, TRANSLATE, CONTRAST = (
    {"name": "flip", "class": "RandomFlip"},
    {"name": "translate", "class": "RandomTranslation"},
    {"name": "contrast", "class": "RandomContrast"},
)
# zoo model -> (stochastic entries, augmentation layers, BatchNormalization layer names)
EXPECTED = {
    "cnn_bn_spatial": ([_dropout("spatial_dropout", 0.25, "SpatialDropout2D", [None, 1, 1, None])], [], ["bn"]),
    "lstm_classifier": ([_recurrent("lstm", "LSTM", 0.2, 0.3)], [], []),
    "gru_classifier": ([_recurrent("gru", "GRU", 0.1, 0.25)], [], []),
    "bidirectional_gru": ([_recurrent("bidirectional", "Bidirectional(GRU)", 0.15, 0.2)], [], []),
    "time_distributed_dropout": (
        [_recurrent("segment_rnn", "SimpleRNN", 0.1, 0.2), _dropout("step_dropout", 0.3)],
        [],
        [],
    ),
    "nested_model_with_recurrent": (
        [_recurrent("inner_rnn", "SimpleRNN", 0.2, 0.35), _dropout("outer_dropout", 0.1)],
        [],
        ["inner_bn"],
    ),
    "conv_lstm_classifier": ([_recurrent("conv_lstm", "ConvLSTM1D", 0.2, 0.1)], [], []),
    "augmented_cnn": ([], [FLIP, TRANSLATE, CONTRAST], []),
    "mobilenet_like": ([], [], ["stem_bn", "dw_bn", "pw_bn"]),
    "binary_sigmoid": ([_dropout("dropout", 0.3)], [], []),
    "binary_logit": ([_dropout("dropout", 0.2)], [], []),
    "regressor": ([_dropout("dropout", 0.2)], [], []),
    "multi_output_regressor": ([_dropout("dropout", 0.2)], [], []),
    "embedding_classifier": ([_dropout("dropout", 0.2)], [], []),
    "always_on_dropout_model": ([_dropout("mc_dropout", 0.3, "AlwaysOnDropout", always_on=True)], [], []),
    "custom_noise_model": (
        [
            {
                "name": "jitter",
                "class": "FeatureJitter",
                "kind": "custom",
                "rate": None,
                "noise_shape": None,
                "stddev": 0.5,
            }
        ],
        [],
        [],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_zoo_model_after_a_round_trip(zoo, name):
    model = zoo.load(name)
    stochastic, augmentation, normalization = EXPECTED[name]
    found = survey(model)
    assert [entry.to_json() for entry in found.stochastic] == stochastic
    assert describe_augmentation(model) == augmentation
    assert [layer.name for layer in found.normalization] == normalization
    assert found.unchecked == []
    # The layer objects behind the entries, in the same order.
    assert [layer.name for layer in found.stochastic_layers] == [entry["name"] for entry in stochastic]


def test_discovery_leaves_every_variable_untouched(zoo):
    """The empirical check runs in a StatelessScope: seed counters and BatchNorm statistics stay bit-identical."""
    for name in ("custom_noise_model", "always_on_dropout_model", "nested_model_with_recurrent"):
        model = zoo.load(name)
        before = [np.array(v.numpy(), copy=True) for v in model.variables]
        describe_stochastic(model)
        assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, model.variables)), name


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class ScaledDense(keras.layers.Dense):
    """A user's subclass of a deterministic Keras layer: checked, found deterministic."""


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class MyBatchNorm(keras.layers.BatchNormalization):
    pass


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class MyEmbedding(keras.layers.Embedding):
    pass


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class Doubler(keras.layers.Layer):
    def call(self, x, training=None):
        return x * 2.0


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class NoisyNoTrainingArg(keras.layers.Layer):
    """Random on every call (no training argument at all): an always-on custom layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(3)

    def call(self, x):
        return x + keras.random.normal(keras.ops.shape(x), seed=self.seed_generator)


@keras.saving.register_keras_serializable(package="dropout_tui_discovery_tests")
class FailsInTraining(keras.layers.Layer):
    def call(self, x, training=None):
        if training:
            raise ValueError("no training here")
        return x


def test_no_false_positives_on_deterministic_layers_and_subclasses(tmp_path):
    tokens = keras.Input((5,), dtype="int32")
    x = MyEmbedding(20, 4, name="my_embedding")(tokens)
    x = keras.layers.Embedding(20, 4, name="embedding")(tokens) + x
    x = keras.layers.Conv1D(4, 3, padding="same", name="conv")(x)
    x = MyBatchNorm(name="my_bn")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Flatten()(x)
    x = ScaledDense(6, name="scaled_dense")(x)
    x = Doubler(name="doubler")(x)
    model = keras.Model(tokens, keras.layers.Dense(3, activation="softmax")(x))
    model.save(tmp_path / "det.keras")
    loaded = load_user_model(str(tmp_path / "det.keras"), unsafe=False)
    before = [np.array(v.numpy(), copy=True) for v in loaded.variables]
    found = survey(loaded)
    assert found.stochastic == [] and found.unchecked == [] and found.augmentation == []
    assert [layer.name for layer in found.normalization] == ["my_bn", "bn"]
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, loaded.variables))


def test_custom_random_layers_found_by_behaviour():
    inputs = keras.Input((4,))
    x = NoisyNoTrainingArg(name="always_noisy")(inputs)
    x = FailsInTraining(name="fragile")(x)
    holder = models.DropoutHolder(4, 0.25, name="holder")  # a custom container: its Dropout is listed, not it
    model = keras.Model(inputs, holder(x))
    found = survey(model)
    assert [(e.name, e.kind, e.always_on) for e in found.stochastic] == [
        ("always_noisy", "custom", True),
        ("held_dropout", "dropout", False),
    ]
    assert [(layer.name, problem) for layer, problem in found.unchecked] == [("fragile", "no training here")]


def test_attention_dropout_is_listed():
    query = keras.Input((4, 8))
    attention = keras.layers.Attention(dropout=0.3, name="attention")
    model = keras.Model(query, attention([query, query]))
    assert [entry.to_json() for entry in describe_stochastic(model)] == [_dropout("attention", 0.3, "Attention")]


def test_recurrent_layers_without_dropout_and_deterministic_preprocessing_are_not_listed():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Resizing(8, 8, name="resize")(inputs)
    x = keras.layers.CenterCrop(6, 6, name="crop")(x)
    x = keras.layers.RandAugment(value_range=(0, 1), seed=1, name="rand_augment")(x)
    x = keras.layers.Reshape((6, 18))(x)
    x = keras.layers.LSTM(4, name="plain_lstm")(x)
    model = keras.Model(inputs, x)
    assert describe_stochastic(model) == []
    # RandAugment's random children are its own business: the container is listed once.
    assert describe_augmentation(model) == [{"name": "rand_augment", "class": "RandAugment"}]
