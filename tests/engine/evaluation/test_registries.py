"""The mode and score registries hold one consistent row per entry."""

from __future__ import annotations

from dropout_tui.engine.evaluation import modes, scores
from dropout_tui.engine.evaluation.modes import INFERENCE, MC, TRAINABLE_FLAG
from dropout_tui.engine.limits import TASKS


def test_every_mode_has_its_own_name_marker_place_and_keys_for_every_task():
    rows = modes.MODES
    for fact in ("name", "short", "draw"):
        assert len({getattr(mode, fact) for mode in rows}) == len(rows), fact
    assert len({mode.style.marker for mode in rows}) == len(rows)  # apart under NO_COLOR
    for mode in rows:
        assert set(mode.metrics) == set(TASKS), mode.name
        assert mode.repeated == ("repeats" in mode.metrics[TASKS[0]]), mode.name  # R is reported where it ran
    assert modes.BY_NAME == {mode.name: mode for mode in rows} and modes.MODE_NAMES == tuple(modes.BY_NAME)


def test_charts_draw_the_flag_first_and_inference_last_so_equal_curves_show_inference():
    order = modes.drawing_order()
    assert order[0] is TRAINABLE_FLAG and order[-1] is INFERENCE
    assert sorted(mode.draw for mode in order) == [mode.draw for mode in order]


def test_every_score_is_judged_against_one_of_the_two_predictions_the_report_scores():
    for score in scores.SCORES:
        assert score.judged in (INFERENCE, MC), score.name  # uncertainty.score_table knows their errors
        assert modes.BY_NAME[score.judged.name] is score.judged
    assert scores.BY_NAME == {score.name: score for score in scores.SCORES}
    assert scores.SCORE_NAMES == tuple(scores.BY_NAME)
