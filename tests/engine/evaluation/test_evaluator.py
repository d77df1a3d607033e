"""The compiled evaluator on real (tiny) Keras models: what each pass computes, and what it never touches."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dropout_tui.engine.cancel import Cancelled
from dropout_tui.engine.evaluation.evaluator import Evaluator
from dropout_tui.engine.evaluation.scoring import score_round
from dropout_tui.engine.model import layers
from dropout_tui.engine.model.heads import regression_head, softmax_head
from tests.support.contract import mode_keys
from tests.support.rates import dropout_rate

pytestmark = [pytest.mark.training]

L = keras.layers


def _evaluator(model, *, regression: bool = False, seed: int = 0, **kwargs) -> Evaluator:
    units = int(model.outputs[0].shape[-1]) if hasattr(model, "outputs") else 10
    head = regression_head(units) if regression else softmax_head(units)
    return Evaluator(model, head=head, batch_size=kwargs.pop("batch_size", 32), seed=seed, **kwargs)


def _variables(model) -> dict:
    return {v.path: np.array(v.numpy(), copy=True) for v in model.variables}


def _unchanged(model, before: dict) -> bool:
    return all(np.array_equal(before[v.path], v.numpy()) for v in model.variables)


def _eager_with_stream(model, evaluator, fn):
    """Run ``fn`` eagerly with the evaluator's next seeds in the real seed variables, then put everything back."""
    saved = _variables(model)
    for variable, seed in zip(evaluator.states.seed_variables, evaluator.states.seeds):
        variable.assign(seed)
    try:
        return fn()
    finally:
        for variable in model.variables:
            variable.assign(saved[variable.path])


def _identity_model(rate: float, noise_shape=None, width: int = 64) -> keras.Model:
    """Ones in, the dropout mask / (1 - rate) out: the output shows each copy's mask."""
    inputs = keras.Input((width,))
    x = L.Dense(width, use_bias=False, kernel_initializer="identity", name="pre")(inputs)
    x = L.Dropout(rate, noise_shape=noise_shape, seed=3, name="drop")(x)
    return keras.Model(inputs, L.Dense(width, use_bias=False, kernel_initializer="identity", name="post")(x))


@pytest.mark.parametrize("rate", [0.5, 0.2])
def test_inverted_dropout_scaling_on_a_layer(rate):
    layer = L.Dropout(rate, seed=1)
    ones = np.ones((4, 1000), dtype=np.float32)
    trained = np.asarray(layer(ones, training=True))
    assert np.all((trained == 0) | np.isclose(trained, 1.0 / (1.0 - rate)))
    assert np.mean(trained == 0) == pytest.approx(rate, abs=0.05)
    np.testing.assert_array_equal(np.asarray(layer(ones, training=False)), ones)  # identity, no (1-rate) scaling


