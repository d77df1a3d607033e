"""The redraw policy without Textual: what is drawn now, what waits, and for how long."""

from __future__ import annotations

import ast
from pathlib import Path

from dropout_tui.tui import redraw
from dropout_tui.tui.redraw import LOG, LOSS, MODES_TABLE, PROBE, STATUS, RedrawPlanner, RedrawPolicy

POLICY = RedrawPolicy()


def _plan(planner: RedrawPlanner, dirty, now, training=False, status_key="running", epochs=0) -> set[str]:
    return planner.plan(dirty, now, training=training, status_key=status_key, epochs=epochs)


def test_the_planner_needs_no_textual():
    tree = ast.parse(Path(redraw.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in ("textual", "rich")}


def test_idle_everything_dirty_is_drawn_and_the_clock_redraws_the_status():
    planner = RedrawPlanner()
    assert _plan(planner, {LOSS, MODES_TABLE, PROBE, LOG}, 100.0) == {LOSS, MODES_TABLE, PROBE, LOG, STATUS}
    assert _plan(planner, set(), 100.5) == set()
    assert _plan(planner, set(), 100.0 + POLICY.clock) == {STATUS}  # elapsed time moves on its own


def test_the_chart_is_drawn_at_most_twice_a_second_and_nothing_is_lost():
    planner = RedrawPlanner()
    assert LOSS in _plan(planner, {LOSS}, 10.0)
    assert _plan(planner, {LOSS}, 10.2) == set()  # held...
    assert _plan(planner, set(), 10.3) == set()
    assert _plan(planner, set(), 10.0 + POLICY.chart) == {LOSS}  # ...and drawn once its interval is up


def test_the_status_is_throttled_but_a_new_run_state_shows_at_once():
    planner = RedrawPlanner()
    _plan(planner, {STATUS}, 5.0, status_key="running")
    assert _plan(planner, {STATUS}, 5.1, status_key="running") == set()
    assert _plan(planner, {STATUS}, 5.15, status_key="paused") == {STATUS}


def _heavy(planner: RedrawPlanner, dirty, now, epochs=0) -> set[str]:
    return _plan(planner, dirty, now, training=True, epochs=epochs) - {STATUS}


def test_while_training_heavy_panes_wait_unless_a_key_asked_for_them():
    planner = RedrawPlanner()
    assert _heavy(planner, {LOSS}, 0.0) == set()  # the news is new: it waits for the evaluation gap
    assert _heavy(planner, {MODES_TABLE, PROBE}, 1.0) == set()
    planner.ask(PROBE)
    assert _heavy(planner, {PROBE}, 1.1) == {PROBE}  # n/p/u/r: the answer shows at once
    assert _heavy(planner, set(), 0.05 + POLICY.training_defer) == {LOSS}  # news this old is drawn anyway
    assert _heavy(planner, set(), 1.05 + POLICY.training_defer) == {MODES_TABLE}


def test_a_new_epoch_waits_less_than_a_batch_curve():
    planner = RedrawPlanner()
    assert _heavy(planner, {LOSS}, 0.0, epochs=1) == set()
    assert _heavy(planner, set(), POLICY.epoch_defer + 0.01, epochs=1) == {LOSS}
    assert _heavy(planner, {LOSS}, 2.0, epochs=1) == set()  # the same epoch's batches: the longer wait
    assert _heavy(planner, set(), 2.0 + POLICY.epoch_defer + 0.01, epochs=1) == set()


def test_a_key_that_draws_at_once_books_it():
    planner = RedrawPlanner()
    planner.drawn({STATUS}, 3.0, status_key="paused", epochs=0)
    assert _plan(planner, {STATUS}, 3.1, status_key="paused") == set()  # just drawn: throttled


def test_modes_and_probe_redraw_at_most_twice_a_second_unless_a_key_asked():
    planner = RedrawPlanner()
    kwargs = {"training": False, "status_key": ("running", ""), "epochs": 1}
    assert planner.plan({MODES_TABLE, PROBE}, 10.0, **kwargs) >= {MODES_TABLE, PROBE}
    assert not planner.plan({MODES_TABLE, PROBE}, 10.2, **kwargs) & {MODES_TABLE, PROBE}  # short epochs: held...
    assert planner.plan(set(), 10.6, **kwargs) >= {MODES_TABLE, PROBE}  # ...and drawn once half a second has passed
    planner.ask(PROBE)
    assert PROBE in planner.plan({PROBE}, 10.7, **kwargs)  # a key's answer shows at once
