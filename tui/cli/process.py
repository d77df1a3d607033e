"""Ending the process once everything the user asked for is written."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


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
