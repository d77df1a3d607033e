"""The wheel installs under the project's own name and runs from anywhere, without the checkout.

The folders engine/ and tui/ sit at the top of the repository, but an
installed copy must be dropout_tui.engine / dropout_tui.tui: bare top-level
names clash with other distributions.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.subprocess, pytest.mark.wheel]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(folder), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    return next(folder.glob("dropout_tui-*.whl"))


def test_the_wheel_holds_only_the_projects_own_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"dropout_tui", next(t for t in tops if t.endswith(".dist-info"))}
    for needed in ("dropout_tui/assets/digits.npz", "dropout_tui/tui/app.tcss", "dropout_tui/engine/run/session.py"):
        assert needed in names
    packages = {str(Path(name).parent) for name in names if name.endswith("/__init__.py")}
    sources = {
        f"dropout_tui/{path.parent.relative_to(ROOT).as_posix()}"
        for folder in ("engine", "tui")
        for path in (ROOT / folder).rglob("__init__.py")
    }
    assert sources <= packages  # a sub-package missing from pyproject's list would be missing here


def test_the_installed_wheel_runs_from_another_directory(wheel, tmp_path):
    fresh = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=120)
    python = fresh / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    # TensorFlow and the other dependencies come from this test's environment (a path entry, not a site dir,
    # so the checkout's editable-install hook is not activated there).
    fresh_site = Path(
        subprocess.run(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (fresh_site / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import dropout_tui.engine.run.session as s, dropout_tui.tui.cli as c; print(s.__file__)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        timeout=120,
    )
    assert where.returncode == 0, where.stderr[-1000:]
    assert Path(where.stdout.strip()).is_relative_to(fresh_site)
    script = fresh / "bin" / "dropout-tui"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, cwd=elsewhere, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("dropout-tui ")
    run = subprocess.run(
        [str(script), "train", "--headless", "--epochs", "1", "--hidden", "16", "--mc-samples", "3", "--repeats", "1"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr[-1000:]
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["event"] == "summary" and summary["dataset"] == "digits" and summary["n_train"] == 1437
