"""q, Ctrl+C, SIGTERM/SIGINT/SIGHUP and a terminal that hangs up end the real TUI under a pseudo-terminal, with
the terminal restored (where it is still there).

Each case starts `dropout-tui train` on an 80x24 pty (all cases at once: each
pays TensorFlow's import), waits for the phase it is about on the screen,
sends the key or signal, and checks the exit code, that the process ended,
that Textual's restore sequences (leave the alternate screen, show the
cursor, mouse off) came after it, and that the tty is back in cooked mode.
The 2 s target is measured in bench/; here a generous bound only catches a hang.
"""

from __future__ import annotations

import json
import signal
import subprocess
import termios
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.pty import RESTORE, PtyProcess, screen_text

pytestmark = [pytest.mark.subprocess]

NO_HANG_SECONDS = 10.0
START_SECONDS = 90.0  # TensorFlow's import, several processes at once on a 2-core box


HANG_UP = "hang up"  # close the terminal (PtyProcess.hang_up): no SIGHUP comes, its input reads end-of-file


@dataclass
class Case:
    args: list
    waits_for: list  # screen texts, in order; the key in `before` is sent between them
    before: bytes | None
    send: bytes | int | str  # bytes: keys typed; int: a signal; HANG_UP
    code: int
    pty: dict = field(default_factory=dict)  # PtyProcess's session options


LONG = ["train", "--epochs", "50", "--hidden", "16", "--mc-samples", "5", "--repeats", "1"]
CASES = {
    "SIGTERM while training, just after an export": Case(LONG, ["samples/s"], b"e", signal.SIGTERM, 143),
    "SIGINT during the mode evaluation": Case(
        [*LONG, "--repeats", "3000"], ["evaluating every mode"], None, signal.SIGINT, 130
    ),
    "q during an MC-heavy evaluation": Case([*LONG, "--mc-samples", "20000"], ["evaluating every mode"], None, b"q", 0),
    "Ctrl+C key on the Explain screen": Case(LONG, ["samples/s", "Claim 1/"], b"w", b"\x03", 130),
    "SIGHUP while training": Case(LONG, ["samples/s"], None, signal.SIGHUP, 129),
    # A closed window with no SIGHUP (a parent that blocks it, as make does): Textual's input thread then read
    # end-of-file in a loop, a core at 100% for ever, training on unseen.
    "the terminal hangs up while training": Case(LONG, ["samples/s"], None, HANG_UP, 129),
    # A window's own terminal under nohup: the hang-up brings an ignored SIGHUP and a SIGCONT, on which Textual
    # starts its output again; its writer thread died on the dead terminal and the event loop then waited for
    # ever on its full queue, so the app must leave without the event loop.
    "the controlling terminal hangs up under nohup": Case(
        LONG, ["samples/s"], None, HANG_UP, 129, {"controlling": True, "hangup_ignored": True}
    ),
}


def _run(case: Case, export_dir: Path) -> dict:
    app = PtyProcess([*case.args, "--export-dir", str(export_dir)], **case.pty)
    try:
        for index, text in enumerate(case.waits_for):
            app.wait_for(text, START_SECONDS)
            if index == 0 and case.before is not None:
                app.send(case.before)
        app.read(0.3)
        mark = len(app.raw)
        sent = time.monotonic()
        if isinstance(case.send, bytes):
            app.send(case.send)
        elif case.send == HANG_UP:
            app.hang_up()
        else:
            app.process.send_signal(case.send)
        try:
            app.process.wait(timeout=NO_HANG_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        seconds = time.monotonic() - sent
        app.read(0.5)
    finally:
        app.close()
    return {"code": app.process.returncode, "seconds": seconds, "after": bytes(app.raw[mark:]), "lflag": app.lflag}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-signals")
    with ThreadPoolExecutor(len(CASES)) as pool:
        futures = {name: pool.submit(_run, case, root / str(index)) for index, (name, case) in enumerate(CASES.items())}
        return {name: (future.result(), root / str(index)) for index, (name, future) in enumerate(futures.items())}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", list(CASES))
def test_ui_ends_and_restores_the_terminal(outcomes, name):
    result, export_dir = outcomes[name]
    print(f"{name}: exit {result['code']} after {result['seconds']:.2f} s")
    assert result["seconds"] < NO_HANG_SECONDS, "still running"
    assert result["code"] == CASES[name].code
    if CASES[name].send == HANG_UP:
        return  # nothing is left to read the terminal back from
    after = result["after"]
    for sequence in RESTORE:
        assert sequence in after, f"{sequence!r} missing after the {name}"
    tail = after[after.rindex(b"\x1b[?1049l") :]
    assert b"Traceback" not in after and screen_text(tail).strip() == "", f"stray output: {tail[-300:]!r}"
    assert result["lflag"] & termios.ICANON and result["lflag"] & termios.ECHO, "tty left in raw mode"
    written = sorted(p.name for p in export_dir.iterdir()) if export_dir.exists() else []
    assert not [n for n in written if n.endswith(".tmp")], written
    for name_ in written:
        if name_.endswith(".json"):
            json.loads((export_dir / name_).read_text())
    if CASES[name].before == b"e":
        assert sorted(Path(n).suffix for n in written) == [".csv", ".json", ".svg"]
