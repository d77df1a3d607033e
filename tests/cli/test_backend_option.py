"""--backend: a backend that is not installed is one line naming the extra, exit 2; one backend per process."""

from __future__ import annotations

import json

import pytest

import dropout_tui.tui.cli as cli
from dropout_tui.engine import backends
from dropout_tui.engine.errors import ConfigError


@pytest.mark.parametrize("command", ["train", "explain", "sweep"])
@pytest.mark.parametrize("backend, extra", [("jax", "jax"), ("torch", "torch")])
def test_a_missing_backend_names_the_extra_to_install(monkeypatch, capsys, command, backend, extra):
    monkeypatch.setattr(backends, "installed", lambda name: name == "tensorflow")
    with pytest.raises(SystemExit) as exit:
        cli.main([command, "--backend", backend])
    err = capsys.readouterr().err
    assert exit.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"pip install 'dropout-tui[{extra}]'" in err and "not installed" in err


@pytest.mark.parametrize("command", ["train", "inspect"])
@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize("how", ["--workers", "TF_CONFIG"])
def test_a_cluster_on_another_backend_is_one_line_and_exit_2(monkeypatch, capsys, command, backend, how):
    """MultiWorkerMirroredStrategy is TensorFlow's: a TFJob's TF_CONFIG on JAX would train each replica alone."""
    monkeypatch.setattr(backends, "installed", lambda name: True)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")  # restored after the run names its backend there
    workers = "127.0.0.1:2222,127.0.0.1:2223"
    argv = [command, "--headless", "--backend", backend, "--model", "m.keras"][: 6 if command == "inspect" else 4]
    if how == "--workers":
        monkeypatch.delenv("TF_CONFIG", raising=False)
        argv += ["--workers", workers, "--worker-index", "0"]
    else:
        tf_config = {"cluster": {"worker": workers.split(",")}, "task": {"type": "worker", "index": 0}}
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert how in err and "use --backend tensorflow" in err and f"not {backend}" in err


def test_the_default_is_keras_backend_when_set_else_tensorflow(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert backends.default() == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "theano")  # not a Keras 3 backend: the default stays TensorFlow
    assert backends.default() == "tensorflow"
    monkeypatch.delenv("KERAS_BACKEND")
    assert backends.default() == "tensorflow"


def test_activate_sets_keras_backend_before_keras_is_imported(monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "keras", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    backends.activate("jax")
    assert __import__("os").environ["KERAS_BACKEND"] == "jax"


@pytest.mark.backend
@pytest.mark.training  # imports Keras (on TensorFlow, as this test process does everywhere)
def test_a_second_backend_in_one_process_is_refused():
    import keras

    assert keras.backend.backend() == "tensorflow"
    backends.activate("tensorflow")  # the same one: fine
    with pytest.raises(ConfigError, match="already runs on tensorflow"):
        backends.activate("torch")
