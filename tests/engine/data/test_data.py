"""Data loading and every bad-input case: one DataError line, never a traceback or a download."""

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data import datasets as data
from dropout_tui.engine.data.datasets import DataError, load_dataset, load_digits
from dropout_tui.engine.errors import ConfigError


def _npz(tmp_path, name="d.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def _good(n_train=20, n_test=10, shape=(4, 4)):
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "y_train": np.arange(n_train) % 3,
        "x_test": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "y_test": np.arange(n_test) % 3,
    }


def _load(path, task=None, **kwargs):
    return load_dataset(RunConfig(data_path=path, task=task), **kwargs)


def test_embedded_digits():
    d = load_digits()
    assert (d.x_train.shape, d.x_test.shape) == ((1437, 8, 8), (360, 8, 8))
    assert d.y_train.dtype == np.int64 and d.classes == 10 and d.image_shape == (8, 8)
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0


def test_embedded_digits_checksum_mismatch_is_a_data_error(monkeypatch):
    monkeypatch.setattr(data, "DIGITS_SHA256", "0" * 64)
    with pytest.raises(DataError, match="corrupt"):
        load_digits()


def test_data_error_is_a_config_error():
    assert issubclass(DataError, ConfigError)


def test_uint8_pixels_are_scaled_and_labels_become_int64(tmp_path):
    arrays = _good()
    d = _load(_npz(tmp_path, **arrays))
    assert d.x_train.dtype == np.float32 and d.x_train.max() <= 1.0
    np.testing.assert_allclose(d.x_test, arrays["x_test"] / 255.0, rtol=1e-6)
    assert d.y_train.dtype == np.int64 and d.classes == 3 and d.image_shape == (4, 4)
    assert d.name == "d.npz"


def test_inspect_keeps_inputs_as_stored(tmp_path):
    arrays = _good()
    d = _load(_npz(tmp_path, **arrays), require_train=False, scale_uint8=False)
    assert d.x_test.dtype == np.uint8
    np.testing.assert_array_equal(d.x_test, arrays["x_test"])


def test_one_hot_labels_are_converted(tmp_path):
    arrays = _good()
    arrays["y_train"] = np.eye(4)[arrays["y_train"]]
    arrays["y_test"] = np.eye(4)[arrays["y_test"]].astype(np.float32)
    d = _load(_npz(tmp_path, **arrays))
    assert d.classes == 4
    np.testing.assert_array_equal(d.y_test, np.arange(10) % 3)


def test_integral_float_labels_are_accepted(tmp_path):
    arrays = _good()
    arrays["y_train"] = arrays["y_train"].astype(np.float32)
    assert _load(_npz(tmp_path, **arrays)).y_train.dtype == np.int64


def test_test_split_only_for_inspect(tmp_path):
    arrays = _good()
    path = _npz(tmp_path, x_test=arrays["x_test"], y_test=arrays["y_test"])
    d = _load(path, require_train=False)
    assert d.x_train is None and d.n_test == 10
    with pytest.raises(DataError, match="missing key"):
        _load(path)


def _error(tmp_path, task=None, **changes):
    arrays = {**_good(), **changes}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    with pytest.raises(DataError) as info:
        _load(_npz(tmp_path, **arrays), task=task)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_key(tmp_path):
    assert "missing key(s) y_test" in _error(tmp_path, y_test=None)


def test_wrong_keys(tmp_path):
    path = _npz(tmp_path, images=np.zeros((3, 2)), labels=np.zeros(3))
    with pytest.raises(DataError, match=r"missing key\(s\) x_train, y_train, x_test, y_test \(found: images, labels\)"):
        _load(path)


def test_mismatched_lengths(tmp_path):
    assert "x_train has 20 samples but y_train has 19" in _error(tmp_path, y_train=np.arange(19) % 3)


def test_mismatched_sample_shapes(tmp_path):
    assert "shape" in _error(tmp_path, x_test=np.zeros((10, 5, 4), dtype=np.uint8))


def test_negative_label(tmp_path):
    assert "negative label -1" in _error(tmp_path, y_test=np.array([0, 1, 2, -1, 0, 1, 2, 0, 1, 2]))


