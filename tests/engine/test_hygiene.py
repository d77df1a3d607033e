"""engine/ never imports the UI, and its entry points stay cheap to import."""

import subprocess
import sys
import textwrap


def _modules_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(out.stdout.split())


def test_engine_imports_no_textual_or_tui():
    modules = _modules_after(
        """
        import engine, engine.config, engine.controls, engine.events, engine.layers, engine.data
        import engine.models, engine.metrics, engine.modes, engine.probe, engine.session, engine.quiet
        import engine.rng, engine.training, engine.versions, engine.cancel
        """
    )
    assert not {m for m in modules if m.split(".")[0] in ("textual", "tui")}


def test_session_import_does_not_load_tensorflow():
    # The TUI imports the Session on its start path; TensorFlow must wait for run().
    modules = _modules_after("import engine.session, engine.data, engine.models, engine.metrics, engine.quiet")
    assert "tensorflow" not in modules and "keras" not in modules
