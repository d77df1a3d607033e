"""`explain --backend all`: one row per claim, one verdict column per backend, from each backend's own report."""

from __future__ import annotations

import argparse
import json

from dropout_tui.engine.explain.claims import claims_on
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.tui.cli import explain_all


def _report(backend: str, version: str, verdict_of) -> ExplainReport:
    claims = tuple(
        ClaimResult(claim.id, claim.text, verdict_of(claim.id), {"x": float(claim.id)}, "why")
        for claim in claims_on(backend)
    )
    return ExplainReport("3.15.1", "2.21.0", claims, backend, version)


REPORTS = {
    "tensorflow": _report("tensorflow", "2.21.0", lambda i: "true" if i == 4 else "false"),
    "jax": _report("jax", "0.10.2", lambda i: "caveat" if i == 5 else "false"),
    "torch": _report("torch", "2.13.0+cpu", lambda i: "false"),
}


def test_one_row_per_claim_and_a_verdict_column_per_backend():
    text = explain_all.verdict_columns(REPORTS, missing=[])
    lines = text.splitlines()
    assert [cell.strip() for cell in lines[0].split(" | ")[2:]] == ["TensorFlow", "JAX", "PyTorch"]
    rows = {line.split(" | ")[0].strip(): [cell.strip() for cell in line.split(" | ")[2:]] for line in lines[2:12]}
    assert rows["4"] == ["TRUE", "FALSE", "FALSE"]
    assert rows["5"] == ["FALSE", "CAVEAT", "FALSE"]
    assert rows["9"] == ["-", "FALSE", "-"]  # JAX's own claim: not run elsewhere
    assert rows["10"] == ["-", "-", "FALSE"]
    assert "JAX: Keras 3.15.1, JAX 0.10.2" in text and "TensorFlow: Keras 3.15.1, TensorFlow 2.21.0" in text


def test_a_backend_not_installed_is_named_with_its_extra():
    text = explain_all.verdict_columns({"tensorflow": REPORTS["tensorflow"]}, missing=["torch"])
    assert "PyTorch: not installed (pip install 'dropout-tui[torch]')" in text
    assert "PyTorch" not in text.splitlines()[0]


def test_each_backend_runs_in_its_own_process_and_json_holds_every_report(monkeypatch, capsys):
    asked = []

    def child(backend: str, seed: int, debug: bool) -> ExplainReport:
        asked.append((backend, seed))
        return ExplainReport.from_dict(json.loads(REPORTS[backend].to_json()))

    monkeypatch.setattr(explain_all, "_child", child)
    monkeypatch.setattr(explain_all.backends, "installed", lambda name: True)
    code = explain_all.run_all(argparse.Namespace(seed=3, debug=False, json=True))
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and asked == [("tensorflow", 3), ("jax", 3), ("torch", 3)]
    assert {name: report["backend_version"] for name, report in data["backends"].items()} == {
        "tensorflow": "2.21.0",
        "jax": "0.10.2",
        "torch": "2.13.0+cpu",
    }