def test_non_integer_label_with_task_classification(tmp_path):
    # Without --task, float labels that cannot be classes are regression targets (see test_regression_*).
    assert "non-integer" in _error(tmp_path, task="classification", y_test=np.linspace(0, 2, 10))


def test_label_out_of_range_of_one_hot_width(tmp_path):
    message = _error(tmp_path, y_train=np.eye(3)[np.arange(20) % 3], y_test=np.arange(10) % 5)
    assert "label 4" in message and "3 classes" in message


def test_absurd_label(tmp_path):
    assert "out of range" in _error(tmp_path, y_test=np.full(10, 10**7))


def test_single_class(tmp_path):
    assert "at least 2" in _error(tmp_path, y_train=np.zeros(20, dtype=int), y_test=np.zeros(10, dtype=int))


def test_nan_and_inf_inputs(tmp_path):
    x = np.zeros((10, 4, 4), dtype=np.float32)
    x[3, 1, 1] = np.nan
    assert "NaN/inf" in _error(tmp_path, x_test=x)
    x[3, 1, 1] = np.inf
    assert "x_test contains 1 NaN/inf" in _error(tmp_path, x_test=x)


def test_nan_label(tmp_path):
    assert "NaN/inf" in _error(tmp_path, y_test=np.full(10, np.nan))


def test_object_array(tmp_path):
    labels = np.empty(10, dtype=object)
    labels[:] = [0, 1] * 5
    assert "object array" in _error(tmp_path, y_test=labels)


def test_string_inputs(tmp_path):
    assert "expected numbers" in _error(tmp_path, x_test=np.array([["a"] * 4] * 10))


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.npz"
    path.write_text("hello")
    with pytest.raises(DataError, match="not a .npz archive"):
        _load(str(path))


def test_plain_npy_is_not_an_npz(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(DataError, match="not a .npz archive"):
        _load(str(path))


def test_truncated_archive(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, **_good())
    broken = tmp_path / "broken.npz"
    raw = good.read_bytes()
    broken.write_bytes(raw[:30] + b"\0" * 200 + raw[230:])  # damage the first member, keep the directory
    with pytest.raises(DataError, match="corrupt|not a .npz"):
        _load(str(broken))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        _load(str(tmp_path / "nope.npz"))
    with pytest.raises(DataError, match="is a directory"):
        _load(str(tmp_path))


def test_user_file_is_not_modified(tmp_path):
    path = _npz(tmp_path, **_good())
    before = (tmp_path / "d.npz").read_bytes()
    _load(path)
    assert (tmp_path / "d.npz").read_bytes() == before


@pytest.mark.parametrize(
    "name, expected", [("mnist", "mnist.npz"), ("fashion_mnist", "fashion-mnist/train-labels-idx1-ubyte.gz")]
)
def test_keras_dataset_missing_from_cache_names_the_file(tmp_path, monkeypatch, name, expected, refused_url):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", refused_url)
    with pytest.raises(DataError) as info:
        load_dataset(RunConfig(dataset=name))
    message = str(info.value)
    assert str(tmp_path / "datasets" / expected) in message and "--data FILE.npz" in message
    assert "\n" not in message


def test_keras_mnist_from_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", **_good(shape=(28, 28)))
    d = load_dataset(RunConfig(dataset="mnist"))
    assert d.name == "mnist" and d.x_test.shape == (10, 28, 28) and d.x_test.dtype == np.float32


def test_corrupt_keras_cache_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="could not read mnist"):
        load_dataset(RunConfig(dataset="mnist"))


def test_keras_fashion_mnist_from_cache(tmp_path, monkeypatch):
    """Keras's own loader reads the cached files offline (tiny stand-ins in its idx format)."""
    import gzip

    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for prefix, n in (("train", 12), ("t10k", 6)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = np.arange(n * 28 * 28, dtype=np.int64).astype(np.uint8)
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0" * 8 + labels.tobytes()))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0" * 16 + images.tobytes()))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = load_dataset(RunConfig(dataset="fashion_mnist"))
    assert d.name == "fashion_mnist" and d.x_train.shape == (12, 28, 28) and d.classes == 10
    assert d.x_train.dtype == np.float32 and d.x_train.max() <= 1.0


