"""The methods table and the verdict sentence of the Uncertainty screen, from hand-made uncertainty blocks."""

from __future__ import annotations

from rich.console import Console

from dropout_tui.engine.evaluation.block import UncertaintyBlock
from dropout_tui.tui.screens.uncertainty_methods import COLUMNS, methods_sentence, methods_table


def _render(table) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def _parsed(block: dict) -> UncertaintyBlock:
    parsed = UncertaintyBlock.parse(block)  # as the screen reads a round's block (ModeEvaluation.block)
    assert parsed is not None
    return parsed


def _entry(ece, nll=0.3, passes=1, accuracy=0.9, auroc=0.8, aurc=0.05):
    return {
        "accuracy": accuracy,
        "nll": nll,
        "ece": ece,
        "brier": 0.1,
        "auroc_error": auroc,
        "aurc": aurc,
        "passes": passes,
    }


BLOCK = {
    "methods": {
        "inference": _entry(0.05),
        "temperature_scaled": {**_entry(0.034), "temperature": 1.4, "temperatures": [1.3, 1.5]},
        "mc": _entry(0.021, passes=30, auroc=0.85),
    },
    "comparisons": [
        {
            "a": "mc",
            "b": "temperature_scaled",
            "metric": "ece",
            "a_value": 0.021,
            "b_value": 0.034,
            "low": -0.02,
            "high": -0.005,
            "verdict": "better",
        },
        {
            "a": "mc",
            "b": "inference",
            "metric": "ece",
            "a_value": 0.021,
            "b_value": 0.05,
            "low": -0.04,
            "high": -0.01,
            "verdict": "better",
        },
    ],
}


def test_every_column_says_which_way_is_better_and_rows_follow_the_engine():
    text = _render(methods_table(_parsed(BLOCK)))
    names, ways = text.splitlines()[:2]
    assert names.split() == ["method"] + [title for title, _, _ in COLUMNS]
    assert ways.split() == ["better:", "higher", "lower", "lower", "higher", "lower", "lower"]
    rows = [line.split()[0] for line in text.splitlines()[2:] if line.strip()]
    assert rows == ["dropout", "temperature", "MC"]
    assert "0.021" in text and "30" in text


def test_better_beyond_noise_in_words():
    assert methods_sentence(_parsed(BLOCK)) == (
        "MC dropout (30 passes) calibrates better than temperature scaling (1 pass): "
        "ECE 0.021 vs 0.034, a gap beyond noise."
    )


def test_indistinguishable_says_the_cost():
    block = {
        **BLOCK,
        "comparisons": [{**BLOCK["comparisons"][0], "low": -0.01, "high": 0.004, "verdict": "indistinguishable"}],
    }
    assert methods_sentence(_parsed(block)) == (
        "MC dropout (30 passes) is indistinguishable from temperature scaling (1 pass) in ECE (0.021 vs 0.034), "
        "at 1/30 of the cost."
    )


def test_worse_names_the_cheaper_method_first():
    block = {
        **BLOCK,
        "comparisons": [
            {**BLOCK["comparisons"][0], "a_value": 0.04, "b_value": 0.02, "low": 0.01, "high": 0.03, "verdict": "worse"}
        ],
    }
    expected = "Temperature scaling (1 pass) calibrates better than MC dropout (30 passes)"
    assert methods_sentence(_parsed(block)).startswith(expected)


def test_nothing_to_say_without_comparisons():
    assert methods_sentence(_parsed({"methods": BLOCK["methods"]})) == ""
    assert methods_sentence(None) == ""


def test_readme_glossary_is_the_apps():
    from pathlib import Path

    from dropout_tui.tui.glossary import GLOSSARY

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Glossary") :]
    rows = {}
    table = section[section.index("| term | meaning |") :].splitlines()[2:]
    for line in table:
        if not line.startswith("| "):
            break
        term, meaning = (cell.strip() for cell in line.strip("|").split("|", 1))
        rows[term] = meaning
    assert rows == GLOSSARY


