"""The export's CSV holds every plotted series with the JSON's own numbers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from dropout_tui.tui.export import write_pair
from dropout_tui.tui.export_series import HEADER, series_csv

RUN = Path(__file__).parent / "fixtures" / "run.jsonl"
REGRESSION = Path(__file__).parent / "fixtures" / "regression.jsonl"


def _results(path: Path) -> dict:
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    summary = events[-1]
    epochs = [e for e in events if e["event"] == "epoch_end"]
    history = [{"epoch": e["epoch"], "modes": e["modes"]} for e in events if e["event"] == "mode_evaluation"]
    return {**summary, "epochs": epochs, "history": history}


def _rows(results: dict) -> list[dict]:
    return list(csv.DictReader(io.StringIO(series_csv(results))))


def test_every_chart_of_a_classification_run_is_in_the_csv():
    results = _results(RUN)
    rows = _rows(results)
    assert list(rows[0]) == list(HEADER)
    series = {row["series"] for row in rows}
    uncertainty = results["uncertainty"]
    assert {f"reliability:{m}" for m in uncertainty["reliability"]} <= series
    assert {f"risk:{s}" for s in uncertainty["scores"]} <= series
    assert {"loss:train_loss_keras", "loss:test_loss_inference", "mode:mc:accuracy"} <= series
    risk = [(float(r["x"]), float(r["y"])) for r in rows if r["series"] == "risk:max_prob"]
    assert risk == [tuple(point) for point in uncertainty["scores"]["max_prob"]["curve"]]
    bins = [b for b in uncertainty["reliability"]["temperature_scaled"]["bins"] if b["count"]]
    got = [(float(r["x"]), float(r["y"])) for r in rows if r["series"] == "reliability:temperature_scaled"]
    assert got == [(b["confidence"], b["accuracy"]) for b in bins]  # floats round-trip exactly through repr


def test_the_regression_coverage_curve_is_in_the_csv():
    results = _results(REGRESSION)
    calibration = results["uncertainty"]["methods"]["mc"]["calibration"]
    got = [(float(r["x"]), float(r["y"])) for r in _rows(results) if r["series"] == "coverage:mc"]
    assert got == list(zip(calibration["expected"], calibration["observed"], strict=True))


def test_the_csv_is_written_beside_the_json_and_the_svg(tmp_path):
    result = write_pair(tmp_path, "x", {"a": 1}, "<svg/>", series="series,x_name,x,y_name,y\n")
    assert result.series is not None and result.series.read_text() == "series,x_name,x,y_name,y\n"
    assert result.series.with_suffix(".json") == result.results
    again = write_pair(tmp_path, "x", {"a": 1}, "<svg/>", now=None, series="")
    assert again.series != result.series  # a second export never replaces the first
