"""MNIST / Fashion-MNIST missing from the Keras cache: downloaded with a short timeout, or one line saying why not."""

import gzip
import hashlib
import io
import socket
import time

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data import datasets as data
from dropout_tui.engine.data.datasets import DataError, load_dataset


def _fake_mnist() -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        x_train=rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        y_train=np.arange(12) % 10,
        x_test=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        y_test=np.arange(6) % 10,
    )
    return buffer.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home / "datasets"


def _leftovers(cache) -> list[str]:
    """Files in the cache (an empty folder Keras would create too is not a leftover)."""
    return sorted(path.name for path in cache.rglob("*") if path.is_file()) if cache.exists() else []


def _error(**config) -> str:
    with pytest.raises(DataError) as caught:
        load_dataset(RunConfig(**config))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_mnist_is_downloaded_verified_and_cached(cache, file_server, monkeypatch):
    folder, url = file_server
    payload = _fake_mnist()
    (folder / "mnist.npz").write_bytes(payload)
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", url)
    monkeypatch.setattr(data, "KNOWN_SHA256", {"mnist.npz": hashlib.sha256(payload).hexdigest()})
    d = load_dataset(RunConfig(dataset="mnist"))
    assert d.name == "mnist" and d.x_test.shape == (6, 28, 28) and d.classes == 10
    assert (cache / "mnist.npz").read_bytes() == payload and _leftovers(cache) == ["mnist.npz"]
    (folder / "mnist.npz").unlink()  # a second run reads the cache, no server needed
    assert load_dataset(RunConfig(dataset="mnist")).n_test == 6


def test_fashion_mnist_files_are_downloaded(cache, file_server, monkeypatch):
    folder, url = file_server
    for prefix, n in (("train", 12), ("t10k", 6)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = np.zeros(n * 28 * 28, dtype=np.uint8)
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0" * 8 + labels.tobytes()))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0" * 16 + images.tobytes()))
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", url)
    d = load_dataset(RunConfig(dataset="fashion_mnist"))
    assert d.x_train.shape == (12, 28, 28) and len(_leftovers(cache / "fashion-mnist")) == 4


def test_a_wrong_hash_leaves_nothing_behind(cache, file_server, monkeypatch):
    folder, url = file_server
    (folder / "mnist.npz").write_bytes(_fake_mnist())  # not the real MNIST: its sha256 differs
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", url)
    message = _error(dataset="mnist")
    assert "sha256" in message and "is not the expected 731c5ac60275..." in message
    assert str(cache / "mnist.npz") in message
    assert _leftovers(cache) == []


def test_a_server_that_never_answers_times_out(cache, silent_url, monkeypatch):
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", silent_url)
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 1.0)
    began = time.perf_counter()
    message = _error(dataset="mnist")
    assert time.perf_counter() - began < 5
    assert "the server did not answer in time" in message and _leftovers(cache) == []


def test_offline_says_so_with_the_path_to_copy_the_file_to(cache, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", "http://storage.example.invalid/tf-keras-datasets/")
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    began = time.perf_counter()
    message = _error(dataset="mnist")
    assert time.perf_counter() - began < 2
    assert message == (
        "mnist is not in the Keras cache and the download from http://storage.example.invalid/tf-keras-datasets/"
        f"mnist.npz failed (offline: the host name could not be resolved): copy the file to {cache / 'mnist.npz'} "
        "or use --data FILE.npz"
    )
    assert _leftovers(cache) == []


def test_unreachable_host_and_missing_file(cache, refused_url, file_server, monkeypatch):
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", refused_url)
    assert "the connection was refused" in _error(dataset="fashion_mnist")
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", file_server[1])
    assert "the server answered HTTP 404" in _error(dataset="mnist")
    assert _leftovers(cache) == []


def test_a_download_past_its_deadline_is_abandoned(cache, file_server, monkeypatch):
    folder, url = file_server
    (folder / "mnist.npz").write_bytes(b"x" * 200_000)
    monkeypatch.setattr(data, "DOWNLOAD_BASE_URL", url)
    monkeypatch.setattr(data, "DOWNLOAD_DEADLINE", 0.0)
    assert "not complete after 0 s" in _error(dataset="mnist")
    assert _leftovers(cache) == []