async def test_m_switches_the_second_diagram_and_question_mark_defines_the_terms(tmp_path):
    from dropout_tui.engine.config import RunConfig
    from dropout_tui.tui.app import create_app
    from dropout_tui.tui.screens.help import HelpScreen
    from tests.support.eventkit import screen_text
    from tests.tui.test_tui_snapshots import RUN

    app = create_app(RunConfig(epochs=3, seed=0, ood="noise"), export_dir=tmp_path, replay=RUN)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        pane = screen.query_one("#unc-rel-method")
        assert screen.method == "mc" and "MC dropout" in pane.border_title
        await pilot.press("m")
        await pilot.pause()
        assert screen.method == "temperature_scaled" and "temperature scaling" in pane.border_title
        await pilot.press("M")
        await pilot.pause()
        assert screen.method == "mc"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen_text(app).split())
        assert "ECE expected calibration error" in text and "temperature T in softmax" in text


REGRESSION_BLOCK = {
    "methods": {
        "inference": {"rmse": 0.5, "nll": None, "coverage": None, "calibration": None, "sharpness": None, "passes": 1},
        "mc": {
            "rmse": 0.49,
            "nll": 1.2,
            "coverage": {"0.5": 0.3, "0.8": 0.6, "0.9": 0.81, "0.95": 0.88},
            "calibration": {"expected": [0.0, 1.0], "observed": [0.0, 1.0], "miscalibration_area": 0.12},
            "sharpness": 0.2,
            "passes": 30,
        },
    }
}


def test_the_interval_table_and_what_good_looks_like():
    from dropout_tui.engine.evaluation.block import regression_methods
    from dropout_tui.tui.screens.uncertainty_regression import coverage_caption, interval_table

    text = _render(interval_table(regression_methods(REGRESSION_BLOCK)))
    assert text.splitlines()[0].split() == [
        "method",
        "cov50",
        "cov80",
        "cov90",
        "cov95",
        "RMSE",
        "NLL",
        "miscal",
        "sharp",
    ]
    assert "81%" in text and "0.120" in text and "dropout off" in text
    assert coverage_caption(regression_methods(REGRESSION_BLOCK)) == (
        "90% intervals should hold ~90% of the targets; here MC dropout (30 passes)'s hold 81%: too narrow."
    )
    honest = {"methods": {"mc": {**REGRESSION_BLOCK["methods"]["mc"], "coverage": {"0.9": 0.92}}}}
    assert coverage_caption(regression_methods(honest)).endswith("hold 92%: about right.")
    point = {"methods": {"inference": REGRESSION_BLOCK["methods"]["inference"]}}
    assert coverage_caption(regression_methods(point)).startswith("no method")


def test_an_ensemble_member_replaces_the_last_rounds_block_in_the_app_and_the_sweep():
    from dropout_tui.engine.config import RunConfig
    from dropout_tui.engine.events import EnsembleMember, ModeEvaluation
    from dropout_tui.tui.run_state import RunState
    from dropout_tui.tui.sweep.state import RateRun

    first = ModeEvaluation(epoch=2, modes={}, uncertainty=BLOCK)
    grown = {**BLOCK, "methods": {**BLOCK["methods"], "ensemble": {**_entry(0.01, passes=2), "members": 2}}}
    member = EnsembleMember(member=2, members=3, seed=1, seconds=1.0, uncertainty=grown)
    state = RunState(config=RunConfig())
    state.apply(first)
    state.apply(member)
    assert state.uncertainty is grown and len(state.evaluations) == 1 and state.evaluations[0].epoch == 2
    run = RateRun(rate=0.2)
    run.apply(first)
    run.apply(member)
    assert run.uncertainty is grown and len(run.evaluations) == 1


def test_the_sweep_charts_each_methods_ece_and_aurc():
    from dropout_tui.engine.events import ModeEvaluation
    from dropout_tui.engine.limits import CLASSIFICATION
    from dropout_tui.tui.sweep.metrics import metrics_for
    from dropout_tui.tui.sweep.state import RateRun

    run = RateRun(rate=0.2)
    run.apply(ModeEvaluation(epoch=1, modes={}, uncertainty=BLOCK))
    charts = {metric.key: metric for metric in metrics_for(CLASSIFICATION)}
    ece = {series.label: series.get(run) for series in charts["method_ece"].series}
    aurc = {series.label: series.get(run) for series in charts["method_aurc"].series}
    assert ece == {"dropout off": 0.05, "temperature scaling": 0.034, "MC dropout": 0.021, "ensemble": None}
    assert aurc["MC dropout"] == 0.05
