"""`dropout-tui train --headless`: every engine event as one JSON line on stdout.

Nothing else reaches stdout (no ANSI, no TensorFlow chatter), so the stream can
be piped, tailed under nohup, or replayed. Exit codes: 0 with a summary, 1 when
the run failed, 2 for bad input (raised to tui.cli, which prints one line).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from engine import quiet
from engine.config import ConfigError, RunConfig
from engine.events import Event, Failed


class _JsonLines:
    """Writes each event to stdout and optionally a file; survives a closed stdout."""

    def __init__(self, file: TextIO | None, on_stdout_closed) -> None:
        self._file = file
        self._lock = threading.Lock()
        self.stdout_open = True
        self._on_stdout_closed = on_stdout_closed

    def __call__(self, event: Event) -> None:
        line = event.to_json() + "\n"
        with self._lock:
            if self.stdout_open:
                try:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                except BrokenPipeError:
                    self._close_stdout()
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    def _close_stdout(self) -> None:
        # The reader went away (`| head -1`). Point fd 1 at /dev/null so neither
        # this write nor the interpreter's final flush raises again.
        self.stdout_open = False
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        self._on_stdout_closed()


def run_headless(config: RunConfig, output: str | None, debug: bool) -> int:
    quiet.prepare_environment()
    quiet.redirect_native_stderr()
    from engine.controls import Controls
    from engine.session import Session

    file = None
    if output:
        try:
            file = open(output, "w", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"--output {output}: cannot write: {error.strerror or error}") from None
    controls = Controls()
    failures: list[Failed] = []

    def stdout_closed() -> None:
        if file is None:
            controls.cancel()  # nobody is reading any more: stop soon

    writer = _JsonLines(file, stdout_closed)

    def sink(event: Event) -> None:
        if isinstance(event, Failed):
            failures.append(event)
        writer(event)

    session = Session(config, sink, controls)
    try:
        summary = session.run()
    finally:
        if file is not None:
            file.close()
    if session.user_error is not None:
        raise session.user_error  # tui.cli prints it as one line and exits 2
    session_error = failures[-1] if failures else None
    if summary is not None:
        return 0
    if not writer.stdout_open and session_error is None:
        return 0  # the reader closed stdout and the run was cancelled for it
    if session_error is None:
        return 1
    if debug and session_error.traceback:
        sys.stderr.write(session_error.traceback)
    sys.stderr.write(f"dropout-tui: failed: {session_error.message}\n")
    return 1
