"""The status bar says which backend a run computes on (TensorFlow, the long-standing default, stays unsaid)."""

from __future__ import annotations

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.panes.status import config_line, status_line
from dropout_tui.tui.run_state import RunState
from tests.support import eventkit as ev


def _state(backend: str, started: bool = True, command: str = "train") -> RunState:
    state = RunState(RunConfig(backend=backend, command=command, model_path="m.keras"))
    if started:
        state.apply(ev.run_started(backend=backend, backend_version="1.0"))
    return state


def _line(backend: str, started: bool) -> str:
    return status_line(_state(backend, started), 0.0)


def test_the_header_names_the_backend_first_where_80_columns_show_it():
    assert config_line(_state("jax")).startswith("train digits on JAX · ")
    assert config_line(_state("torch", command="inspect")).startswith("inspect m.keras on PyTorch · ")
    assert config_line(_state("tensorflow")).startswith("train digits · ")


def test_loading_names_the_backend_being_loaded():
    assert _line("torch", started=False).startswith("loading PyTorch")
    assert _line("tensorflow", started=False).startswith("loading TensorFlow")


def test_the_sweep_header_names_the_backend_too():
    from dropout_tui.tui.sweep.panes import config_line as sweep_line
    from dropout_tui.tui.sweep.state import SweepState

    assert sweep_line(SweepState.planned(RunConfig(backend="torch"), (0.0, 0.5))).startswith("sweep digits on PyTorch")
    assert sweep_line(SweepState.planned(RunConfig(), (0.0, 0.5))).startswith("sweep digits · ")
