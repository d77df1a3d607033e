"""Checks of the command line's own inputs, made before anything runs: one ConfigError line each (exit 2)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from dropout_tui.engine.errors import ConfigError
from dropout_tui.tui.cli import commands


def check_export_dir(text: str, *, create: bool) -> Path:
    """--export-dir: a folder this process can write in; ``create`` makes it (the app), else it must be creatable.

    Found at `e`, after a whole run, a bad folder would cost the run's results; headless writes no export but
    still says when the folder it was given is unusable, rather than ignore it.
    """
    label = f"--export-dir {text}"
    path = Path(text)
    existing = next((folder for folder in (path, *path.parents) if folder.exists()), Path("."))
    if not existing.is_dir():
        where = "" if existing == path else f" ({existing} is)"
        raise ConfigError(f"{label}: a file, not a folder{where}")
    try:
        if create:
            path.mkdir(parents=True, exist_ok=True)
            existing = path
        # os.access says yes to root on a read-only mount: only a real (temporary) file says whether writing works.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        where = "" if existing == path else f" ({existing})"
        raise ConfigError(f"{label}: cannot write there{where}: {error.strerror or error}") from None
    return path


# Textual's choice of driver: `dropout-tui serve` (textual-serve) sets its web driver, which draws over pipes.
DRIVER_VARIABLE = "TEXTUAL_DRIVER"


def require_terminal(command: str) -> None:
    """An app draws on a terminal and reads keys from one: without it, say what works instead (exit 2)."""
    if os.environ.get(DRIVER_VARIABLE):
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError(commands.command_named(command).no_terminal)
