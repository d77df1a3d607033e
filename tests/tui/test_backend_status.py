"""The status line says which backend a run computes on (TensorFlow, the long-standing default, stays implicit)."""

from __future__ import annotations

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.panes.status import status_line
from dropout_tui.tui.run_state import RunState
from tests.support import eventkit as ev


def _line(backend: str, started: bool) -> str:
    state = RunState(RunConfig(backend=backend))
    if started:
        state.apply(ev.run_started(backend=backend, backend_version="1.0"))
    return status_line(state, 0.0)


def test_the_backend_is_named_next_to_the_device():
    assert "JAX on CPU" in _line("jax", started=True)
    assert "PyTorch on CPU" in _line("torch", started=True)
    tensorflow = _line("tensorflow", started=True)
    assert tensorflow.endswith("│ CPU") and "TensorFlow" not in tensorflow


def test_loading_names_the_backend_being_loaded():
    assert _line("torch", started=False).startswith("loading PyTorch")
    assert _line("tensorflow", started=False).startswith("loading TensorFlow")
