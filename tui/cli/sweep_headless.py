"""`dropout-tui sweep --headless`: every run's JSON lines, each tagged with its rate, then one sweep_summary.

The stream and the signal handling are train's own (tui/cli/stream.py): only whole lines reach stdout
and --output, SIGINT/SIGTERM cancel within about a second (exit 130/143), and the sweep_summary of
the rates that finished is written before the process ends, even when the grace second runs out.
Exit codes: 0 when every rate finished or a stop (STOP_SIGNAL, SIGUSR1) ended it; 1 when a rate failed
(each named on stderr) or a stream could not be written; 2 for bad input (raised to the CLI).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import cast

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.events import RunStarted
from dropout_tui.engine.sweep.controls import SweepControls
from dropout_tui.engine.sweep.runner import Sweep, Tagged
from dropout_tui.tui.cli.child_command import train_command
from dropout_tui.tui.cli.stream import LAST_WORDS_SECONDS, JsonLine, json_stream


def run_sweep_headless(config: RunConfig, rates: Sequence[float], jobs: int, output: str | None, debug: bool) -> int:
    controls = SweepControls()
    with json_stream(config, output, controls) as stream:

        def sink(item: object) -> None:
            stream.write(cast(JsonLine, item))  # every item a sweep sends is an event, tagged or its own
            if isinstance(item, Tagged) and isinstance(item.event, RunStarted):
                watch.arm()  # in-process runs: the first run started, TensorFlow is loaded (idempotent afterwards)

        sweep = Sweep(config, rates, sink, controls, jobs=jobs, command=train_command)
        watch = stream.watch(last_words=lambda: sweep.finish(timeout=LAST_WORDS_SECONDS * 0.8))
        with watch:
            if sweep.jobs > 1:
                watch.arm()  # this process only reads its children's lines: signals can be handled at once
            summary = sweep.run()
    if stream.failed(sweep.user_error):
        return 1
    failures = sweep.failures
    for result in failures:
        failed = result.failed
        assert failed is not None, "Sweep.failures holds the rates that failed"
        if debug and failed.traceback:
            sys.stderr.write(failed.traceback)
        sys.stderr.write(f"dropout-tui: failed: rate {result.rate:g}: {failed.message}\n")
    if failures:
        return 1
    stopped = controls.stop_requested and not controls.cancelled  # SIGUSR1: the app's `x`, as train takes it
    if summary.complete or stopped or not stream.writer.stdout_open:
        return 0  # every rate finished, a stop asked for, or the reader closed stdout and the sweep was cancelled
    return 1
