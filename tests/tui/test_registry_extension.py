"""A mode and a score added as one registry row each reach every surface: the engine's numbers, the modes
table, the sweep chart, the Uncertainty screen, the help, and the checks of README, docs and the schema.
No other file is touched: the rows are patched into the registries here. No TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import DataTable

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.evaluation import modes, scores
from dropout_tui.engine.evaluation.modes import MC, Mode, Style
from dropout_tui.engine.evaluation.results import MonteCarlo, Round
from dropout_tui.engine.evaluation.scores import Score
from dropout_tui.engine.evaluation.scoring import score_round
from dropout_tui.engine.evaluation.uncertainty import auroc, uncertainty_report
from dropout_tui.engine.events import ModeEvaluation
from dropout_tui.engine.limits import CLASSIFICATION, REGRESSION
from dropout_tui.engine.model.heads import softmax_head
from dropout_tui.tui.app import create_app
from dropout_tui.tui.sweep.metrics import metrics_for
from dropout_tui.tui.sweep.state import RateRun
from tests.support import eventkit as ev
from tests.support.contract import doc_score_list, readme_mode_table, schema_registry_problems
from tests.support.eventkit import screen_text

ROOT = Path(__file__).resolve().parents[2]
DEFS = json.loads((ROOT / "docs" / "headless.schema.json").read_text(encoding="utf-8"))["$defs"]

# Dropout off, scored as a fit only: the numbers are the inference mode's accuracy and loss.
THROWAWAY = Mode(
    name="throwaway",
    runs="a test's mode: the dropout-off prediction again",
    shows="inference's accuracy and loss",
    note="test row",
    short="thr",
    repeated=False,
    metrics={CLASSIFICATION: ("accuracy", "loss"), REGRESSION: ("rmse", "mae")},
    computes=lambda passes: passes.fit(passes.inference),
    style=Style("✚", "red"),
    draw=9,
)
# Half of MC's doubt: the same ranking as mc_max_prob, so the same AUROC.
HALF_DOUBT = Score(
    name="half_doubt",
    label="half",
    legend="half doubt (MC)",
    style=Style("✚", "red"),
    judged=MC,
    means="(1 - top MC probability) / 2",
    computes=lambda predictions: predictions.doubt(predictions.mc_mean) / 2,
)


@pytest.fixture
def extended(monkeypatch):
    """The registries with one more mode and one more score, as a new row in each module would make them."""
    rows = (*modes.MODES, THROWAWAY)
    monkeypatch.setattr(modes, "MODES", rows)
    monkeypatch.setattr(modes, "MODE_NAMES", tuple(mode.name for mode in rows))
    monkeypatch.setattr(modes, "BY_NAME", {mode.name: mode for mode in rows})
    score_rows = (*scores.SCORES, HALF_DOUBT)
    monkeypatch.setattr(scores, "SCORES", score_rows)
    monkeypatch.setattr(scores, "SCORE_NAMES", tuple(score.name for score in score_rows))
    monkeypatch.setattr(scores, "BY_NAME", {score.name: score for score in score_rows})


PROBS = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.4, 0.35, 0.25]])
MC_MEAN = np.array([[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
LABELS = np.array([0, 2, 2, 0])


def _round() -> Round:
    totals = {"correct": np.array([3.0, 2.0]), "nll": np.array([2.0, 2.4])}
    mc = MonteCarlo(2, totals, mean=MC_MEAN, expected_entropy=np.full(4, 0.5))
    return Round(4, PROBS.astype(np.float32), PROBS.astype(np.float32), totals, totals, mc)


def test_the_engine_scores_the_new_mode_and_the_new_score(extended):
    entries = score_round(_round(), LABELS, softmax_head(3), repeats=2, samples=2)
    assert list(entries)[-1] == THROWAWAY.name
    accuracy = np.mean(np.argmax(PROBS, axis=-1) == LABELS)  # rows 0 and 2 right
    loss = np.mean(-np.log(PROBS[np.arange(4), LABELS]))
    assert entries[THROWAWAY.name] == pytest.approx({"accuracy": accuracy, "loss": loss})
    table = uncertainty_report(PROBS, MC_MEAN, np.full(4, 0.5), LABELS)["scores"]
    mc_wrong = np.argmax(MC_MEAN, axis=-1) != LABELS
    assert table[HALF_DOUBT.name]["auroc_error"] == auroc((1 - MC_MEAN.max(axis=-1)) / 2, mc_wrong)
    assert table[HALF_DOUBT.name]["auroc_error"] == table["mc_max_prob"]["auroc_error"]


async def test_the_modes_table_shows_every_row_and_grows_with_the_registry(extended, tmp_path):
    entry = {"accuracy": 0.91, "loss": 0.3}
    events = [ev.run_started(), *ev.epoch(1)[:2], ModeEvaluation(epoch=1, modes={**ev.modes(), "throwaway": entry})]
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=events)
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        table = app.query_one("#modes-table", DataTable)
        assert table.row_count == len(modes.MODES) == 6
        assert table.region.height == 7 and table.max_scroll_y == 0  # the header and every row, none scrolled
        assert "throwaway" in screen_text(app) and "91.0" in screen_text(app)


def test_the_sweep_chart_draws_the_new_mode_and_the_new_score(extended):
    charts = {metric.key: metric for metric in metrics_for(CLASSIFICATION)}
    run = RateRun(rate=0.2, evaluations=[ModeEvaluation(epoch=1, modes={"throwaway": {"accuracy": 0.5}})])
    accuracy = charts["accuracy"].series
    assert [series.label for series in accuracy][-1] == "throwaway"  # drawn last: its draw is the highest
    assert (accuracy[-1].marker, accuracy[-1].colour) == THROWAWAY.style
    assert accuracy[-1].get(run) == 50.0
    assert "throwaway" not in {series.label for series in charts["ece"].series}  # it reports no ECE
    aurc = charts["aurc"].series[-1]
    assert (aurc.label, aurc.marker, aurc.colour) == (HALF_DOUBT.legend, *HALF_DOUBT.style)


async def test_the_uncertainty_screen_lists_and_draws_the_new_score(extended, tmp_path):
    events = [ev.run_started(), *ev.epoch(1, uncertainty=ev.uncertainty()), ev.probe()]
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=events)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "✚ half " in text  # its row in the score table, its marker first
        legend = next(line for line in text.splitlines() if "AURC ●" in line)
        assert "✚" in legend  # its AURC under the risk-coverage chart, in its marker


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_help_lists_the_new_mode_and_still_fits(extended, tmp_path, size):
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=[ev.run_started()])
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query_one("#help-box").max_scroll_y == 0
        text = screen_text(app)
        assert all(mode.name in text for mode in modes.MODES) and "test row" in text


def test_the_readme_doc_and_schema_checks_ask_for_the_new_rows(extended):
    assert readme_mode_table()[-1].startswith("| `throwaway` | a test's mode")
    assert doc_score_list().endswith("and `half_doubt` ((1 - top MC probability) / 2):")
    problems = "\n".join(schema_registry_problems(DEFS))
    for where in ("modes_classification properties", "modes_regression required", "scores", "ood scores"):
        assert where in problems
    assert "throwaway" in problems and "half_doubt" in problems
