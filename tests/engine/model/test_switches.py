"""The dropout_only switches and the rate handles, eagerly and inside a tf.function traced in the block."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dropout_tui.engine.model.layers import (
    CellRateHandle,
    dropout_only_switches,
    normalization_layers,
    rate_handles,
)

pytestmark = [pytest.mark.training]


def _spread(call, x, passes=4) -> float:
    outputs = np.stack([np.asarray(call(x)) for _ in range(passes)])
    return float(outputs.std(axis=0).max())


def _x(zoo, name, rows=16):
    return zoo.data(name)["x_test"][:rows]


def _eager(model):
    return lambda x: model(x, training=True)


def _traced(model):
    return tf.function(lambda x: model(x, training=True))


def test_augmentation_is_off_under_the_switch_and_back_after(zoo):
    model, x = zoo.load("augmented_cnn"), _x(zoo, "augmented_cnn")
    inference = np.asarray(model(x, training=False))
    assert _spread(_eager(model), x) > 0  # training: augmentation on
    with dropout_only_switches(model):
        np.testing.assert_array_equal(np.asarray(model(x, training=True)), inference)
        assert _spread(_eager(model), x) == 0
        traced = _traced(model)  # traced inside the block: augmentation stays off in the graph
        assert _spread(traced, x) == 0
        np.testing.assert_allclose(np.asarray(traced(x)), inference, atol=1e-6)
    assert all("call" not in vars(model.get_layer(name)) for name in ("flip", "translate", "contrast"))
    assert _spread(_eager(model), x) > 0
    assert _spread(traced, x) == 0  # a function keeps what it saw when it was traced


@pytest.mark.parametrize(
    "name, traced",
    [
        ("lstm_classifier", True),
        ("custom_noise_model", True),
        ("bidirectional_gru", False),  # traced in test_bidirectional_directions_move_together
        ("conv_lstm_classifier", False),
        ("time_distributed_dropout", False),
    ],
)
def test_recurrent_and_custom_layers_stay_on(zoo, name, traced):
    model, x = zoo.load(name), _x(zoo, name)
    with dropout_only_switches(model):
        assert _spread(_eager(model), x) > 0
        if traced:
            assert _spread(_traced(model), x) > 0


def test_batchnorm_statistics_are_bit_identical_under_the_switch(zoo):
    model, x = zoo.load("cnn_bn_spatial"), _x(zoo, "cnn_bn_spatial")
    variables = [v for layer in normalization_layers(model) for v in layer.non_trainable_variables]
    before = [np.array(v.numpy(), copy=True) for v in variables]
    with dropout_only_switches(model):
        assert _spread(_eager(model), x) > 0  # spatial dropout on
        assert _spread(_traced(model), x) > 0
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, variables))
    assert all(layer.trainable for layer in normalization_layers(model))  # flags restored
    model(x, training=True)  # control: without the switch the statistics move
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(before, variables))


def test_the_switch_is_applied_on_entry_not_on_creation(zoo):
    model, x = zoo.load("augmented_cnn"), _x(zoo, "augmented_cnn")
    switch = dropout_only_switches(model)
    assert _spread(_eager(model), x) > 0
    with switch:
        assert _spread(_eager(model), x) == 0


def test_recurrent_handles_are_named_per_layer_and_rate(zoo):
    handles = {handle.name: handle for handle in rate_handles(zoo.load("time_distributed_dropout"))}
    assert {name: handle.get() for name, handle in handles.items()} == {
        "segment_rnn.dropout": pytest.approx(0.1),
        "segment_rnn.recurrent_dropout": pytest.approx(0.2),
        "step_dropout": pytest.approx(0.3),
    }
    assert isinstance(handles["segment_rnn.dropout"], CellRateHandle)


def test_bidirectional_directions_move_together(zoo):
    model, x = zoo.load("bidirectional_gru"), _x(zoo, "bidirectional_gru")
    handles = rate_handles(model)
    assert [handle.name for handle in handles] == ["bidirectional.dropout", "bidirectional.recurrent_dropout"]
    wrapper = model.get_layer("bidirectional")
    cells = (wrapper.forward_layer.cell, wrapper.backward_layer.cell)
    for handle in handles:
        handle.set(0.0)
    assert all(cell.dropout == 0 and cell.recurrent_dropout == 0 for cell in cells)
    assert _spread(_eager(model), x) == 0 and _spread(_traced(model), x) == 0
    handles[1].set(0.4)
    assert all(cell.recurrent_dropout == 0.4 and cell.implementation == 1 for cell in cells)
    assert handles[1].get() == pytest.approx(0.4)
    assert _spread(_traced(model), x) > 0


@pytest.mark.parametrize("layer_class, masks", [(keras.layers.LSTM, 4), (keras.layers.GRU, 3)])
def test_raising_recurrent_dropout_from_zero_leaves_the_fused_implementation(layer_class, masks):
    x = np.random.default_rng(0).normal(size=(8, 6, 3)).astype("float32")
    inputs = keras.Input((6, 3))
    model = keras.Model(inputs, layer_class(5, dropout=0.2, recurrent_dropout=0.0, seed=1, name="rnn")(inputs))
    cell = model.get_layer("rnn").cell
    assert cell.implementation == 2
    dropout, recurrent = rate_handles(model)
    assert (dropout.name, recurrent.name, recurrent.get()) == ("rnn.dropout", "rnn.recurrent_dropout", 0.0)
    dropout.set(0.0)
    recurrent.set(0.5)  # only recurrent dropout: the fused implementation would ignore it
    assert (cell.implementation, cell.dropout_mask_count) == (1, masks)
    assert _spread(_eager(model), x) > 0 and _spread(_traced(model), x) > 0
    dropout.set(0.3)
    recurrent.set(0.0)  # back at 0 with dropout on: Keras's own pairing again (implementation 1 would crash here)
    assert cell.implementation == 2 and "dropout_mask_count" not in vars(cell)
    assert _spread(_eager(model), x) > 0
    dropout.set(0.0)
    assert _spread(_eager(model), x) == 0 and _spread(_traced(model), x) == 0


def test_lstm_built_with_recurrent_dropout_survives_going_to_zero(zoo):
    model, x = zoo.load("lstm_classifier"), _x(zoo, "lstm_classifier")
    handles = {handle.name: handle for handle in rate_handles(model)}
    handles["lstm.recurrent_dropout"].set(0.0)
    assert _spread(_eager(model), x) > 0  # input dropout still on, and no crash
    handles["lstm.recurrent_dropout"].set(0.3)
    assert model.get_layer("lstm").cell.implementation == 1
