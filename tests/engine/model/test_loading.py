"""prepare_inspect: safe loading, data fitted to the model, logits, what predict really does."""

import keras
import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import load_dataset
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.model.loading import (
    ModelDataMismatch,
    ModelFileError,
    UnsafeModelError,
    load_user_model,
    prepare_inspect,
)
from tests.support import inspect_models as models

pytestmark = [pytest.mark.training]


def _inspect(model_path, npz_path, **options):
    config = RunConfig(command="inspect", model_path=str(model_path), data_path=str(npz_path), **options).validate()
    return prepare_inspect(config, load_dataset(config, require_train=False, scale_uint8=False))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """name -> (model path, npz path) for the small 6-feature, 3-class models."""
    root = tmp_path_factory.mktemp("saved")
    x, y = models.random_data((6,), 3)
    npz = models.save_npz(root / "d.npz", x, y)
    paths = {}
    for name, build in [
        ("logits", models.logits_model),
        ("plain", models.plain_model),
        ("baked", models.baked_training_model),
        ("lambda", models.lambda_model),
    ]:
        path = root / f"{name}.keras"
        build().save(path)
        paths[name] = (path, npz)
    return paths


def test_softmax_model_is_probabilities_and_predict_deterministic(saved):
    target = _inspect(*saved["plain"])
    assert target.head.activation == "softmax"
    assert target.extra["predict_deterministic"] is True
    assert target.extra["final_activation"] == "softmax"
    assert "no stochastic layers: every mode must agree with inference" in target.notes
    assert target.classes == 3 and target.x_train is None and target.x_test.dtype == np.float32


def test_logits_detected_and_said(saved):
    target = _inspect(*saved["logits"])
    assert target.head.activation == "logits" and target.extra["logits"] is True
    assert "outputs are logits (final activation linear): softmax applied" in target.notes


def test_baked_training_true_is_ignored_by_predict_and_reported(saved):
    target = _inspect(*saved["baked"])
    assert target.extra["predict_deterministic"] is True
    assert target.extra["baked_training"] == ["baked"]
    note = next(n for n in target.notes if n.startswith("predict()"))
    assert "although the model was built with Dropout(...)(x, training=True) in 'baked'" in note
    assert "Keras 3 ignores a baked training=True" in note


def test_always_on_dropout_subclass_makes_predict_stochastic(tmp_path):
    @keras.saving.register_keras_serializable(package="dropout_tui_tests")
    class AlwaysOnDropout(keras.layers.Dropout):
        def call(self, inputs, training=None):
            return super().call(inputs, training=True)

    inputs = keras.Input((6,))
    x = AlwaysOnDropout(0.5)(keras.layers.Dense(16, activation="relu")(inputs))
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x)).save(tmp_path / "mc.keras")
    x, y = models.random_data((6,), 3)
    target = _inspect(tmp_path / "mc.keras", models.save_npz(tmp_path / "d.npz", x, y))
    assert target.extra["predict_deterministic"] is False
    assert any("predict() is NOT deterministic" in note for note in target.notes)


def test_lambda_refused_without_unsafe_and_loaded_with_it(saved):
    path, npz = saved["lambda"]
    with pytest.raises(UnsafeModelError, match=r"Python code stored in the file .*--unsafe"):
        _inspect(path, npz)
    target = _inspect(path, npz, unsafe=True)
    assert target.classes == 3


def test_legacy_h5_loads_and_refuses_lambda(tmp_path):
    models.nested_model().save(tmp_path / "nested.h5")
    loaded = load_user_model(str(tmp_path / "nested.h5"), unsafe=False)
    assert loaded.get_layer("inner").get_layer("inner_dropout").rate == pytest.approx(0.1)
    models.lambda_model().save(tmp_path / "lambda.h5")
    with pytest.raises(UnsafeModelError):
        load_user_model(str(tmp_path / "lambda.h5"), unsafe=False)


def test_inputs_cast_and_scaled_only_on_request(tmp_path):
    inputs = keras.Input((4,), dtype="float16")
    keras.Model(inputs, keras.layers.Dense(3, activation="softmax", dtype="float32")(inputs)).save(tmp_path / "m.keras")
    x = np.arange(40 * 4, dtype=np.uint8).reshape(40, 4)
    npz = models.save_npz(tmp_path / "d.npz", x, np.arange(40) % 3, x_train=x, y_train=np.arange(40) % 3)
    plain = _inspect(tmp_path / "m.keras", npz)
    assert plain.x_test.dtype == np.float16 and np.array_equal(plain.x_test, x.astype(np.float16))
    assert plain.x_train.dtype == np.float16
    assert any("--input-scale 0.00392156862745098" in note for note in plain.notes)
    scaled = _inspect(tmp_path / "m.keras", npz, input_scale=0.5)
    assert np.array_equal(scaled.x_test, (x * 0.5).astype(np.float16))
    assert any("multiplied by 0.5" in note for note in scaled.notes)


