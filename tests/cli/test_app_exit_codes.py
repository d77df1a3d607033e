"""The real app on a pty (and without one) exits as headless does (issue 17, items 7 and 8).

Bad input that only TensorFlow can reveal (devices this machine lacks, custom objects that raise) ends the app at
once: the terminal is restored, then one line and exit 2. A run that fails later (a NaN loss) stays on screen; q then
exits 1.
Without a terminal the app is refused in one line, before it draws anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.pty import ALTERNATE_SCREEN, RESTORE, ROOT, PtyProcess, screen_text

pytestmark = pytest.mark.subprocess

START_SECONDS = 120.0  # TensorFlow's import, two processes at once on a busy 2-core box
QUICK = ["--hidden", "8", "--mc-samples", "2", "--repeats", "1"]


def _refused(args: list[str]) -> dict:
    app = PtyProcess(args)
    code = app.finish(START_SECONDS)
    return {"code": code, "raw": bytes(app.raw)}


def _nan_loss_then_q(export_dir) -> dict:
    app = PtyProcess(["train", *QUICK, "--lr", "1e30", "--epochs", "3", "--export-dir", str(export_dir)])
    try:
        app.wait_for("Run failed", START_SECONDS)
        app.send(b"q")
        code = app.finish(10)
    finally:
        app.close()
    return {"code": code, "raw": bytes(app.raw)}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("app-exit")
    (root / "raises.py").write_text("raise RuntimeError('boom')\n")
    (root / "empty.keras").write_bytes(b"PK\x05\x06" + b"\0" * 18)  # a zip: the file check passes, loading would not
    cores = str((os.cpu_count() or 1) + 1)
    model = ["--model", str(root / "empty.keras"), "--custom-objects", str(root / "raises.py")]
    with ThreadPoolExecutor(3) as pool:
        devices = pool.submit(_refused, ["train", *QUICK, "--devices", cores, "--export-dir", str(root / "a")])
        raises = pool.submit(_refused, ["inspect", *model, "--export-dir", str(root / "c")])
        nan = pool.submit(_nan_loss_then_q, root / "b")
        return {"--devices": devices.result(), "--custom-objects": raises.result(), "nan": nan.result()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("option", ["--devices", "--custom-objects"])
def test_what_only_tensorflow_reveals_ends_the_app_with_one_line_and_exit_2(outcomes, option):
    result = outcomes[option]
    assert result["code"] == 2
    raw = result["raw"]
    for sequence in RESTORE:
        assert sequence in raw
    after = screen_text(raw[raw.rindex(b"\x1b[?1049l") :]).strip()
    assert after.startswith(f"dropout-tui: error: {option}") and "\n" not in after.replace("\r\n", " "), after
    assert "Traceback" not in screen_text(raw)


@pytest.mark.timeout(300)
def test_a_run_that_fails_later_stays_shown_and_q_exits_1(outcomes):
    assert outcomes["nan"]["code"] == 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [["train"], ["compare", str(ROOT / "tests/tui/fixtures/run.jsonl")]])
def test_no_terminal_is_one_line_and_exit_2_with_nothing_drawn(tmp_path, command):
    done = subprocess.run(
        [sys.executable, "-m", "dropout_tui.tui.cli", *command],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=100,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().startswith("dropout-tui: error: no terminal:") and done.stderr.count(b"\n") == 1
    assert ALTERNATE_SCREEN not in done.stderr
