"""--backend: a backend that is not installed is one line naming the extra, exit 2; one backend per process."""

from __future__ import annotations

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