def test_fine_tune_compiles_with_logits_aware_loss(saved, tmp_path):
    path, _ = saved["logits"]
    x, y = models.random_data((6,), 3)
    npz = models.save_npz(tmp_path / "train.npz", x, y, x_train=x, y_train=y)
    target = _inspect(path, npz, fine_tune=1)
    assert target.model.compiled and target.model.loss.from_logits is True
    target.model.fit(target.x_train, y, epochs=1, verbose=0)
    with pytest.raises(ModelDataMismatch, match="--fine-tune needs x_train and y_train"):
        _inspect(path, saved["logits"][1], fine_tune=1)


def test_more_classes_in_data_than_model_outputs(saved, tmp_path):
    x, _ = models.random_data((6,), 3)
    npz = models.save_npz(tmp_path / "five.npz", x, np.arange(40) % 5)
    with pytest.raises(
        ModelDataMismatch, match=r"^the data has 5 classes \(labels 0\.\.4\) but the model outputs only 3$"
    ):
        _inspect(saved["plain"][0], npz)


def test_input_shape_mismatch_names_both_shapes(saved, tmp_path):
    x, y = models.random_data((2, 3), 3)
    npz = models.save_npz(tmp_path / "shape.npz", x, y)
    with pytest.raises(
        ModelDataMismatch,
        match=r"^input shape mismatch: the model expects \(None, 6\) but the data's samples have shape \(None, 2, 3\)$",
    ):
        _inspect(saved["plain"][0], npz)


def _truncated(tmp_path, source):
    data = source.read_bytes()
    path = tmp_path / f"cut{source.suffix}"
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt(tmp_path, source):
    data = bytearray(source.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path = tmp_path / f"bad{source.suffix}"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp, src: tmp / "absent.keras", r"absent\.keras: no such file$"),
        (lambda tmp, src: tmp, r": is a directory; expected a \.keras or \.h5 file$"),
        (
            lambda tmp, src: (tmp / "m.onnx").write_bytes(b"x") and tmp / "m.onnx",
            r"expected a \.keras or legacy \.h5 file, got '\.onnx'$",
        ),
        (
            lambda tmp, src: (tmp / "t.keras").write_text("hello") and tmp / "t.keras",
            r"not a Keras archive \(not a zip file",
        ),
        (lambda tmp, src: (tmp / "t.h5").write_text("hello") and tmp / "t.h5", r"not an HDF5 file"),
        (_truncated, r"not a Keras archive \(not a zip file: truncated"),
        (_corrupt, r"could not load the model \(corrupt or not a Keras model\)"),
    ],
    ids=["missing", "directory", "extension", "text-as-keras", "text-as-h5", "truncated", "corrupt"],
)
def test_bad_model_files_are_one_line_errors(saved, tmp_path, make, message):
    path = make(tmp_path, saved["plain"][0])
    with pytest.raises(ModelFileError, match=message) as caught:
        load_user_model(str(path), unsafe=False)
    assert isinstance(caught.value, ConfigError) and "\n" not in str(caught.value)


def test_zip_that_is_not_a_keras_archive(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "z.keras", "w") as archive:
        archive.writestr("readme.txt", "not a model")
    with pytest.raises(ModelFileError, match="could not load the model") as caught:
        load_user_model(str(tmp_path / "z.keras"), unsafe=False)
    assert "\n" not in str(caught.value)


@pytest.mark.subprocess
def test_a_bad_model_path_is_reported_before_tensorflow_loads(tmp_path):
    import subprocess
    import sys

    not_a_model = tmp_path / "data.npz"
    not_a_model.write_bytes(b"x")
    script = (
        "import sys\n"
        "from dropout_tui.engine.config import RunConfig\n"
        "from dropout_tui.engine.run.session import Session\n"
        "events = []\n"
        f"s = Session(RunConfig(command='inspect', model_path={str(not_a_model)!r}), events.append)\n"
        "s.run()\n"
        "print(type(s.user_error).__name__, 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["ModelFileError", "False"], result.stderr[-500:]
