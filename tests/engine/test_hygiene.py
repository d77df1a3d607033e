"""engine/ never imports the UI, and its entry points stay cheap to import."""

import pkgutil
import subprocess
import sys
import textwrap

import pytest

import dropout_tui.engine

pytestmark = [pytest.mark.subprocess]


def _modules_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(out.stdout.split())


def _engine_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(dropout_tui.engine.__path__, "dropout_tui.engine.")]


def test_engine_imports_no_textual_or_tui():
    names = _engine_modules()
    assert "dropout_tui.engine.run.session" in names  # the walk found the sub-packages
    modules = _modules_after("\n".join(f"import {name}" for name in names))
    assert not {m for m in modules if m.split(".")[0] == "textual" or m.startswith("dropout_tui.tui")}


def test_session_import_does_not_load_tensorflow():
    # The TUI imports the Session on its start path; TensorFlow must wait for run().
    modules = _modules_after(
        "import dropout_tui.engine.run.session, dropout_tui.engine.data.datasets, dropout_tui.engine.model.default\n"
        "import dropout_tui.engine.evaluation.metrics, dropout_tui.engine.quiet"
    )
    assert "tensorflow" not in modules and "keras" not in modules


def test_nothing_is_imported_under_the_bare_folder_names():
    # The folders sit at the top of the checkout; only the installed names may ever be imported.
    modules = _modules_after("import dropout_tui.tui.cli, dropout_tui.tui.app, dropout_tui.engine.run.session")
    assert not {m for m in modules if m.split(".")[0] in ("engine", "tui")}