def _regression_arrays(y_train, y_test):
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.normal(size=(len(y_train), 3)).astype(np.float32),
        "y_train": y_train,
        "x_test": rng.normal(size=(len(y_test), 3)).astype(np.float32),
        "y_test": y_test,
    }


@pytest.mark.parametrize(
    "y_train, y_test, width",
    [
        (np.linspace(-1, 1, 20), np.linspace(0, 2, 10), 1),  # non-integer values
        (np.arange(20, dtype=np.float64) - 5, np.arange(10, dtype=np.float64), 1),  # negative floats
        (np.random.default_rng(1).normal(size=(20, 3)), np.random.default_rng(2).normal(size=(10, 3)), 3),
        (np.full((20, 1), 0.5), np.full((10, 1), 1.5), 1),
    ],
    ids=["non-integer", "negative", "2d-not-one-hot", "column"],
)
def test_regression_targets_are_detected(tmp_path, y_train, y_test, width):
    d = _load(_npz(tmp_path, **_regression_arrays(y_train, y_test)))
    assert d.task == "regression" and d.classes == 0
    assert d.y_train.shape == (20, width) and d.y_test.shape == (10, width) and d.y_test.dtype == np.float32
    np.testing.assert_allclose(d.y_test, np.asarray(y_test, np.float32).reshape(10, width))
    assert d.raw_y_test is not None and d.raw_y_test.shape == np.shape(y_test)


def test_task_regression_refuses_integer_class_labels(tmp_path):
    # RMSE against a class index means nothing: issue 17, item 10.
    with pytest.raises(DataError, match=r"--task regression, but y_train holds integer class labels \(int64\)"):
        _load(_npz(tmp_path, **_good()), task="regression")


def test_task_regression_takes_whole_numbers_stored_as_floats(tmp_path):
    arrays = {**_good(), "y_train": (np.arange(20) % 3).astype(np.float32), "y_test": (np.arange(10) % 3) * 1.0}
    d = _load(_npz(tmp_path, **arrays), task="regression")
    assert d.task == "regression" and d.y_test.dtype == np.float32 and d.y_test.shape == (10, 1)
    np.testing.assert_array_equal(d.y_test[:, 0], np.arange(10) % 3)


@pytest.mark.parametrize("label", [7, 0])
def test_a_data_set_with_one_class_is_refused(tmp_path, label):
    arrays = {**_good(), "y_train": np.full(20, label), "y_test": np.full(10, label)}
    with pytest.raises(DataError, match="need at least 2") as info:
        _load(_npz(tmp_path, **arrays))
    assert "\n" not in str(info.value)


def test_integer_and_one_hot_float_labels_stay_classification(tmp_path):
    arrays = _good()
    arrays["y_test"] = np.eye(3, dtype=np.float32)[np.arange(10) % 3]
    d = _load(_npz(tmp_path, **arrays))
    assert d.task == "classification" and d.classes == 3 and d.y_test.dtype == np.int64


@pytest.mark.parametrize(
    "y_train, y_test, message",
    [
        (np.zeros((20, 2)) + 0.5, np.zeros((10, 3)) + 0.5, "y_train has 2 target(s) per sample but y_test has 3"),
        (np.linspace(0, 1, 20), np.array([0.5] * 9 + [np.nan]), "y_test contains 1 NaN/inf"),
        (
            np.linspace(0, 1, 20),
            np.zeros((10, 2, 2)) + 0.5,
            "regression targets must be (samples,) or (samples, outputs)",
        ),
    ],
)
def test_bad_regression_targets(tmp_path, y_train, y_test, message):
    with pytest.raises(DataError) as info:
        _load(_npz(tmp_path, **_regression_arrays(y_train, y_test)), task="regression")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_task_is_refused_by_the_config_every_run_validates():
    with pytest.raises(ConfigError, match="--task must be classification or regression"):
        RunConfig(task="ranking").validate()
