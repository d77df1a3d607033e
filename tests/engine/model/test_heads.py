"""Heads: what the outputs are (softmax, logits, sigmoid, one logit, values), from --task, saved loss, labels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import load_dataset
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.model.heads import (
    Head,
    HeadError,
    detect_head,
    label_kind,
    loss_witness,
    regression_head,
    softmax_head,
)
from dropout_tui.engine.model.loading import prepare_inspect, saved_compile_loss
from dropout_tui.engine.run.preparation import prepare

pytestmark = [pytest.mark.training]

# zoo model -> (task, activation, units, classes)
EXPECTED = {
    "cnn_bn_spatial": ("classification", "softmax", 3, 3),
    "lstm_classifier": ("classification", "softmax", 3, 3),
    "augmented_cnn": ("classification", "softmax", 3, 3),
    "embedding_classifier": ("classification", "softmax", 3, 3),
    "binary_sigmoid": ("classification", "sigmoid", 1, 2),
    "binary_logit": ("classification", "binary_logits", 1, 2),
    "regressor": ("regression", "linear", 1, None),
    "multi_output_regressor": ("regression", "linear", 3, None),
}


def _detect(zoo, name, *, task=None, with_loss=True):
    model = zoo.load(name)
    data = zoo.data(name)
    probe = model.predict(data["x_test"][:32], verbose=0)
    loss = saved_compile_loss(zoo.paths(name)[0]) if with_loss else None
    # Without the saved loss, an uncompiled loaded model tells nothing either: only activation and labels.
    return detect_head(model, probe, data["y_test"], task=task, saved_loss=loss)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_zoo_head(zoo, name):
    head = _detect(zoo, name)
    assert (head.task, head.activation, head.units, head.classes) == EXPECTED[name]
    assert "\n" not in head.note


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_labels_and_activation_alone_agree_with_the_saved_loss(zoo, name):
    head = _detect(zoo, name, with_loss=False)
    assert (head.task, head.activation, head.units, head.classes) == EXPECTED[name]


def test_one_unit_without_sigmoid_is_read_as_a_logit_and_said(zoo):
    head = _detect(zoo, "binary_logit", with_loss=False)
    assert head.note.startswith("binary classifier: one unit without sigmoid (final activation linear)")
    assert "pass --task regression" in head.note
    assert "from_logits=True" in _detect(zoo, "binary_logit").note


def test_explicit_task_wins(zoo):
    head = _detect(zoo, "binary_logit", task="regression")
    assert (head.task, head.activation) == ("regression", "linear")
    assert _detect(zoo, "regressor", task="regression").task == "regression"
    assert _detect(zoo, "binary_sigmoid", task="classification").activation == "sigmoid"


@pytest.mark.parametrize(
    "name, task, message",
    [
        (
            "cnn_bn_spatial",
            "regression",
            r"^--task regression, but the model ends in a softmax: its outputs are class probabilities, "
            r"not regression values$",
        ),
        ("regressor", "classification", r"^--task classification but the labels are not class indices or one-hot"),
        ("binary_sigmoid", "regression", r"^--task regression, but the model ends in one sigmoid unit"),
    ],
)
def test_contradictions_are_one_line(zoo, name, task, message):
    with pytest.raises(HeadError, match=message) as caught:
        _detect(zoo, name, task=task)
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value)


def test_float_targets_against_a_softmax_model_are_refused(zoo):
    model = zoo.load("cnn_bn_spatial")
    probe = model.predict(zoo.data("cnn_bn_spatial")["x_test"][:8], verbose=0)
    with pytest.raises(HeadError, match="float values .*ends in a softmax"):
        detect_head(model, probe, np.linspace(0.1, 2.0, 8))


def test_a_single_softmax_unit_is_refused():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="softmax")(inputs))
    with pytest.raises(HeadError, match="softmax over one unit"):
        detect_head(model, np.ones((4, 1)), np.array([0, 1, 0, 1]))


def test_classic_logits_and_probe_witness():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3)(inputs)
    model = keras.Model(inputs, keras.layers.Reshape((3,))(hidden))  # the activation is hidden
    labels = np.array([0, 1, 2, 0, 1])
    probe = model.predict(np.ones((5, 4), np.float32), verbose=0)
    head = detect_head(model, probe, labels)
    assert (
        head.activation == "logits" and head.note == "outputs are logits (probe rows do not sum to 1): softmax applied"
    )
    assert detect_head(model, np.full((5, 3), 1 / 3), labels).activation == "softmax"


HEADS = [
    Head("classification", "softmax", 3, 3, ""),
    Head("classification", "logits", 3, 3, ""),
    Head("classification", "sigmoid", 1, 2, ""),
    Head("classification", "binary_logits", 1, 2, ""),
    Head("regression", "linear", 2, None, ""),
]


@pytest.mark.parametrize("head", HEADS, ids=[head.activation for head in HEADS])
def test_probabilities_in_keras_ops_match_the_numpy_twin(head):
    rng = np.random.default_rng(0)
    outputs = rng.normal(size=(6, head.units)).astype(np.float32)
    if head.activation == "softmax":
        outputs = np.exp(outputs) / np.exp(outputs).sum(axis=1, keepdims=True)
    if head.activation == "sigmoid":
        outputs = 1 / (1 + np.exp(-outputs))
    expected = head.probabilities_numpy(outputs)
    eager = keras.ops.convert_to_numpy(head.probabilities(outputs))
    traced = tf.function(head.probabilities)(tf.constant(outputs)).numpy()
    np.testing.assert_allclose(eager, expected, atol=1e-6)
    np.testing.assert_allclose(traced, expected, atol=1e-6)
    if head.task == "classification":
        assert expected.shape == (6, head.classes)
        np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-6)
    else:
        np.testing.assert_array_equal(expected, outputs)
    assert head.logits == (head.activation in ("logits", "binary_logits"))


def test_sigmoid_columns_are_one_minus_s_then_s():
    p = Head("classification", "sigmoid", 1, 2, "").probabilities_numpy(np.array([[0.2], [0.9]]))
    np.testing.assert_allclose(p, [[0.8, 0.2], [0.1, 0.9]], atol=1e-7)
    p = Head("classification", "binary_logits", 1, 2, "").probabilities_numpy(np.array([[0.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5]])


@pytest.mark.parametrize(
    "labels, kind",
    [
        (np.array([0, 1, 1]), "binary"),
        (np.array([[0.0], [1.0]]), "binary"),
        (np.array([True, False]), "binary"),
        (np.array([0, 2, 1]), "integer"),
        (np.eye(3)[[0, 2]], "one_hot"),
        (np.eye(2)[[0, 1]], "binary_one_hot"),
        (np.array([0.5, 1.0]), "float"),
        (np.array([-1.0, 2.0]), "float"),
        (np.array([[0.2, 0.3], [1.0, 0.0]]), "float"),
    ],
)
def test_label_kinds(labels, kind):
    assert label_kind(labels) == kind


@pytest.mark.parametrize(
    "loss, witness",
    [
        ("mse", ("regression", None, "mse")),
        ("log_cosh", ("regression", None, "log_cosh")),
        ({"module": "builtins", "class_name": "function", "config": "mean_squared_error"}, ("regression", None)),
        ({"module": "keras.losses", "class_name": "Huber", "config": {"name": "huber_loss"}}, ("regression", None)),
        ("sparse_categorical_crossentropy", ("classification", False)),
        (
            {"module": "keras.losses", "class_name": "BinaryCrossentropy", "config": {"from_logits": True}},
            ("classification", True),
        ),
        (["categorical_crossentropy"], ("classification", False)),
        ("my_custom_loss", (None, None)),
        (None, (None, None)),
    ],
)
def test_loss_witness(loss, witness):
    assert loss_witness(loss)[: len(witness)] == witness


def _config(tmp_path, name, arrays, **options):
    path = tmp_path / f"{name}.npz"
    np.savez(path, **arrays)
    return RunConfig(data_path=str(path), epochs=1, hidden=8, **options).validate()


def test_train_builds_a_linear_mse_head_for_float_targets(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.stack([x[:, 0] + 0.5, x[:, 1] * 2], axis=1).astype(np.float32)
    config = _config(tmp_path, "reg", {"x_train": x[:40], "y_train": y[:40], "x_test": x[40:], "y_test": y[40:]})
    dataset = load_dataset(config)
    prepared = prepare(config, dataset)
    model = prepared.model
    assert prepared.head == regression_head(2, prepared.head.note) and prepared.classes == 0
    assert model.layers[-1].units == 2 and model.layers[-1].activation.__name__ == "linear"
    assert model.loss == "mean_squared_error"
    assert [layer.__class__.__name__ for layer in model.layers[1:]] == ["Dense", "Dropout", "Dense"]
    assert prepared.y_test.shape == (20, 2) and prepared.y_test.dtype == np.float32
    model.fit(prepared.x_train, prepared.y_train, epochs=1, verbose=0)


def test_train_with_task_regression_on_whole_number_float_targets(tmp_path):
    x = np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32)
    y = (np.arange(30) % 4).astype(np.float32)
    config = _config(
        tmp_path, "ints", {"x_train": x[:20], "y_train": y[:20], "x_test": x[20:], "y_test": y[20:]}, task="regression"
    )
    prepared = prepare(config, load_dataset(config))
    assert prepared.head.task == "regression" and prepared.model.layers[-1].units == 1
    assert prepared.y_train.shape == (20, 1)


def test_train_classification_is_unchanged(tmp_path):
    config = RunConfig(epochs=1, hidden=8)
    prepared = prepare(config, load_dataset(config))
    assert prepared.head == softmax_head(10) and prepared.classes == 10
    assert prepared.model.loss == "sparse_categorical_crossentropy"


def test_inspect_integer_labels_read_as_values_by_an_mse_model(zoo, tmp_path):
    """A model compiled with mse and integer targets: the saved loss says regression; targets become floats."""
    model_path, _ = zoo.paths("regressor")
    data = zoo.data("regressor")
    npz = tmp_path / "ints.npz"
    np.savez(npz, x_test=data["x_test"], y_test=np.round(np.abs(data["y_test"][:, 0]) * 3).astype(np.int64))
    config = RunConfig(command="inspect", model_path=model_path, data_path=str(npz)).validate()
    target = prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False))
    assert target.head.task == "regression" and target.y_test.dtype == np.float32 and target.y_test.shape[1] == 1
    assert target.classes == 0 and target.head.activation == "linear"


def test_inspect_regression_targets_must_match_the_outputs(zoo, tmp_path):
    from dropout_tui.engine.model.loading import ModelDataMismatch

    model_path, _ = zoo.paths("multi_output_regressor")
    data = zoo.data("multi_output_regressor")
    npz = tmp_path / "two.npz"
    np.savez(npz, x_test=data["x_test"], y_test=data["y_test"][:, :2])
    config = RunConfig(command="inspect", model_path=model_path, data_path=str(npz)).validate()
    with pytest.raises(ModelDataMismatch, match="^the data has 2 regression target\\(s\\) per sample but the model"):
        prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False))