def test_inference_equals_predict_and_every_mode_has_its_registered_keys(trained, flat, digits):
    _, x_test = flat
    evaluator = _evaluator(trained)
    np.testing.assert_allclose(evaluator.inference(x_test), trained.predict(x_test, verbose=0), atol=1e-6)
    result = evaluator.evaluate(x_test, digits.y_test, repeats=3, samples=10)
    modes = score_round(result, digits.y_test, softmax_head(10), repeats=3, samples=10)
    assert {name: set(values) for name, values in modes.items()} == mode_keys()
    assert modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    assert modes["trainable_flag"]["accuracy"] == modes["inference"]["accuracy"]
    assert modes["training"]["accuracy_std"] > 0 and modes["training"]["repeats"] == 3
    assert modes["training"]["bn_moving_stats_shift"] == 0.0  # no BatchNorm here
    assert modes["mc"]["samples"] == 10
    np.testing.assert_allclose(result.mc.mean.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(result.mc.expected_entropy >= 0)


def test_evaluating_never_touches_the_model_and_a_seed_repeats_the_numbers(trained, flat, digits):
    _, x_test = flat
    before = _variables(trained)
    first = _evaluator(trained, seed=7)
    one = first.evaluate(x_test, digits.y_test, repeats=2, samples=5)
    first.passes(x_test[:3], 7)
    first.monte_carlo(x_test[:20], 4)
    two = first.evaluate(x_test, digits.y_test, repeats=2, samples=5)
    assert _unchanged(trained, before)  # weights and the layers' own seed states, bit for bit
    again = _evaluator(trained, seed=7).evaluate(x_test, digits.y_test, repeats=2, samples=5)
    np.testing.assert_array_equal(again.mc.mean, one.mc.mean)
    np.testing.assert_array_equal(again.training["nll"], one.training["nll"])
    assert not np.array_equal(two.mc.mean, one.mc.mean)  # the stream moves on: new masks each round


def test_every_copy_draws_its_own_mask_at_the_rate():
    model = _identity_model(0.3)
    masks = _evaluator(model, regression=True).passes(np.ones((3, 64), np.float32), 200)[1]  # (200, 3, 64)
    kept = masks > 0
    assert np.allclose(masks[kept], 1 / 0.7, rtol=1e-5)
    assert len({mask.tobytes() for mask in kept.reshape(600, 64)}) == 600  # no two copies of a sample share one
    assert 1 - kept.mean() == pytest.approx(0.3, abs=0.02)


def test_a_rate_change_retraces_instead_of_dropping_at_the_old_rate():
    model = _identity_model(0.3)
    evaluator = _evaluator(model, regression=True)
    ones = np.ones((2, 64), np.float32)
    assert 1 - (evaluator.passes(ones, 300)[1] > 0).mean() == pytest.approx(0.3, abs=0.03)
    traces = evaluator.traces
    model.get_layer("drop").rate = 0.7
    assert 1 - (evaluator.passes(ones, 300)[1] > 0).mean() == pytest.approx(0.7, abs=0.03)
    assert evaluator.traces > traces
    traces = evaluator.traces
    evaluator.passes(ones, 300)
    assert evaluator.traces == traces  # nothing changed: the compiled functions are reused


def test_a_batch_shared_noise_shape_keeps_one_mask_per_pass_for_every_row():
    model = _identity_model(0.5, noise_shape=(1, 64))
    passes = _evaluator(model, regression=True).passes(np.ones((5, 64), np.float32), 40)[1]  # (40, 5, 64)
    assert np.array_equal(passes, np.repeat(passes[:, :1], 5, axis=1))  # Keras's meaning: one mask per call
    assert len({p.tobytes() for p in passes[:, 0]}) == 40  # a new mask per pass


@pytest.mark.parametrize("noise_shape", [(None, 1, 4), (None, 1, None)], ids=["batch-none", "none-features"])
def test_noise_shape_shares_masks_within_a_sample_and_not_across_copies(noise_shape):
    inputs = keras.Input((3, 4))
    model = keras.Model(inputs, L.Flatten()(L.Dropout(0.5, noise_shape=noise_shape)(inputs)))
    passes = _evaluator(model, regression=True).passes(np.ones((1, 3, 4), np.float32), 64)[1][:, 0].reshape(64, 3, 4)
    assert np.array_equal(passes, np.repeat(passes[:, :1], 3, axis=1))
    assert len({p.tobytes() for p in passes}) >= 12


def test_spatial_dropout_drops_whole_channels_per_copy():
    inputs = keras.Input((4, 4, 6))
    model = keras.Model(inputs, L.Flatten()(L.SpatialDropout2D(0.5)(inputs)))
    passes = _evaluator(model, regression=True).passes(np.ones((1, 4, 4, 6), np.float32), 32)[1][:, 0]
    per_channel = passes.reshape(32, 16, 6)
    assert np.array_equal(per_channel, np.repeat(per_channel[:, :1], 16, axis=1))
    assert len({p.tobytes() for p in per_channel[:, 0]}) > 8


def _functional(body):
    inputs = keras.Input((64,), name="x")
    return keras.Model(inputs, body(inputs))


def _residual(x):
    a = L.Dense(32, activation="relu")(x)
    return L.Dense(10, activation="softmax")(L.Add()([a, L.Dense(32)(L.Dropout(0.2, seed=5)(a))]))


def _input_skip(x):
    b = L.Dense(16)(L.Dropout(0.2, seed=5)(L.Dense(32, activation="relu")(x)))
    return L.Dense(10, activation="softmax")(L.Concatenate()([x, b]))


def _two_dropouts(x):
    a = L.Dense(32, activation="relu")(x)
    b = L.Dense(32, activation="relu")(L.Dropout(0.2, seed=5)(a))
    c = L.Dense(16, activation="relu")(a)  # a deterministic branch joins later
    return L.Dense(10, activation="softmax")(L.Concatenate()([L.Dropout(0.5, seed=6)(b), c]))


def _nested(x):
    block = keras.Sequential([L.Dense(32, activation="relu"), L.Dropout(0.2, seed=5)], name="block")
    return L.Dense(10, activation="softmax")(block(L.Dense(32, activation="relu")(x)))


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.a, self.drop, self.out = L.Dense(32, activation="relu"), L.Dropout(0.2, seed=9), L.Dense(10)

    def call(self, x, training=None):
        return keras.ops.softmax(self.out(self.drop(self.a(x), training=training)))


ARCHITECTURES = {
    "functional": lambda: _functional(lambda x: L.Dense(10, activation="softmax")(L.Dropout(0.3)(L.Dense(32)(x)))),
    "sequential": lambda: keras.Sequential(
        [keras.Input((64,)), L.Dense(32, activation="relu"), L.Dropout(0.3), L.Dense(10, activation="softmax")]
    ),
    "residual": lambda: _functional(_residual),
    "input skip": lambda: _functional(_input_skip),
    "two dropouts": lambda: _functional(_two_dropouts),
    "nested": lambda: _functional(_nested),
    "dropout on the input": lambda: _functional(lambda x: L.Dense(10, activation="softmax")(L.Dropout(0.2)(x))),
    "subclassed": SubclassedNet,
}


@pytest.mark.parametrize("build", ARCHITECTURES.values(), ids=ARCHITECTURES.keys())
def test_computing_the_prefix_once_gives_what_the_whole_model_gives(build, flat):
    """The evaluator's passes (prefix once, suffix per copy) equal one eager call on T stacked copies."""
    keras.utils.set_random_seed(1)
    model = build()
    x = flat[1][:4]
    model(x)  # builds a subclassed model
    evaluator = _evaluator(model)
    evaluator.inference(x)  # draws nothing: the stream is where the next passes start
    reference = _eager_with_stream(model, evaluator, lambda: np.asarray(model(np.repeat(x, 25, axis=0), training=True)))
    _, passes = evaluator.passes(x, 25)
    np.testing.assert_allclose(passes, reference.reshape(4, 25, -1).transpose(1, 0, 2), atol=1e-5)
    np.testing.assert_allclose(evaluator.inference(x), model.predict(x, verbose=0), atol=1e-5)


def test_batchnorm_training_mode_uses_real_batches_and_writes_nothing(bn_model, flat, digits):
    x, y = flat[1][:100], digits.y_test[:100]
    before = _variables(bn_model)
    evaluator = _evaluator(bn_model, batch_size=32)

    def eager_batches():
        nll = 0.0
        for start in range(0, 100, 32):  # batches of 32, 32, 32 and 4, as fit would normalise them
            probs = np.asarray(bn_model(x[start : start + 32], training=True), np.float64)
            nll -= np.log(np.clip(probs[np.arange(len(probs)), y[start : start + 32]], 1e-12, 1.0)).sum()
        return nll

    reference = _eager_with_stream(bn_model, evaluator, eager_batches)
    result = evaluator.evaluate(x, y, repeats=1, samples=3)
    assert result.training["nll"][0] == pytest.approx(reference, rel=1e-5)
    assert result.bn_shift > 0  # measured: how far the moving statistics would have moved
    assert _unchanged(bn_model, before)  # ...and they did not move
    assert all(layer.trainable for layer in layers.normalization_layers(bn_model))


def test_dropout_only_keeps_batchnorm_in_inference_mode(bn_model, flat, digits):
    x, y = flat[1][:60], digits.y_test[:60]
    with dropout_rate(bn_model, 0.0):
        result = _evaluator(bn_model).evaluate(x, y, repeats=2, samples=4)
    inference = softmax_head(10).probabilities_numpy(result.inference)
    nll = -np.log(np.clip(inference[np.arange(60), y], 1e-12, 1.0)).sum()
    # with dropout at 0, a dropout_only pass is inference exactly when BatchNorm used its moving statistics
    np.testing.assert_allclose(result.dropout_only["nll"], nll, rtol=1e-5)


class _ReadsTrainable(L.Dropout):
    """A Dropout that (unlike Keras's) drops at inference whenever its trainable flag is set."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=bool(training) or self.trainable)


def test_the_trainable_flag_is_measured_not_inherited_from_an_earlier_trace(flat):
    inputs = keras.Input((64,))
    layer = _ReadsTrainable(0.5, seed=2, name="reads")
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(layer(L.Dense(32)(inputs))))
    layer.trainable = False
    evaluator = _evaluator(model)
    evaluator.inference(flat[1][:8])  # a trace made before the flag mode ever ran
    result = evaluator.evaluate(flat[1][:8], np.zeros(8, np.int64), repeats=1, samples=2)
    assert np.max(np.abs(result.flagged - result.inference)) > 0  # this layer reads the flag: it must show
    assert layer.trainable is False  # and the flag is back as it was


def test_a_quit_is_seen_between_two_calls(trained, flat):
    calls = []
    evaluator = _evaluator(trained, budget=64 * 10, should_cancel=lambda: len(calls.append(1) or calls) > 5)
    with pytest.raises(Cancelled):
        evaluator.monte_carlo(flat[1], 10_000)
    assert len(calls) == 6


def test_a_model_without_random_layers_agrees_in_every_mode(flat, digits):
    model = keras.Sequential([keras.Input((64,)), L.Dense(16, activation="relu"), L.Dense(10, activation="softmax")])
    x, y = flat[1][:50], digits.y_test[:50]
    modes = score_round(
        _evaluator(model).evaluate(x, y, repeats=2, samples=5), y, softmax_head(10), repeats=2, samples=5
    )
    for name in ("training", "trainable_flag", "dropout_only", "mc"):
        assert modes[name]["accuracy"] == pytest.approx(modes["inference"]["accuracy"], abs=1e-12), name
        assert modes[name]["loss"] == pytest.approx(modes["inference"]["loss"], rel=1e-5), name
    assert modes["training"]["accuracy_std"] == 0.0


def test_regression_rounds_report_errors_spread_and_coverage(flat):
    rng = np.random.default_rng(0)
    x = flat[1][:80]
    targets = (x[:, :3].sum(axis=1, keepdims=True) + rng.normal(0, 0.1, (80, 1))).astype(np.float32)
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.Dropout(0.3), L.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, targets, epochs=3, verbose=0)
    head = regression_head(1)
    result = _evaluator(model, regression=True).evaluate(x, targets, repeats=3, samples=40)
    modes = score_round(result, targets, head, repeats=3, samples=40)
    assert {name: set(values) for name, values in modes.items()} == mode_keys("regression")
    predicted = model.predict(x, verbose=0)
    assert modes["inference"]["rmse"] == pytest.approx(float(np.sqrt(np.mean((predicted - targets) ** 2))), rel=1e-5)
    assert result.mc.outputs.shape == (40, 80, 1)
    assert modes["mc"]["std"] > 0 and 0.0 <= modes["mc"]["coverage_90"] <= 1.0
    assert modes["training"]["rmse_std"] > 0 and modes["mc"]["samples"] == 40


@pytest.mark.timeout(90)
def test_efficientnet_b0_through_every_mode():
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)
    x = np.random.default_rng(0).uniform(0, 255, size=(16, 32, 32, 3)).astype(np.float32)
    y = np.arange(16) % 10
    before = _variables(model)
    result = _evaluator(model, batch_size=8).evaluate(x, y, repeats=1, samples=4)
    modes = score_round(result, y, softmax_head(10), repeats=1, samples=4)
    assert result.bn_shift > 0 and modes["trainable_flag"]["max_abs_diff_vs_inference"] == 0.0
    assert _unchanged(model, before)


def test_the_probe_row_comes_from_the_rounds_own_deterministic_call(trained, flat, digits):
    _, x_test = flat
    evaluator = _evaluator(trained)
    result = evaluator.evaluate(x_test, digits.y_test, repeats=2, samples=30, probe_row=7)
    outputs, passes = result.probe
    np.testing.assert_array_equal(outputs, result.inference[7])
    assert passes.shape == (30, 10)
    np.testing.assert_allclose(passes.sum(axis=-1), 1.0, atol=1e-5)
    assert len({p.tobytes() for p in passes}) == 30  # every pass its own mask
    # the same sample's passes drawn on their own agree in distribution (mean within a few std errors)
    _, alone = evaluator.passes(x_test[7:8], 400)
    assert np.abs(passes.mean(axis=0) - alone[:, 0].mean(axis=0)).max() < 0.15


def test_across_workers_the_block_budget_is_per_worker(trained, flat):
    """Under --workers each worker computes only its share of a block: blocks grow with the workers, not the calls."""
    from dropout_tui.engine.evaluation.backend import TensorFlowBackend

    class TwoWorkers(TensorFlowBackend):
        workers = 2  # what MultiWorkerMirroredStrategy over two one-device workers reports

    one = _evaluator(trained, budget=64 * 10)
    two = _evaluator(trained, budget=64 * 10, backend=TwoWorkers())
    assert TensorFlowBackend().workers == 1
    x = flat[1][:100]
    assert two.calls.layout(x, 5)[0] == 2 * one.calls.layout(x, 5)[0]
