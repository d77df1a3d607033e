"""Keep TensorFlow, absl and Python warnings off the terminal; hand them to the sink.

Three channels need different tools:
- Python logging ("tensorflow", "absl", ...) and ``warnings``: redirected to
  the sink as ``LogRecord`` events while a ``Capture`` is active.
- TensorFlow's C++ start-up lines (absl pre-init, oneDNN, CUDA stubs) are
  written straight to file descriptor 2 during ``import tensorflow`` whatever
  ``TF_CPP_MIN_LOG_LEVEL`` says. ``redirect_native_stderr`` points fd 2 at a
  private file for the rest of the process and gives Python's ``sys.stderr``
  (and ``sys.__stderr__``, which Textual draws on) a duplicate of the original
  terminal. Call it once at start-up, before any UI holds ``sys.__stderr__``.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable
from typing import TextIO

from dropout_tui.engine.events import Event, LogRecord

CAPTURED_LOGGERS = ("", "tensorflow", "absl", "keras", "h5py")

_native_lock = threading.Lock()
_native_file = None  # the file fd 2 now writes to
_native_offset = 0


def prepare_environment() -> None:
    """Must run before TensorFlow is imported anywhere, in any thread."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def redirect_native_stderr() -> None:
    """Send fd 2 to a private file; Python's stderr keeps the real terminal. Idempotent."""
    global _native_file
    with _native_lock:
        if _native_file is not None:
            return
        try:
            sys.stderr.flush()
            terminal_fd = os.dup(2)
        except (OSError, ValueError, AttributeError):
            return  # no usable stderr (closed): nothing to protect
        capture = tempfile.TemporaryFile()
        original = sys.__stderr__
        terminal = io.TextIOWrapper(
            io.FileIO(terminal_fd, "w", closefd=True),
            encoding=getattr(original, "encoding", None) or "utf-8",
            errors="backslashreplace",
            line_buffering=True,
            write_through=True,
        )
        os.dup2(capture.fileno(), 2)
        sys.stderr = terminal
        sys.__stderr__ = terminal  # type: ignore[misc]  # Final in typeshed; the terminal writer replaces it
        _native_file = capture


def drain_native_stderr() -> list[str]:
    """Lines written to fd 2 since the last drain (empty unless redirected)."""
    global _native_offset
    with _native_lock:
        if _native_file is None:
            return []
        data = os.pread(_native_file.fileno(), 1 << 20, _native_offset)
        cut = data.rfind(b"\n") + 1  # keep a half-written last line for next time
        _native_offset += cut
    text = data[:cut].decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.strip()]


def native_level(line: str) -> str:
    # absl's C++ prefix: I/W/E/F followed by the date, e.g. "I0000 00:00:...".
    if len(line) > 1 and line[0] in "IWEF" and line[1].isdigit():
        return {"I": "info", "W": "warning", "E": "error", "F": "critical"}[line[0]]
    return "warning" if line.startswith("WARNING") else "info"


class _SinkHandler(logging.Handler):
    def __init__(self, emit: Callable[[str, str], None]) -> None:
        super().__init__(level=logging.INFO)
        self._emit = emit

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not end the run
            message = str(record.msg)
        self._emit(record.levelname.lower(), f"{record.name or 'root'}: {message}")


class Capture:
    """While active, logging and warnings become LogRecord events on ``sink``."""

    def __init__(self, sink: Callable[[Event], None]) -> None:
        self._sink = sink
        self._handler = _SinkHandler(self.emit)
        self._saved_loggers: dict[str, tuple] = {}
        self._saved_showwarning: Callable[..., None] = warnings.showwarning

    def emit(self, level: str, message: str) -> None:
        self._sink(LogRecord(level=level, message=message))

    def install_loggers(self) -> None:
        """(Re)claim the loggers; TensorFlow adds its own stderr handler on first use."""
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            if name not in self._saved_loggers:
                self._saved_loggers[name] = (list(logger.handlers), logger.propagate, logger.level)
            logger.handlers = [self._handler]
            if name:
                logger.propagate = False
            if logger.level == logging.NOTSET or logger.level > logging.WARNING:
                logger.setLevel(logging.WARNING)

    def drain_native(self) -> None:
        for line in drain_native_stderr():
            self.emit(native_level(line), line)

    def _showwarning(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        self.emit("warning", f"{category.__name__}: {message} ({os.path.basename(filename)}:{lineno})")

    def __enter__(self) -> Capture:
        self._saved_showwarning = warnings.showwarning
        warnings.showwarning = self._showwarning
        self.install_loggers()
        return self

    def __exit__(self, *exc: object) -> None:
        self.drain_native()
        warnings.showwarning = self._saved_showwarning
        for name, (handlers, propagate, level) in self._saved_loggers.items():
            logger = logging.getLogger(name)
            logger.handlers = handlers
            logger.propagate = propagate
            logger.setLevel(level)
        self._saved_loggers.clear()
