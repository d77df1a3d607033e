"""The UI layer's shape: no TensorFlow-family import anywhere in tui/, no class longer than 200 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TUI = Path(__file__).resolve().parents[2] / "tui"
TF_FAMILY = ("tensorflow", "keras", "tf_keras", "tensorboard", "tensorflow_probability")
MAX_CLASS_LINES = 200


def _trees():
    for path in sorted(TUI.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.subprocess
def test_the_ui_layer_imports_no_tensorflow_family_module():
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.split(".")[0] in TF_FAMILY], f"{path.name}: {names}"
    modules = [
        "dropout_tui.tui." + p.relative_to(TUI).with_suffix("").as_posix().replace("/", ".")
        for p in TUI.rglob("*.py")
        if p.name != "__init__.py"
    ]
    script = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    script += f"print(sorted(m for m in sys.modules if m.split('.')[0] in {TF_FAMILY!r}))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_no_class_in_the_ui_is_longer_than_200_lines():
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                lines = node.end_lineno - node.lineno + 1
                assert lines <= MAX_CLASS_LINES, f"{path.name}: {node.name} has {lines} lines"
