"""A sweep with --jobs N: N rates at once, each the real `train --headless` in a child process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from typing import TYPE_CHECKING

from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.events import Failed, event_from_json

if TYPE_CHECKING:  # runner imports this module
    from dropout_tui.engine.sweep.runner import Sweep

CHILD_GRACE_SECONDS = 0.5  # after a cancel, children get this long to end by themselves, then SIGKILL


def run_children(sweep: Sweep) -> None:
    """``sweep.jobs`` rates at once, each a ``dropout-tui train --headless`` child whose lines are parsed back."""
    pending = list(sweep.rates)
    running: dict[float, threading.Thread] = {}
    done = threading.Condition()
    ended: list[float] = []

    def worker(rate: float) -> None:
        try:
            _run_child(sweep, rate)
        finally:
            with done:
                ended.append(rate)
                done.notify_all()

    while pending or running:
        with done:
            for rate in ended:
                running.pop(rate).join()
            ended.clear()
        if sweep.controls.cancelled:
            # Children had SIGTERM from cancel(); the finished rates are what is left to report.
            for thread in running.values():
                thread.join(CHILD_GRACE_SECONDS)
            sweep.controls.kill_children()
            return
        if sweep.user_error is not None:
            sweep.controls.cancel()
            continue
        if sweep.controls.stop_requested:
            pending.clear()
        while pending and len(running) < sweep.jobs and not sweep.controls.paused:
            rate = pending.pop(0)
            thread = threading.Thread(target=worker, args=(rate,), name=f"dropout-tui-sweep-{rate:g}", daemon=True)
            running[rate] = thread
            thread.start()
        with done:
            if not ended:
                done.wait(0.1)


def _run_child(sweep: Sweep, rate: float) -> None:
    assert sweep.command is not None  # Sweep refuses jobs > 1 without a command
    argv = [sys.executable, "-m", "dropout_tui.tui.cli", *sweep.command(sweep.config_for(rate))]
    sink = sweep.tagger(rate)
    result = sweep.results[rate]
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # the sweep relays signals itself: a terminal's Ctrl+C reaches only it
        )
        if not sweep.controls.attach(child):
            child.wait()
            return
        try:
            assert child.stdout is not None  # started with stdout=PIPE
            for line in child.stdout:
                if not line.strip():
                    continue
                try:
                    event = event_from_json(line)
                except (ValueError, KeyError, TypeError) as error:
                    event = Failed(message=f"the run at rate {rate:g} wrote an unreadable line: {one_line(error)}")
                sink(event)
            code = _wait(sweep, child)
        finally:
            sweep.controls.detach(child)
            if child.poll() is None:
                child.kill()
                child.wait()
        errors.seek(0)
        message = errors.read().strip().splitlines()
    if sweep.controls.cancelled or (sweep.controls.stop_requested and result.summary is None):
        return  # ended by the sweep itself: not a failure of the run
    if code == 2 and result.summary is None:
        text = message[-1] if message else f"the run at rate {rate:g} refused its input"
        sweep.user_error = ConfigError(text.removeprefix("dropout-tui: error: "))
    elif code != 0 and result.failed is None:
        text = message[-1].removeprefix("dropout-tui: ") if message else f"exit {code}"
        sink(Failed(message=f"the run at rate {rate:g} ended: {text}"))


def _wait(sweep: Sweep, child: subprocess.Popen) -> int:
    while True:
        try:
            return child.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if sweep.controls.cancelled:
                try:
                    return child.wait(timeout=CHILD_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return child.wait()
