"""`dropout-tui sweep --headless`: every run's JSON lines, each tagged with its rate, then one sweep_summary.

The writer and the signal handling are train's own (tui/cli/headless.py): only whole lines reach stdout
and --output, SIGINT/SIGTERM cancel within about a second (exit 130/143), and the sweep_summary of
the rates that finished is written before the process ends, even when the grace second runs out.
Exit codes: 0 when every rate finished or a stop (STOP_SIGNAL, SIGUSR1) ended it; 1 when a rate failed
(each named on stderr) or a stream could not be written; 2 for bad input (raised to the CLI).
"""

from __future__ import annotations

import sys

from dropout_tui.engine import quiet
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import RunStarted
from dropout_tui.engine.sweep.controls import SweepControls
from dropout_tui.engine.sweep.runner import Sweep, Tagged
from dropout_tui.tui.cli.child_command import train_command
from dropout_tui.tui.cli.headless import LAST_WORDS_SECONDS, JsonLines, SignalWatch, end_of_stream, open_output


def run_sweep_headless(config: RunConfig, rates, jobs: int, output: str | None, debug: bool) -> int:
    quiet.prepare_environment()
    quiet.redirect_native_stderr()
    controls = SweepControls()
    file = open_output(output, config) if output else None

    def lost_reader() -> None:
        if file is None:
            controls.cancel()  # nobody is reading any more: stop soon

    writer = JsonLines(file, output, lost_reader, controls.cancel)

    def sink(item) -> None:
        writer(item)
        if isinstance(item, Tagged) and isinstance(item.event, RunStarted):
            watch.arm()  # in-process runs: the first run started, TensorFlow is loaded (idempotent afterwards)

    try:
        sweep = Sweep(config, rates, sink, controls, jobs=jobs, command=train_command)
    except BaseException:
        writer.close()
        raise
    watch = SignalWatch(controls, writer, last_words=lambda: sweep.finish(timeout=LAST_WORDS_SECONDS * 0.8))
    try:
        with watch:
            if sweep.jobs > 1:
                watch.arm()  # this process only reads its children's lines: signals can be handled at once
            summary = sweep.run()
    finally:
        writer.close()
    if end_of_stream(watch, writer, sweep.user_error):
        return 1
    failures = sweep.failures
    for result in failures:
        if debug and result.failed.traceback:
            sys.stderr.write(result.failed.traceback)
        sys.stderr.write(f"dropout-tui: failed: rate {result.rate:g}: {result.failed.message}\n")
    if failures:
        return 1
    stopped = controls.stop_requested and not controls.cancelled  # SIGUSR1: the app's `x`, as train takes it
    if summary.complete or stopped or not writer.stdout_open:
        return 0  # every rate finished, a stop asked for, or the reader closed stdout and the sweep was cancelled
    return 1
