"""`dropout-tui explain`: one JSON object with --json, plain text off a TTY, a Rich table on one."""

import argparse
import io
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from dropout_tui.engine.explain.report import CLAIM_TEXTS
from dropout_tui.tui import explain_cli

CLI = Path(sys.executable).with_name("dropout-tui")


def test_json_is_one_object_with_eight_claims_in_order(explain_report):
    done = subprocess.run([str(CLI), "explain", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # exactly one line: the object
    data = json.loads(done.stdout)
    assert list(data) == ["keras", "tensorflow", "claims"]
    assert data["keras"] == metadata.version("keras")
    assert data["tensorflow"] == metadata.version("tensorflow")
    assert [c["id"] for c in data["claims"]] == list(range(1, 9))
    assert [c["claim"] for c in data["claims"]] == list(CLAIM_TEXTS)
    for claim in data["claims"]:
        assert list(claim) == ["id", "claim", "verdict", "measured", "explanation"]
        assert all(isinstance(value, (int, float)) for value in claim["measured"].values())
    # Same seed, same verdicts as the in-process run.
    assert [c["verdict"] for c in data["claims"]] == [c.verdict for c in explain_report.claims]
    # Not a TTY: no progress, and TensorFlow's start-up noise is silenced.
    assert done.stderr == ""


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _run(monkeypatch, report, *, tty: bool, no_color: bool = False, json_out: bool = False) -> str:
    # The report is the real one measured by the fixture; this checks only how it is printed.
    monkeypatch.setattr(explain_cli, "_measure", lambda seed, debug: report)
    out = _Stream(tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", _Stream(False))
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    args = argparse.Namespace(json=json_out, seed=0, debug=False)
    assert explain_cli.run_explain(args) == 0
    return out.getvalue()


@pytest.mark.parametrize("tty, no_color", [(False, False), (True, True)])
def test_plain_text_without_ansi_off_a_tty_or_with_no_color(monkeypatch, explain_report, tty, no_color):
    text = _run(monkeypatch, explain_report, tty=tty, no_color=no_color)
    assert "\x1b" not in text
    for claim in explain_report.claims:
        assert f"{claim.id}. {claim.claim}" in text
        assert f"verdict: {claim.verdict.upper()}" in text
    assert "inference_max_abs_diff_from_input = 0" in text


def test_rich_table_on_a_tty(monkeypatch, explain_report):
    text = _run(monkeypatch, explain_report, tty=True)
    assert "\x1b[" in text
    assert "FALSE" in text and "CAVEAT" in text and "TRUE" in text
    assert "Explanation" in text


def test_failure_is_one_line_and_exit_1_unless_debug(monkeypatch):
    def explode(seed, debug):
        raise RuntimeError("the experiment broke\nsecond line")

    monkeypatch.setattr(explain_cli, "_measure", explode)
    err = _Stream(False)
    monkeypatch.setattr(sys, "stderr", err)
    assert explain_cli.run_explain(argparse.Namespace(json=True, seed=0, debug=False)) == 1
    assert err.getvalue() == "dropout-tui: error: explain failed: the experiment broke second line\n"
    with pytest.raises(RuntimeError):
        explain_cli.run_explain(argparse.Namespace(json=True, seed=0, debug=True))


def test_cli_and_screen_modules_do_not_import_tensorflow():
    code = (
        "import sys, dropout_tui.tui.explain_cli, dropout_tui.tui.screens.explain; "
        "import dropout_tui.engine.explain.verdicts; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_table_at_80_columns_wraps_measured_names_between_words(explain_report):
    from rich.console import Console

    console = Console(width=80, record=True, color_system=None)
    console.print(explain_cli.claims_table(explain_report.claims, "t"))
    cells = " ".join(line.split("│")[4] for line in console.export_text().splitlines() if line.count("│") >= 5)
    words = set(cells.split())
    for claim in explain_report.claims:
        for name in claim.measured:
            for word in name.split("_"):
                assert word in words, f"{word!r} of {name!r} was cut in the Measured column"
