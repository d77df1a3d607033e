"""The CLI in a child process: started with pipes, signalled, and read to its end."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_cli(args: Sequence[str]) -> subprocess.Popen:
    """``dropout-tui ARGS`` from the repository root, stdout and stderr as text pipes, no terminal."""
    return subprocess.Popen(
        [sys.executable, "-m", "dropout_tui.tui.cli", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TERM": "dumb"},
    )


@contextmanager
def killed_if_left_running(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """However the block ends (a failed assertion included), no child outlives it."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def interrupt(process: subprocess.Popen, lines_read: Sequence[str], signals: Sequence[int], timeout: float) -> dict:
    """Send ``signals`` 50 ms apart and read the child to its end.

    Returns its exit ``code``, the ``seconds`` from the first signal to its exit, its whole ``stdout``
    (``lines_read`` first) and its ``stderr``.
    """
    sent = time.monotonic()
    for number in signals:
        process.send_signal(number)
        time.sleep(0.05)
    rest, err = finish(process, timeout)
    seconds = time.monotonic() - sent
    return {"code": process.returncode, "seconds": seconds, "stdout": "".join(lines_read) + rest, "stderr": err}


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """The rest of the child's stdout and its whole stderr, once it has exited; killed after ``timeout`` s.

    Popen.communicate reads the pipes' descriptors directly, so whatever readline() had already
    pulled into the file object's buffer would be silently lost; this reads through the file objects.
    """
    texts: dict[str, str] = {}

    def read(name: str, stream) -> None:
        texts[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=(name, stream), daemon=True)
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {timeout:g} s later") from None
    for reader in readers:
        reader.join(timeout)
    return texts.get("stdout", ""), texts.get("stderr", "")
