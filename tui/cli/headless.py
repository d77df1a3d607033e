"""`dropout-tui train --headless`: every engine event as one JSON line on stdout.

Nothing else reaches stdout (no ANSI, no TensorFlow chatter), so the stream can
be piped, tailed under nohup, or replayed. Exit codes: 0 with a summary, 1 when
the run failed, 2 for bad input (raised to dropout_tui.tui.cli, which prints one line),
130 after SIGINT (Ctrl+C) and 143 after SIGTERM (while data and TensorFlow
load, the signal's default action ends the process: shells report the same
numbers). Only whole lines are ever written, to stdout and to --output.
"""

from __future__ import annotations

import sys

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import Event, Failed, RunStarted
from dropout_tui.engine.run.controls import Controls
from dropout_tui.tui.cli.stream import json_stream


def run_headless(config: RunConfig, output: str | None, debug: bool) -> int:
    controls = Controls()
    failures: list[Failed] = []
    with json_stream(config, output, controls) as stream:
        watch = stream.watch()

        def sink(event: Event) -> None:
            if isinstance(event, Failed):
                failures.append(event)
            stream.write(event)
            if isinstance(event, RunStarted):
                watch.arm()  # the Session runs in this (the main) thread

        with watch:
            from dropout_tui.engine.run.session import Session

            session = Session(config, sink, controls)
            summary = session.run()
    if stream.failed(session.user_error):
        return 1
    session_error = failures[-1] if failures else None
    if summary is not None:
        return 0
    if not stream.writer.stdout_open and session_error is None:
        return 0  # the reader closed stdout and the run was cancelled for it
    if session_error is None:
        return 1
    if debug and session_error.traceback:
        sys.stderr.write(session_error.traceback)
    sys.stderr.write(f"dropout-tui: failed: {session_error.message}\n")
    return 1
