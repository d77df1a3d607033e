"""--ood FILE.npz | noise: shaped and scaled like the test inputs, seeded, and one DataError line when bad."""

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import DataError, load_dataset
from dropout_tui.engine.data.ood import OodSet, load_ood


def _dataset(tmp_path, x_test, command="train"):
    path = tmp_path / "d.npz"
    n = len(x_test)
    np.savez(path, x_train=x_test, y_train=np.arange(n) % 3, x_test=x_test, y_test=np.arange(n) % 3)
    return load_dataset(RunConfig(data_path=str(path)), scale_uint8=command == "train")


def _ood(tmp_path, dataset, ood, seed=0):
    return load_ood(RunConfig(ood=ood), dataset, seed)


def _pixels(n=12, shape=(4, 4)):
    return np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)


def test_no_ood_without_the_option(tmp_path):
    assert load_ood(RunConfig(), _dataset(tmp_path, _pixels()), 0) is None


def test_noise_is_one_standard_deviation_and_seeded(tmp_path):
    dataset = _dataset(tmp_path, np.random.default_rng(1).normal(3.0, 2.0, (400, 5)).astype(np.float32))
    ood = _ood(tmp_path, dataset, "noise", seed=7)
    assert isinstance(ood, OodSet) and ood.source == "noise"
    assert ood.x.shape == dataset.x_test.shape and ood.x.dtype == np.float32
    shift = (ood.x - dataset.x_test).astype(np.float64)
    assert shift.std() == pytest.approx(dataset.x_test.std(), rel=0.05)
    np.testing.assert_array_equal(_ood(tmp_path, dataset, "noise", seed=7).x, ood.x)
    assert not np.array_equal(_ood(tmp_path, dataset, "noise", seed=8).x, ood.x)
    assert ood.note.startswith("OOD inputs: the 400 test inputs plus Gaussian noise (sigma ")


def test_noise_on_uint8_pixels_follows_the_test_inputs_scaling(tmp_path):
    pixels = _pixels()
    trained = _ood(tmp_path, _dataset(tmp_path, pixels, "train"), "noise")  # train: inputs scaled to [0, 1]
    assert trained.x.dtype == np.float32 and trained.x.max() < 3  # noise in the scaled space, not 0..255
    inspected = _ood(tmp_path, _dataset(tmp_path, pixels, "inspect"), "noise")  # inspect: as stored
    assert inspected.x.dtype == np.uint8 and not np.array_equal(inspected.x, pixels)


def test_noise_on_integer_ids_stays_within_the_data_range(tmp_path):
    ids = np.random.default_rng(2).integers(1, 50, (30, 12)).astype(np.int32)
    ood = _ood(tmp_path, _dataset(tmp_path, ids, "inspect"), "noise")
    assert ood.x.dtype == np.int32 and ood.x.min() >= ids.min() and ood.x.max() <= ids.max()


@pytest.mark.parametrize("key", ["x_test", "x"])
def test_file_with_x_test_or_x(tmp_path, key):
    dataset = _dataset(tmp_path, _pixels())
    other = _pixels(n=7)
    np.savez(tmp_path / "shifted.npz", **{key: other})
    ood = _ood(tmp_path, dataset, str(tmp_path / "shifted.npz"))
    assert ood.source == "shifted.npz" and ood.x.shape == (7, 4, 4)
    np.testing.assert_allclose(ood.x, other / 255.0, rtol=1e-6)  # train scales uint8 as it scales x_test


def _bad(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: str(tmp / "absent.npz"), r"absent\.npz: no such file"),
        (lambda tmp: str(tmp), r": is a directory; expected a \.npz file$"),
        (lambda tmp: (tmp / "t.npz").write_text("hi") and str(tmp / "t.npz"), r"not a \.npz archive"),
        (lambda tmp: _bad(tmp, images=np.zeros((3, 4, 4))), r"no key x_test or x \(found: images\)$"),
        (lambda tmp: _bad(tmp, x=np.zeros((3, 5, 4))), r"x samples have shape \(5, 4\) but the test inputs have shape"),
        (lambda tmp: _bad(tmp, x=np.full((3, 4, 4), np.nan)), r"x contains 48 NaN/inf value\(s\)$"),
        (lambda tmp: _bad(tmp, x=np.zeros((0, 4, 4))), r"x is empty$"),
    ],
    ids=["missing", "directory", "not-npz", "no-key", "shape", "nan", "empty"],
)
def test_bad_ood_input_is_one_line(tmp_path, make, message):
    dataset = _dataset(tmp_path, _pixels())
    path = make(tmp_path)
    with pytest.raises(DataError, match=message) as caught:
        _ood(tmp_path, dataset, path)
    assert str(caught.value).startswith(f"--ood {path}") and "\n" not in str(caught.value)


def test_noise_of_constant_inputs_is_refused(tmp_path):
    with pytest.raises(DataError, match="standard deviation 0"):
        _ood(tmp_path, _dataset(tmp_path, np.ones((5, 3), np.float32)), "noise")
