"""The headless runners' stream: JSON lines on stdout (and --output), and SIGINT/SIGTERM that cancel the run.

`train --headless` (tui/cli/headless.py) and `sweep --headless` (tui/cli/sweep_headless.py) set it up the same
way, with ``json_stream``: only whole lines are ever written; a reader that goes away (``| head -1``) cancels a
run that writes nowhere else; a stream that cannot be written is exit 1; signals end the process within about
a second (130/143) between two lines.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

from dropout_tui.engine import quiet
from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.run.controls import STOP_SIGNAL
from dropout_tui.tui.cli.process import flush_and_exit

# After SIGINT/SIGTERM the run gets this long to end by itself (it checks at
# every batch and MC chunk); then the process ends anyway, between two lines.
SIGNAL_GRACE_SECONDS = 1.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)
LAST_WORDS_SECONDS = 0.5


class Cancellable(Protocol):
    """A run's (or a sweep's) controls, as far as the stream needs them."""

    def cancel(self) -> None: ...

    def stop(self) -> None: ...


class JsonLine(Protocol):
    """An engine event, or a sweep's tagged one."""

    def to_json(self) -> str: ...


class JsonLines:
    """Writes each event to stdout and optionally a file; survives a closed or failing stdout."""

    def __init__(
        self,
        file: TextIO | None,
        output: str | None,
        on_lost_reader: Callable[[], None],
        on_write_failed: Callable[[], None],
    ) -> None:
        self._file = file
        self._output = output
        self.lock = threading.Lock()
        self.stdout_open = True
        self.write_error: str | None = None  # one line, when a stream could not be written
        self._on_lost_reader = on_lost_reader
        self._on_write_failed = on_write_failed

    def __call__(self, event: JsonLine) -> None:
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
        if file is None:
            return
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
    is kept for the first batch edge) and only asks the run to stop (the app's `x`).
    """

    def __init__(
        self, controls: Cancellable, writer: JsonLines, last_words: Callable[[], object] | None = None
    ) -> None:
        self._controls = controls
        self._writer = writer
        self._last_words = last_words  # run (for at most LAST_WORDS_SECONDS) before a deadline ends the process
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_handlers: dict = {}
        self._saved_wakeup_fd = -1  # none
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

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None and self._pipe is not None:
            self._thread.join()
            signal.set_wakeup_fd(self._saved_wakeup_fd)
            for fd in self._pipe:
                os.close(fd)
        for number, handler in self._saved_handlers.items():
            signal.signal(number, handler)

    def _watch(self) -> None:
        assert self._pipe is not None, "arm() makes the pipe before it starts this thread"
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


def _ignore(signum: int, frame: object) -> None:
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


class Stream:
    """What a headless runner writes through (``write``) and watches signals with (``watch``)."""

    def __init__(self, writer: JsonLines, controls: Cancellable) -> None:
        self.writer = writer
        self._controls = controls
        self.signals: SignalWatch | None = None

    def write(self, item: JsonLine) -> None:
        self.writer(item)

    def watch(self, last_words: Callable[[], object] | None = None) -> SignalWatch:
        self.signals = SignalWatch(self._controls, self.writer, last_words)
        return self.signals

    def failed(self, user_error: Exception | None) -> bool:
        """After the stream is closed: see end_of_stream."""
        assert self.signals is not None, "watch() was never called"
        return end_of_stream(self.signals, self.writer, user_error)


@contextlib.contextmanager
def json_stream(config: RunConfig, output: str | None, controls: Cancellable) -> Iterator[Stream]:
    """stdout (and ``output``) opened for JSON lines, TensorFlow's native chatter moved off fd 2; closed on exit."""
    quiet.prepare_environment()
    quiet.redirect_native_stderr()
    file = open_output(output, config) if output else None

    def lost_reader() -> None:
        if file is None:
            controls.cancel()  # nobody is reading any more: stop soon

    writer = JsonLines(file, output, lost_reader, controls.cancel)
    try:
        yield Stream(writer, controls)
    finally:
        writer.close()


def open_output(output: str, config: RunConfig) -> TextIO:
    for option, path in (("--data", config.data_path), ("--model", config.model_path)):
        if path and os.path.exists(output) and os.path.exists(path) and os.path.samefile(output, path):
            raise ConfigError(f"--output {output} is the {option} file; it would be overwritten")
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"--output {output}: cannot write: {error.strerror or error}") from None
