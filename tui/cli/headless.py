"""`dropout-tui train --headless`: every engine event as one JSON line on stdout.

Nothing else reaches stdout (no ANSI, no TensorFlow chatter), so the stream can
be piped, tailed under nohup, or replayed. Exit codes: 0 with a summary, 1 when
the run failed, 2 for bad input (raised to dropout_tui.tui.cli, which prints one line),
130 after SIGINT (Ctrl+C) and 143 after SIGTERM (while data and TensorFlow
load, the signal's default action ends the process: shells report the same
numbers). Only whole lines are ever written, to stdout and to --output.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from dropout_tui.engine import quiet
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.events import Event, Failed, RunStarted
from dropout_tui.engine.run.controls import STOP_SIGNAL
from dropout_tui.tui.cli.process import flush_and_exit

# After SIGINT/SIGTERM the run gets this long to end by itself (it checks at
# every batch and MC chunk); then the process ends anyway, between two lines.
SIGNAL_GRACE_SECONDS = 1.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)
LAST_WORDS_SECONDS = 0.5


class JsonLines:
    """Writes each event to stdout and optionally a file; survives a closed or failing stdout."""

    def __init__(self, file: TextIO | None, output: str | None, on_lost_reader, on_write_failed) -> None:
        self._file = file
        self._output = output
        self.lock = threading.Lock()
        self.stdout_open = True
        self.write_error: str | None = None  # one line, when a stream could not be written
        self._on_lost_reader = on_lost_reader
        self._on_write_failed = on_write_failed

    def __call__(self, event: Event) -> None:
        line = event.to_json() + "\n"
        with self.lock:
            if self.stdout_open:
                try:
                    sys.stdout.write(line)
                    sys.stdout.flush()
                except BrokenPipeError:
                    self._close_stdout()
                    self._on_lost_reader()
                except OSError as error:  # e.g. stdout redirected to a full disk
                    self.write_error = self.write_error or f"cannot write to stdout: {error.strerror or error}"
                    self._close_stdout()
                    self._on_write_failed()
            if self._file is not None:
                try:
                    self._file.write(line)
                    self._file.flush()
                except OSError as error:
                    self.write_error = (
                        self.write_error or f"--output {self._output}: write failed: {error.strerror or error}"
                    )
                    self._abandon_file()
                    self._on_write_failed()

    def close(self) -> None:
        with self.lock:
            self.close_unlocked()

    def close_unlocked(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as error:
                self.write_error = (
                    self.write_error or f"--output {self._output}: write failed: {error.strerror or error}"
                )
            self._file = None

    def _abandon_file(self) -> None:
        # Drop what could not be written: point the file's descriptor at /dev/null, so closing (now or when
        # the object is collected) flushes nowhere and cannot close a descriptor number reused meanwhile.
        file, self._file = self._file, None
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, file.fileno())
        finally:
            os.close(devnull)
        try:
            file.close()
        except OSError:
            pass

    def _close_stdout(self) -> None:
        # The reader went away (`| head -1`). Point fd 1 at /dev/null so neither
        # this write nor the interpreter's final flush raises again.
        self.stdout_open = False
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class SignalWatch:
    """SIGINT and SIGTERM: at once while loading, a clean cancel once the run has started; SIGUSR1: a stop.

    While data and TensorFlow load (long native calls that hold the GIL, so no
    Python code could answer) SIGINT and SIGTERM keep their default action and end
    the process at once; only whole lines have been written by then. Once
    ``arm`` is called (at RunStarted) they cancel the run instead: Python's
    C-level handler writes each signal to a pipe that a watcher thread reads,
    so the cancel does not wait for the main thread. A second signal, or a run
    not ended within SIGNAL_GRACE_SECONDS, ends the process between two lines.
    STOP_SIGNAL goes through the same pipe from the start (a stop while loading
    is kept for the first batch edge) and only asks the run to stop.
    """

    def __init__(self, controls, writer: JsonLines, last_words: Callable[[], object] | None = None) -> None:
        self._controls = controls
        self._writer = writer
        self._last_words = last_words  # run (for at most LAST_WORDS_SECONDS) before a deadline ends the process
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_handlers: dict = {}
        self._saved_wakeup_fd: int | None = None
        self._pipe: tuple[int, int] | None = None
        self._armed = False
        self.signum: int | None = None

    def __enter__(self) -> SignalWatch:
        if threading.current_thread() is threading.main_thread():
            self._saved_handlers = {number: signal.signal(number, signal.SIG_DFL) for number in SIGNALS}
            self._saved_handlers[STOP_SIGNAL] = signal.signal(STOP_SIGNAL, _ignore)  # the watcher acts on it
            self._pipe = os.pipe()
            os.set_blocking(self._pipe[1], False)
            self._saved_wakeup_fd = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
            self._thread = threading.Thread(target=self._watch, name="dropout-tui-signals", daemon=True)
            self._thread.start()
        return self

    def arm(self) -> None:
        if not self._saved_handlers or self._armed:
            return
        self._armed = True
        for number in SIGNALS:
            signal.signal(number, _ignore)  # the watcher thread acts on the pipe

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            signal.set_wakeup_fd(self._saved_wakeup_fd)
            for fd in self._pipe:
                os.close(fd)
        for number, handler in self._saved_handlers.items():
            signal.signal(number, handler)

    def _watch(self) -> None:
        reader = self._pipe[0]
        while not self._done.is_set():
            ready, _, _ = select.select([reader], [], [], 0.05)
            if ready:
                for number in os.read(reader, 64):
                    if number == STOP_SIGNAL:
                        self._controls.stop()
                    else:
                        self._received(number)

    def _received(self, signum: int) -> None:
        if self.signum is not None:
            self._exit_now()  # asked twice: do not wait for the grace period
        self.signum = signum
        self._controls.cancel()
        threading.Thread(target=self._deadline, name="dropout-tui-deadline", daemon=True).start()

    def _deadline(self) -> None:
        if not self._done.wait(SIGNAL_GRACE_SECONDS):
            self._exit_now()

    def _exit_now(self) -> None:
        if self._last_words is not None:  # e.g. a sweep's summary of the rates that finished
            words = threading.Thread(target=self._last_words, name="dropout-tui-last-words", daemon=True)
            words.start()
            words.join(LAST_WORDS_SECONDS)
        # Holding the writer's lock means no line is half written; give up on
        # it after a moment (a reader that stopped reading holds stdout). No
        # flush: stdout may be the very pipe nobody reads.
        if self._writer.lock.acquire(timeout=0.5):
            self._writer.close_unlocked()
        os._exit(128 + int(self.signum or signal.SIGINT))


def _ignore(signum, frame) -> None:
    """Python-level half of a signal the watcher thread already handles."""


def end_of_stream(watch: SignalWatch, writer: JsonLines, user_error: Exception | None) -> bool:
    """After the run: exit at once after a signal, raise a user error (exit 2); True when a stream failed (exit 1)."""
    if watch.signum is not None:
        # Every line is written and the file closed; TensorFlow's interpreter
        # teardown alone takes ~1 s, which a user who asked to stop should not wait for.
        flush_and_exit(128 + int(watch.signum))
    if user_error is not None:
        raise user_error  # dropout_tui.tui.cli prints it as one line and exits 2
    if writer.write_error is not None:
        sys.stderr.write(f"dropout-tui: error: {writer.write_error}\n")
        return True
    return False


def run_headless(config: RunConfig, output: str | None, debug: bool, cluster=None) -> int:
    """One run; with a ``cluster`` (engine.run.cluster) only the chief writes events, and all exit with its status."""
    quiet.prepare_environment()
    quiet.redirect_native_stderr()
    from dropout_tui.engine.run.controls import Controls

    chief = cluster is None or cluster.chief
    file = open_output(output, config) if output and chief else None
    controls = Controls()
    failures: list[Failed] = []

    def lost_reader() -> None:
        if file is None:
            controls.cancel()  # nobody is reading any more: stop soon

    writer = JsonLines(file, output, lost_reader, controls.cancel)

    watch = SignalWatch(controls, writer)

    def sink(event: Event) -> None:
        if isinstance(event, Failed):
            failures.append(event)
        if chief:
            writer(event)
        if isinstance(event, RunStarted):
            watch.arm()  # the Session runs in this (the main) thread

    try:
        with watch:
            from dropout_tui.engine.run.session import Session

            session = Session(config, sink, controls, cluster=cluster)
            summary = session.run()
    finally:
        writer.close()
    status = 1 if end_of_stream(watch, writer, session.user_error) else _status(summary, failures, writer, debug)
    if session.workers is None:
        return status
    # Every line is written: the chief's status is everyone's; TensorFlow's teardown would wait for gone peers.
    try:
        flush_and_exit(session.workers.chief_status(status))
    except Exception as error:  # the chief (or another worker) went away at the very end
        if status == 0:
            sys.stderr.write(f"dropout-tui: failed: {session.workers.describe(error)}\n")
        flush_and_exit(status or 1)


def _status(summary, failures: list[Failed], writer: JsonLines, debug: bool) -> int:
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


def open_output(output: str, config: RunConfig) -> TextIO:
    for option, path in (("--data", config.data_path), ("--model", config.model_path)):
        if path and os.path.exists(output) and os.path.exists(path) and os.path.samefile(output, path):
            raise ConfigError(f"--output {output} is the {option} file; it would be overwritten")
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"--output {output}: cannot write: {error.strerror or error}") from None
