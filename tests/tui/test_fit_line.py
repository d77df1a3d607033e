"""Status lines at 80 columns (issue 17, item 13): the config line keeps the seed, the status line keeps the ETA;
what matters least goes first, nothing is cut in the middle."""

from __future__ import annotations

from dropout_tui.engine.config import RunConfig
from dropout_tui.tui.fmt import fit_line
from dropout_tui.tui.panes.status import config_line, status_line
from dropout_tui.tui.run_state import RunState
from tests.support import eventkit as ev

WIDTH = 78  # the status bar's text at 80 columns (one cell of padding each side)


def test_fit_line_tightens_the_separator_then_drops_the_least_needed_parts():
    parts = [("alpha", 0), ("beta", 2), ("gamma", 1), ("delta", 0)]
    assert fit_line(parts, 40, " · ") == "alpha · beta · gamma · delta"
    assert fit_line(parts, 23, " · ") == "alpha·beta·gamma·delta"
    assert fit_line(parts, 20, " · ") == "alpha·gamma·delta"  # beta (2) goes before gamma (1)
    assert fit_line(parts, 11, " · ") == "alpha·delta"
    assert fit_line(parts, 5, " · ") == "alpha·delta"  # the rest is the widget's ellipsis


def test_the_config_line_keeps_the_seed_at_80_columns():
    config = RunConfig(epochs=3, seed=1234, dataset="mnist", hidden=1024, batch_size=128, mc_samples=120)
    state = RunState(config)
    full = config_line(state)
    assert len(full) > WIDTH and "seed 1234" in full
    fitted = config_line(state, WIDTH)
    assert len(fitted) <= WIDTH and fitted.endswith("seed 1234") and "T=120" in fitted and "epochs 3" in fitted


def test_the_status_line_keeps_the_eta_at_80_columns():
    state = RunState(RunConfig(epochs=50))
    for event in [ev.run_started(), *ev.epoch(1), *ev.epoch(2)]:
        state.apply(event)
    state.warnings = 12
    state.started = state.started.__class__(**{**state.started.__dict__, "devices": ["CPU", "GPU:0", "GPU:1"]})
    full = status_line(state, 123.0)
    assert len(full) > WIDTH and "ETA" in full and "GPU:1" in full
    fitted = status_line(state, 123.0, WIDTH)
    assert len(fitted) <= WIDTH
    for kept in ("epoch 2/50", "ETA ", "12 warnings (l: log)"):
        assert kept in fitted
    assert "GPU:1" not in fitted  # the device goes first
