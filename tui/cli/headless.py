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
from typing import TYPE_CHECKING

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import Event, Failed, RunStarted, Summary
from dropout_tui.engine.run.controls import Controls
from dropout_tui.tui.cli.process import flush_and_exit
from dropout_tui.tui.cli.stream import JsonLines, json_stream

if TYPE_CHECKING:
    from dropout_tui.engine.run.cluster import Cluster


def run_headless(config: RunConfig, output: str | None, debug: bool, cluster: Cluster | None = None) -> int:
    """One run; with a ``cluster`` (engine.run.cluster) only the chief writes events, and all exit with its status."""
    chief = cluster is None or cluster.chief
    controls = Controls()
    failures: list[Failed] = []
    with json_stream(config, output if chief else None, controls) as stream:
        watch = stream.watch()

        def sink(event: Event) -> None:
            if isinstance(event, Failed):
                failures.append(event)
            if chief:
                stream.write(event)
            if isinstance(event, RunStarted):
                watch.arm()  # the Session runs in this (the main) thread

        with watch:
            from dropout_tui.engine.run.session import Session

            session = Session(config, sink, controls, cluster=cluster)
            summary = session.run()
    status = 1 if stream.failed(session.user_error) else _status(summary, failures, stream.writer, debug)
    if session.workers is None:
        return status
    # Every line is written: the chief's status is everyone's; TensorFlow's teardown would wait for gone peers.
    try:
        flush_and_exit(session.workers.chief_status(status))
    except Exception as error:  # the chief (or another worker) went away at the very end
        if status == 0:
            sys.stderr.write(f"dropout-tui: failed: {session.workers.describe(error)}\n")
        flush_and_exit(status or 1)


def _status(summary: Summary | None, failures: list[Failed], writer: JsonLines, debug: bool) -> int:
    """The exit status of a run that ended by itself; a failure's one line on stderr."""
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
