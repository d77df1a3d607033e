"""The Explain screen and the app's one explain run: one screen, one run, results kept, `r` reruns, a real run."""

from __future__ import annotations

import io
import time

from textual.widgets import ProgressBar, Static

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.tui import explain_job
from dropout_tui.tui.app import DropoutApp, create_app
from dropout_tui.tui.run_state import ClaimMeasured, ClaimStarted, ExplainFinished, ExplainState
from dropout_tui.tui.screens.explain import ExplainScreen
from tests.support import eventkit as ev
from tests.support.apps import until
from tests.support.eventkit import screen_text


def _app(tmp_path) -> DropoutApp:
    app = create_app(RunConfig(epochs=5), export_dir=tmp_path, replay=[ev.run_started(), *ev.epoch(1)])
    app.animation_level = "none"
    return app


def _table_text(screen: ExplainScreen) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(screen.query_one("#explain-table", Static).content)
    return out.getvalue()


def _status(app: DropoutApp) -> str:
    return str(app.screen.query_one("#explain-status", Static).content)


async def test_one_screen_one_run_results_kept_after_closing(tmp_path, monkeypatch):
    measure = ev.FakeExplain(hold=True)
    monkeypatch.setattr(explain_job, "measure", measure)
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: "Claim 2/8" in _status(app))
        assert isinstance(app.screen, ExplainScreen) and app.screen.query_one(ProgressBar).progress == 1
        assert "FALSE" in _table_text(app.screen) and "pending" in _table_text(app.screen)
        await pilot.press("w")  # w on the Explain screen closes it: never a second screen
        assert app.screen is app.screen_stack[0]
        await pilot.press("w")  # reopened: the same run, where it got to
        assert isinstance(app.screen, ExplainScreen) and len(app.screen_stack) == 2
        assert "Claim 2/8" in _status(app) and measure.runs == 1
        await pilot.press("escape")
        measure.release()  # the run ends while the screen is closed: the app says so
        await until(pilot, lambda: app.explain.state.report is not None)
        await pilot.pause(0.1)
        assert any("explain run is done: w shows it" in n.message for n in app._notifications)
        await pilot.press("w")
        await pilot.pause()
        assert _status(app).startswith("Done in ") and "4 true, 4 false" in _status(app)
        assert "pending" not in _table_text(app.screen) and measure.runs == 1


async def test_r_reruns_once_the_run_is_done_and_only_then(tmp_path, monkeypatch):
    measure = ev.FakeExplain(hold=True)
    monkeypatch.setattr(explain_job, "measure", measure)
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: "Claim 2/8" in _status(app))
        await pilot.press("r", "r")
        await pilot.pause()
        assert measure.runs == 1 and "the experiments are running" in [n.message for n in app._notifications][-1]
        measure.release()
        await until(pilot, lambda: _status(app).startswith("Done"))
        first = app.explain.state.run
        await pilot.press("r")
        await until(pilot, lambda: measure.runs == 2 and _status(app).startswith("Done"))
        assert app.explain.state.run == first + 1 and measure.most_at_once == 1


async def test_a_failing_run_is_shown_and_can_be_rerun(tmp_path, monkeypatch):
    monkeypatch.setattr(explain_job, "measure", ev.FakeExplain(fail=ValueError("no [bold]digits[/bold]")))
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: "failed" in _status(app))
        assert _status(app).startswith("Explain failed: ValueError: no [bold]digits[/bold]")  # as written, not markup
        monkeypatch.setattr(explain_job, "measure", ev.FakeExplain())
        await pilot.press("r")
        await until(pilot, lambda: _status(app).startswith("Done"))


async def test_quitting_mid_run_stops_the_run(tmp_path, monkeypatch):
    measure = ev.FakeExplain(hold=True)
    monkeypatch.setattr(explain_job, "measure", measure)
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: measure.running == 1)
        await pilot.press("ctrl+c")
    deadline = time.monotonic() + 5
    while measure.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert measure.running == 0 and app.return_code == 130  # should_stop ended it at the next claim


def test_news_from_an_older_run_is_ignored():
    state = ExplainState()
    old = state.begin(0.0)
    new = state.begin(1.0)
    result = ClaimResult(1, "claim", "true", {}, "because")
    assert state.apply(ClaimStarted(old, 3), 2.0) == set() and state.running_claim is None
    assert state.apply(ClaimMeasured(new, result), 2.0) == {"explain"} and state.results == [result]
    state.apply(ExplainFinished(new, ExplainReport("3", "2", (result,))), 4.0)
    assert not state.running and state.seconds == 3.0
    assert state.apply(ClaimMeasured(new, result), 5.0) == set()  # nothing after the end


async def test_a_real_run_measures_every_claim(tmp_path, explain_report):
    app = _app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("w")
        await pilot.pause()
        assert "pending" in _table_text(app.screen)  # the first frame does not wait for TensorFlow
        await until(pilot, lambda: _status(app).startswith("Done"), timeout=240)
        assert [c.verdict for c in app.explain.state.results] == [c.verdict for c in explain_report.claims]
        table = _table_text(app.screen)
        assert "pending" not in table and "running" not in table
        await pilot.press("q")
        assert app.screen is app.screen_stack[0]


async def test_at_80x24_a_claim_takes_a_few_rows_and_code_is_never_split(tmp_path, monkeypatch):
    from dropout_tui.engine.explain.claims import claims_on
    from dropout_tui.engine.explain.report import ClaimResult, ExplainReport

    why = "setting layer.trainable = True changes nothing at inference: only the training argument switches dropout"

    def measure(seed, backend, on_start, on_result, should_stop):
        results = []
        for claim in claims_on(backend):
            result = ClaimResult(claim.id, claim.text, "true", {"max_abs_prediction_change": 0.0, "rate": 0.5}, why)
            results.append(result)
            on_result(result)
        return ExplainReport(keras="3.test", tensorflow="2.test", claims=tuple(results))

    monkeypatch.setattr(explain_job, "measure", measure)
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("w")
        await until(pilot, lambda: app.explain.state.report is not None)
        await pilot.pause()
        text = screen_text(app)
    assert "layer.trainable = True" in text  # was "layer.traina ble = True" in a column 14 wide
    rows = text.splitlines()
    first = next(i for i, line in enumerate(rows) if "│ 1 │" in line or "│ 1 " in line)
    following = next(i for i in range(first + 1, len(rows)) if set(rows[i].strip()) <= set("├─┼┤╞═╪╡"))
    assert following - first <= 6, "\n".join(rows[first:following])  # was ~20 rows per claim
