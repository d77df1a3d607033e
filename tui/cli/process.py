"""Ending the process: bad input as one line (exit 2), and leaving once everything the user asked for is written."""

from __future__ import annotations

import os
import sys
import traceback
from typing import NoReturn

from dropout_tui.engine.errors import EXIT_USAGE, ConfigError


def refuse(error: ConfigError, debug: bool) -> int:
    """Bad input: one line on stderr, after its traceback with --debug (which changes nothing else); exit 2."""
    if debug:
        traceback.print_exception(error)
    sys.stderr.write(f"dropout-tui: error: {error}\n")
    return EXIT_USAGE


def flush_and_exit(code: int) -> NoReturn:
    """Flush stdout and stderr, then end the process without the interpreter's teardown.

    Only call this once every line and file is complete. TensorFlow's teardown
    (a second or more on a busy machine) and joining a worker thread still
    inside a TensorFlow call would otherwise keep a user who asked to quit waiting.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
