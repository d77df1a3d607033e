"""The CLI on a pseudo-terminal (80x24 by default): what a user's terminal would show, read as it arrives."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")
ALTERNATE_SCREEN = b"\x1b[?1049h"  # Textual's first frame goes there
RESTORE = (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l")  # leave the alternate screen, show the cursor, mouse off


def screen_text(raw: bytes) -> str:
    return ANSI.sub(b"", raw).decode("utf-8", "replace")


def _session(controlling: bool, hangup_ignored: bool) -> Callable[[], None]:
    def set_up() -> None:  # in the child, after setsid()
        if controlling:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        if hangup_ignored:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    return set_up


class PtyProcess:
    """``dropout-tui ARGS`` with stdin, stdout and stderr on one pty; everything it writes collects in ``raw``."""

    def __init__(
        self,
        args: Sequence[str],
        rows: int = 24,
        columns: int = 80,
        *,
        controlling: bool = False,
        hangup_ignored: bool = False,
    ) -> None:
        """``controlling``: the pty is the program's controlling terminal, as a terminal window's is (a hang-up then
        sends it SIGHUP and SIGCONT); ``hangup_ignored``: it starts with SIGHUP ignored, as nohup leaves it."""
        self._master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dropout_tui.tui.cli", *args],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_session(controlling, hangup_ignored) if controlling or hangup_ignored else None,
        )
        os.close(slave)
        self.raw = bytearray()
        self.lflag: int | None = None  # the tty's local modes once closed: cooked mode has ICANON and ECHO
        self._hung_up = False

    def read(self, seconds: float) -> bool:
        """Collect output for ``seconds``; False as soon as the process has ended and nothing more can come."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._hung_up:
                return False
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self._master, 65536)
                except OSError:  # EIO: every writer closed the pty
                    return False
                if not chunk:
                    return False
                self.raw.extend(chunk)
            elif self.process.poll() is not None:
                return False
        return True

    def wait_for(self, text: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while text not in screen_text(bytes(self.raw)):
            assert time.monotonic() < deadline and self.process.poll() is None, (
                f"never showed {text!r}: {screen_text(bytes(self.raw))[-600:]!r}"
            )
            self.read(0.2)

    def send(self, data: bytes) -> None:
        os.write(self._master, data)

    def hang_up(self) -> None:
        """Close the terminal, as a closed window or a dropped connection does: its input reads end-of-file from
        now on. Only a ``controlling`` terminal's hang-up also sends SIGHUP (and SIGCONT)."""
        self._hung_up = True
        os.close(self._master)

    def finish(self, seconds: float) -> int | None:
        """Its exit code once it ends within ``seconds`` (None if it did not: it is killed), the pty read dry."""
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        code = self.process.poll()
        self.read(0.3)
        self.close()
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.lflag is None and not self._hung_up:
            self.lflag = termios.tcgetattr(self._master)[3]
            os.close(self._master)
