"""The Uncertainty screen (`c`) and the loss caption's decomposition: words checked against fixed numbers, the screen
checked through the pilot on hand-built and recorded streams. No TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.evaluation import scores as score_registry
from dropout_tui.engine.evaluation.block import Reliability, UncertaintyBlock
from dropout_tui.engine.evaluation.methods import METHODS
from dropout_tui.engine.events import EnsembleMember, ModeEvaluation, event_from_json
from dropout_tui.engine.limits import CLASSIFICATION
from dropout_tui.tui.app import create_app
from dropout_tui.tui.panes.loss import decomposition_text
from dropout_tui.tui.panes.reliability import reliability_text
from dropout_tui.tui.redraw import RedrawPolicy
from dropout_tui.tui.screens.uncertainty import UncertaintyScreen, score_table
from dropout_tui.tui.screens.uncertainty_caption import calibration_sentence, uncertainty_caption
from dropout_tui.tui.sweep.metrics import metrics_for
from dropout_tui.tui.sweep.state import RateRun
from tests.support import eventkit as ev
from tests.support.apps import replay_app, until
from tests.support.eventkit import screen_text

RUN = Path(__file__).parent / "fixtures" / "run.jsonl"


def test_every_score_has_its_own_marker_label_and_legend():
    rows = score_registry.SCORES
    for fact in ("name", "label", "legend"):
        assert len({getattr(score, fact) for score in rows}) == len(rows), fact
    assert len({score.style.marker for score in rows}) == len(rows)  # apart under NO_COLOR


def _score(auroc, aurc, at90, at50=1.0, at80=None, curve=None) -> dict:
    coverage = {"0.5": at50, "0.8": at80 if at80 is not None else at90, "0.9": at90}
    return {"auroc_error": auroc, "aurc": aurc, "accuracy_at_coverage": coverage, "curve": curve or []}


REAL = {"gap": 0.05, "low": 0.02, "high": 0.08, "distinguishable": True}
NOISE = {"gap": 0.003, "low": -0.01, "high": 0.016, "distinguishable": False}


def _block(
    scores: dict, ood: dict | None = None, reliability: dict | None = None, gaps: object = REAL
) -> UncertaintyBlock:
    """The block as the engine writes it (JSON), parsed as the screen reads it; ``gaps``: each score's gap against
    max-prob (one for all, or per score, or None)."""
    decomposition = {"entropy": 0.3, "expected_entropy": 0.2, "mutual_information": 0.1}
    block: dict = {"reliability": reliability or {}, "scores": scores, "decomposition": decomposition, "ood": ood}
    if isinstance(gaps, dict):
        each = gaps if "distinguishable" not in gaps else dict.fromkeys(score_registry.SCORE_NAMES[1:], gaps)
        block["gaps"] = {"auroc_error": each}
    parsed = UncertaintyBlock.parse(block)
    assert parsed is not None
    return parsed


def _calibration(**reliability: dict) -> str | None:
    parsed = {name: Reliability.parse(entry) for name, entry in reliability.items()}
    return calibration_sentence({name: entry for name, entry in parsed.items() if entry is not None})


MODES = {"inference": {"accuracy": 0.972}, "mc": {"accuracy": 0.972}}
SCORES = {
    "max_prob": _score(0.86, 0.020, 0.980),
    "mc_max_prob": _score(0.88, 0.015, 0.985),
    "entropy": _score(0.87, 0.016, 0.984),
    "mutual_information": _score(0.91, 0.010, 0.991),
}


# ---------------------------------------------------------------- the caption, from fixed numbers


def test_the_caption_says_what_the_numbers_show():
    assert uncertainty_caption(_block(SCORES), MODES) == (
        "Rejecting the 10% with the highest MI lifts MC accuracy from 97.2% to 99.1%; "
        "MI separates errors better than max-prob, beyond noise: AUROC 0.91 vs 0.86."
    )


def test_a_score_is_called_better_only_beyond_the_bootstrap_s_noise():
    # The round: 0.877 vs 0.874 was "MC max-prob separates errors better: AUROC 0.88 vs 0.87".
    scores = {"max_prob": _score(0.874, 0.02, 0.95), "mc_max_prob": _score(0.877, 0.02, 0.95)}
    text = uncertainty_caption(_block(scores, gaps=NOISE), MODES)
    assert "MC max-prob and max-prob separate errors alike within noise: AUROC 0.88 vs 0.87" in text
    assert "better" not in text
    unmeasured = uncertainty_caption(_block(scores, gaps=None), MODES)  # a stream recorded before rounds had gaps
    assert "MC max-prob separates errors with AUROC 0.88, max-prob 0.87 (noise not measured)" in unmeasured
    # max-prob best: its gap is the runner-up's (mc_max_prob minus max_prob), read from the same table.
    flipped = {"max_prob": _score(0.90, 0.01, 0.99), "mc_max_prob": _score(0.85, 0.02, 0.98)}
    gaps = {"mc_max_prob": NOISE, "entropy": REAL, "mutual_information": REAL}
    assert "alike within noise: AUROC 0.90 vs 0.85" in uncertainty_caption(_block(flipped, gaps=gaps), MODES)


def test_the_caption_names_the_prediction_a_score_belongs_to_and_compares_with_the_runner_up():
    scores = {"max_prob": _score(0.90, 0.01, 0.99), "mc_max_prob": _score(0.85, 0.02, 0.98)}
    modes = {"inference": {"accuracy": 0.95}, "mc": {"accuracy": 0.96}}
    assert uncertainty_caption(_block(scores), modes) == (
        "Rejecting the 10% with the highest max-prob lifts dropout-off accuracy from 95.0% to 99.0%; "
        "max-prob separates errors best, beyond noise: AUROC 0.90 vs MC max-prob 0.85."
    )


def test_equal_numbers_name_no_winner_and_close_ones_get_a_third_decimal():
    scores = {"max_prob": _score(0.8517, 0.02, 0.95), "mc_max_prob": _score(0.8517, 0.02, 0.95)}
    text = uncertainty_caption(_block(scores), MODES)
    assert "max-prob and MC max-prob separate errors equally well: AUROC 0.852" in text
    assert "highest max-prob" in text  # equal accuracy and AURC: the first score in the engine's order
    close = {"max_prob": _score(0.871, 0.02, 0.95), "entropy": _score(0.874, 0.02, 0.95)}
    assert "AUROC 0.874 vs 0.871" in uncertainty_caption(_block(close), MODES)


def test_missing_values_are_left_out_never_shown_as_numbers():
    scores = {"max_prob": _score(None, None, None, None), "entropy": _score(0.8, 0.03, 0.97)}
    # No modes: the base accuracy comes from the score's own curve at coverage 1 (risk 0.05).
    scores["entropy"]["curve"] = [[0.5, 0.0], [1.0, 0.05]]
    assert uncertainty_caption(_block(scores), {}) == (
        "Rejecting the 10% with the highest entropy lifts MC accuracy from 95.0% to 97.0%; "
        "entropy separates errors with AUROC 0.80."
    )
    nothing = {"max_prob": _score(None, None, None, None)}
    assert uncertainty_caption(_block(nothing), {}) == "AUROC undefined: errors or right answers are missing."
    assert uncertainty_caption(_block({}), MODES) == "no score has numbers in this round"
    assert uncertainty_caption(None) == "no uncertainty numbers in this round"
    unknown_base = {"mutual_information": _score(None, 0.01, 0.99)}
    assert uncertainty_caption(_block(unknown_base), {}).startswith(
        "Keeping the 90% with the lowest MI gives MC accuracy 99.0%"
    )


def test_one_class_of_outcome_every_prediction_right():
    scores = {name: _score(None, 0.0, 1.0) for name in ("max_prob", "mc_max_prob", "entropy", "mutual_information")}
    modes = {"inference": {"accuracy": 1.0}, "mc": {"accuracy": 1.0}}
    assert uncertainty_caption(_block(scores), modes) == (
        "Rejecting the 10% with the highest max-prob leaves dropout-off accuracy at 100.0%; "
        "every test prediction is right: there are no errors to find (AUROC undefined)."
    )
    wrong = {"inference": {"accuracy": 0.0}, "mc": {"accuracy": 0.0}}
    scores = {name: _score(None, 1.0, 0.0, 0.0) for name in ("max_prob", "entropy")}
    assert "every test prediction is wrong" in uncertainty_caption(_block(scores), wrong)


def test_ood_is_said_only_when_the_run_has_ood_inputs():
    assert "OOD" not in uncertainty_caption(_block(SCORES), MODES)
    ood = {
        "source": "noise",
        "n": 100,
        "scores": {
            "max_prob": {"auroc": 0.60, "aupr": 0.5, "fpr95": 0.9},
            "mutual_information": {"auroc": 0.79, "aupr": 0.8, "fpr95": 0.7},
        },
    }
    assert uncertainty_caption(_block(SCORES, ood), MODES).endswith(
        "; MI separates OOD inputs (noise) with AUROC 0.79, max-prob 0.60 (noise not measured)."
    )
    ood["gaps"] = {"auroc": {"mutual_information": REAL}}
    assert uncertainty_caption(_block(SCORES, ood), MODES).endswith(
        "; MI separates OOD inputs (noise) better than max-prob, beyond noise: AUROC 0.79 vs 0.60."
    )
    ood["gaps"] = {"auroc": {"mutual_information": NOISE}}
    assert "MI and max-prob separate OOD inputs (noise) alike within noise" in uncertainty_caption(_block(SCORES, ood))


def _bins(*filled: tuple[int, int, float, float]) -> dict:
    """15 empty bins with some filled: (index, count, accuracy, confidence)."""
    bins = [{"lo": k / 15, "hi": (k + 1) / 15, "count": 0, "accuracy": None, "confidence": None} for k in range(15)]
    for index, count, accuracy, confidence in filled:
        bins[index].update(count=count, accuracy=accuracy, confidence=confidence)
    return {"bins": bins}


def test_calibration_in_words_and_which_way_each_prediction_errs():
    over = {**_bins((14, 10, 0.80, 0.97)), "ece": 0.17}
    under = {**_bins((7, 10, 0.90, 0.50)), "ece": 0.40}
    assert _calibration(inference=over, mc=under) == (
        "MC raises ECE from 0.170 to 0.400 (dropout off over-confident, MC under-confident)"
    )
    better = {**_bins((13, 10, 0.85, 0.88)), "ece": 0.03}
    assert _calibration(inference=over, mc=better) == ("MC lowers ECE from 0.170 to 0.030 (both over-confident)")
    assert _calibration(inference={**over, "ece": None}, mc=better) == ("calibration (both over-confident)")
    assert _calibration() is None


def test_the_reliability_diagram_draws_bars_gaps_the_diagonal_and_the_histogram():
    reliability = Reliability.parse(_bins((13, 5, 0.2, 0.9), (7, 20, 1.0, 0.5)))
    text = reliability_text(reliability, width=18, height=12).plain.splitlines()
    assert len(text) == 12 and all(len(line) <= 18 for line in text)
    column = [line[3 + 13] for line in text[:10]]  # bin 13: accuracy 0.2 under a confidence of 0.9
    assert column[-2:] == ["█", "█"] and "░" in column  # the bar, then the over-confidence gap
    assert [line[3 + 7] for line in text[:10]] == ["█"] * 10  # accuracy 1.0: a full bar
    assert "·" in "".join(line[3] for line in text[:10])  # an empty bin shows the diagonal
    assert text[10].startswith(" n│") and text[10][3 + 7] != " " and text[10][3] == " "
    assert text[11].strip().startswith("0") and text[11].rstrip().endswith("1")
    wide = reliability_text(reliability, width=60, height=30).plain
    assert "over-confident" in wide and "under-confident" in wide  # what the colours mean, where there is room
    assert "over ·ideal" in reliability_text(reliability, width=36, height=30).plain
    assert reliability_text(None, 30, 12).plain == "waiting for the first evaluation"


def test_the_score_table_has_ood_columns_only_with_ood_inputs():
    from rich.console import Console

    def render(block) -> str:
        console = Console(width=100, record=True, color_system=None)
        console.print(score_table(block))
        return console.export_text()

    plain = render(_block(SCORES))
    assert "err AUROC" in plain and "acc@90%" in plain and "OOD AUROC" not in plain
    assert "MI" in plain and "99.1" in plain and "0.910" in plain
    ood = {"source": "x.npz", "n": 5, "scores": {"mutual_information": {"auroc": 0.7, "aupr": 0.6, "fpr95": None}}}
    with_ood = render(_block(SCORES, ood))
    assert "OOD AUROC" in with_ood and "FPR95" in with_ood and "0.700" in with_ood


# ---------------------------------------------------------------- the loss caption


def test_the_loss_caption_decomposes_fit_with_the_current_numbers():
    assert decomposition_text(0.071, 0.050, 0.065, 0.081) == (
        "fit 0.071 = clean train 0.050 + dropout 0.015 + drift 0.006; test 0.081: generalisation gap 0.031"
    )
    assert decomposition_text(0.060, 0.050, 0.065, 0.045) == (
        "fit 0.060 = clean train 0.050 + dropout 0.015 - drift 0.005; test 0.045: generalisation gap -0.005"
    )
    # A stream recorded before train_loss_dropout existed: one term for both.
    assert decomposition_text(0.071, 0.050, None, 0.081) == (
        "fit 0.071 = clean train 0.050 + dropout and drift 0.021; test 0.081: generalisation gap 0.031"
    )
    assert decomposition_text(float("nan"), 0.05, 0.06, float("inf")).startswith("fit nan = clean train 0.050")


# ---------------------------------------------------------------- the screen


def _stream(rounds: int = 2) -> list:
    events = [ev.run_started()]
    for n in range(1, rounds + 1):
        events += ev.epoch(n, uncertainty=ev.uncertainty(seed=n))
    return events + [ev.probe()]


async def test_c_opens_the_screen_and_escape_c_or_q_close_it(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for close in ("escape", "c", "q"):
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, UncertaintyScreen)
            text = screen_text(app)
            assert "Uncertainty after epoch 2" in text and "OOD: noise" in text
            for word in ("max-prob", "MC max-prob", "entropy", "MI", "err AUROC", "OOD AUROC", "Risk vs coverage"):
                assert word in text, word
            assert "Rejecting the 10%" in text.replace("\n", " ")
            await pilot.press(close)
            await pilot.pause()
            assert app.screen is app.screen_stack[0] and app.is_running  # q closes the screen, it does not quit
        await pilot.press("c", "space")  # the main screen's keys do nothing on this screen
        assert app.controls.pending_commands() == [] and not app.controls.paused


async def test_every_number_on_the_screen_comes_from_the_recorded_stream(tmp_path):
    events = [event_from_json(line) for line in RUN.read_text(encoding="utf-8").splitlines()]
    last = [e for e in events if isinstance(e, ModeEvaluation)][-1]
    app = create_app(RunConfig(epochs=3, seed=0), export_dir=tmp_path, replay=RUN)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        caption = uncertainty_caption(last.block, last.modes)
        assert " ".join(caption.split()) in text
        for name, entry in last.uncertainty["scores"].items():
            assert f"{entry['auroc_error']:.3f}" in text, name
            assert f"{100 * entry['accuracy_at_coverage']['0.9']:.1f}" in text, name
        for name, entry in last.uncertainty["ood"]["scores"].items():
            assert f"{entry['fpr95']:.3f}" in text, name
        assert f"ECE {last.uncertainty['reliability']['mc']['ece']:.3f}" in text


async def test_e_on_the_screen_exports_the_block_and_an_svg_of_this_screen(tmp_path):
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        (results,) = (tmp_path / "export").glob("dropout-tui-uncertainty-*.json")
        svg = results.with_suffix(".svg").read_text().replace("&#160;", " ")
        assert "Risk" in svg and "err" in svg and "Loss by epoch" not in svg
        data = json.loads(results.read_text())
        assert data["uncertainty"] == json.loads(json.dumps(ev.uncertainty(seed=2)))
        assert [h["uncertainty"] is not None for h in data["history"]] == [True, True]
        assert data["task"] == "classification"
        assert isinstance(app.screen, UncertaintyScreen)


async def test_a_regression_run_gets_its_coverage_screen(tmp_path):
    from dropout_tui.tui.screens.uncertainty_regression import RegressionUncertaintyScreen
    from tests.tui.test_tui_snapshots import REGRESSION

    app = create_app(RunConfig(epochs=3, seed=0, task="regression"), export_dir=tmp_path, replay=REGRESSION)
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, RegressionUncertaintyScreen)
        text = " ".join(screen_text(app).split())
        assert "90% intervals should hold ~90% of the targets" in text and "cov90" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]


async def test_the_screen_waits_for_the_first_round_then_fills_in(tmp_path):
    app = replay_app(tmp_path, [ev.run_started()])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert "waiting for the first evaluation" in screen_text(app)
        for event in ev.epoch(1, uncertainty=ev.uncertainty()):
            app._buffer.put(event)
        await until(pilot, lambda: "Uncertainty after epoch 1" in screen_text(app))


async def test_a_new_round_waits_for_the_gap_between_epochs_while_training(tmp_path):
    app = replay_app(tmp_path, _stream(1))
    app.planner.policy = RedrawPolicy(training_defer=0.6, epoch_defer=0.6)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert "after epoch 1" in screen_text(app)
        app.state.live, app.state.state = True, "running"  # as if the engine were training
        app._buffer.put(ModeEvaluation(epoch=2, modes=ev.modes(0.9), uncertainty=ev.uncertainty(seed=5)))
        await pilot.pause(0.25)
        assert "after epoch 1" in screen_text(app)  # heavy: held while training (tui/redraw.py)
        await until(pilot, lambda: "after epoch 2" in screen_text(app))


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_the_screen_fits_every_size(tmp_path, size):
    app = create_app(RunConfig(epochs=3, seed=0), export_dir=tmp_path, replay=RUN)
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        table = "#unc-table" if size[1] >= 34 else "#unc-methods"  # small: one table at a time, methods first
        for selector in (table, "#unc-caption", "#unc-decomposition", "#unc-charts"):
            region = screen.query_one(selector).region
            assert region.height > 0 and region.bottom <= size[1] - 1, selector  # above the footer
        text = screen_text(app)
        assert "…" not in text.split("\n", 1)[1]  # nothing cut below the head line
        assert "Reliability" in text or size[0] < 100
        assert "temperature scaling" in text  # the methods table
        if size[1] < 34:  # one table at a time: s shows the score table
            await pilot.press("s")
            await pilot.pause()
            text = screen_text(app)
            assert screen.query_one("#unc-table").region.bottom <= size[1] - 1
        assert "◆ MI" in text and "FPR95" in text


async def test_no_color_renders_the_screen(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = replay_app(tmp_path, _stream())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        svg = app.export_screenshot().replace("&#160;", " ")
        assert "Risk vs coverage" in svg and "err AUROC" in svg and app.is_running


def test_aurcs_of_a_well_trained_model_get_the_digits_that_rank_them():
    from dropout_tui.tui.fmt import ranked_spec
    from dropout_tui.tui.screens.uncertainty import score_table

    # After 25 epochs every AURC read "0.001": two significant digits at least, more until they differ.
    assert ranked_spec([0.00112, 0.00138, 0.0031, 0.0050]) == ".4f"
    assert ranked_spec([0.0171, 0.0172, 0.022, 0.050]) == ".4f"
    assert ranked_spec([0.017, 0.018, 0.022, 0.050]) == ".3f"  # already apart: as before
    assert ranked_spec([0.02, 0.02, None, float("nan")]) == ".3f"  # ties stay ties; missing values are no reason
    assert ranked_spec([0.0, 0.0]) == ".3f" and ranked_spec([]) == ".3f"
    assert ranked_spec([1e-12, 2e-12]) == ".8f"  # at most 8 decimals
    scores = {
        name: _score(0.9, aurc, 0.99)
        for name, aurc in zip(score_registry.SCORE_NAMES, (0.00112, 0.00138, 0.0031, 0.005))
    }
    table = score_table(_block(scores))
    assert [str(cell) for cell in table.columns[2].cells] == ["0.0011", "0.0014", "0.0031", "0.0050"]


def test_every_method_has_its_own_marker_in_its_registry_row_and_the_sweep_draws_it():
    rows = METHODS
    assert len({method.style.marker for method in rows}) == len(rows)  # apart under NO_COLOR
    charts = {metric.key: metric for metric in metrics_for(CLASSIFICATION)}
    drawn = {series.label: (series.marker, series.colour) for series in charts["method_ece"].series}
    assert drawn == {method.label: method.style for method in rows}


def test_the_sweep_chart_draws_a_rates_ensemble_once_its_member_arrives():
    charts = {metric.key: metric for metric in metrics_for(CLASSIFICATION)}
    (ensemble,) = [series for series in charts["method_ece"].series if series.label == "ensemble"]
    run = RateRun(rate=0.2)
    run.apply(ModeEvaluation(epoch=1, modes=ev.modes(), uncertainty=ev.uncertainty()))
    assert ensemble.get(run) is None
    block = {**ev.uncertainty(), "methods": {"ensemble": {"ece": 0.042, "members": 2}}}
    run.apply(EnsembleMember(member=2, members=2, seed=1, seconds=0.5, uncertainty=block))
    assert ensemble.get(run) == 0.042
