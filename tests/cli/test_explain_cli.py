"""`dropout-tui explain`: one JSON object with --json, plain text off a TTY, a Rich table on one."""

import argparse
import io
import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from dropout_tui.engine.explain.claims import claims_on
from dropout_tui.tui.claims_table import claims_table
from dropout_tui.tui.cli import explain as explain_cli

pytestmark = [pytest.mark.subprocess]

CLI = Path(sys.executable).with_name("dropout-tui")


def test_json_is_one_object_with_eight_claims_in_order(explain_report):
    done = subprocess.run([str(CLI), "explain", "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # exactly one line: the object
    data = json.loads(done.stdout)
    assert list(data) == ["keras", "tensorflow", "backend", "backend_version", "claims"]
    assert data["backend"] == "tensorflow" and data["backend_version"] == data["tensorflow"]
    assert data["keras"] == metadata.version("keras")
    assert data["tensorflow"] == metadata.version("tensorflow")
    assert [c["id"] for c in data["claims"]] == list(range(1, 9))
    assert [c["claim"] for c in data["claims"]] == [claim.text for claim in claims_on("tensorflow")]
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
    monkeypatch.setattr(explain_cli, "_measure", lambda seed, backend, debug: report)
    out = _Stream(tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", _Stream(False))
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    args = argparse.Namespace(backend="tensorflow", json=json_out, seed=0, debug=False)
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
    def explode(seed, backend, debug):
        raise RuntimeError("the experiment broke\nsecond line")

    monkeypatch.setattr(explain_cli, "_measure", explode)
    err = _Stream(False)
    monkeypatch.setattr(sys, "stderr", err)
    assert explain_cli.run_explain(argparse.Namespace(backend="tensorflow", json=True, seed=0, debug=False)) == 1
    assert err.getvalue() == "dropout-tui: error: explain failed: the experiment broke second line\n"
    with pytest.raises(RuntimeError):
        explain_cli.run_explain(argparse.Namespace(backend="tensorflow", json=True, seed=0, debug=True))


@pytest.mark.parametrize(
    "modules",
    [
        "dropout_tui.tui.cli.explain, dropout_tui.engine.explain.claims, dropout_tui.engine.explain.verdicts",
        "dropout_tui.tui.screens.explain",
    ],
    ids=["cli and claims", "screen"],
)
def test_cli_and_screen_modules_do_not_import_tensorflow(modules):
    code = f"import sys, {modules}; print(sorted(m for m in ('tensorflow', 'keras', 'absl') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# Runs `explain` for real up to the engine call, with only the runner (the TensorFlow part) replaced, and
# records which module imported each TensorFlow-family package.
_IMPORTERS_PROBE = textwrap.dedent(
    """
    import argparse, builtins, json, sys, types

    FAMILY = {"tensorflow", "keras", "absl"}
    importers = {}
    real_import = builtins.__import__

    def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
        # Every import statement passes here, also for a module imported before, so nothing hides behind a cache.
        package, importer = name.partition(".")[0], (globals or {}).get("__name__", "")
        if level == 0 and package in FAMILY and importer.partition(".")[0] not in FAMILY:
            importers.setdefault(package, set()).add(importer)
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = recording_import

    from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
    from dropout_tui.tui.cli import explain as explain_cli

    def run_explain(seed, *, on_start=None, on_result=None, should_stop=None):
        return ExplainReport("k", "t", (ClaimResult(1, "c", "true", {"x": 1.0}, "e"),))

    sys.modules["dropout_tui.engine.explain.runner"] = types.SimpleNamespace(run_explain=run_explain)
    for as_json in (True, False):
        assert explain_cli.run_explain(argparse.Namespace(backend="tensorflow", json=as_json, seed=0, debug=False)) == 0
    sys.stderr.write(json.dumps({name: sorted(who) for name, who in importers.items()}) + "\\n")
    """
)


def test_the_cli_imports_no_tensorflow_family_module_itself():
    done = subprocess.run([sys.executable, "-c", _IMPORTERS_PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"claim": "c"' in done.stdout and "1. c" in done.stdout
    importers = json.loads(done.stderr.strip().splitlines()[-1])
    # The CLI's quieting did need absl, and the engine imported it.
    assert importers.get("absl") == ["dropout_tui.engine.explain.silence"]
    assert "tensorflow" not in importers and "keras" not in importers
    assert not [who for names in importers.values() for who in names if who.startswith("dropout_tui.tui")]


def test_table_at_80_columns_wraps_measured_names_between_words(explain_report):
    from rich.console import Console

    console = Console(width=80, record=True, color_system=None)
    console.print(claims_table(explain_report.claims, "t", claims=claims_on("tensorflow")))
    cells = " ".join(line.split("│")[4] for line in console.export_text().splitlines() if line.count("│") >= 5)
    words = set(cells.split())
    for claim in explain_report.claims:
        for name in claim.measured:
            for word in name.split("_"):
                assert word in words, f"{word!r} of {name!r} was cut in the Measured column"
