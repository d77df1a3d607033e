"""Running an app on the terminal: only on a terminal, with a usable export folder, ending with the app's code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from dropout_tui.engine import quiet
from dropout_tui.tui.cli.checks import check_export_dir, require_terminal
from dropout_tui.tui.cli.process import flush_and_exit, refuse
from dropout_tui.tui.terminal import TerminalApp


def run_app(command: str, export_dir: str, debug: bool, make_app: Callable[[Path], TerminalApp]) -> NoReturn:
    """Make the app (given its export folder, created now) and run it; the process ends with its code.

    Bad input the app finds once TensorFlow has loaded (``app.refused``: a model that contradicts --task,
    devices this machine lacks) ends it at once and is said here, on the restored terminal: one line, exit 2.
    """
    check_export_dir(export_dir, create=False)  # bad input first, with or without a terminal
    require_terminal(command)
    app = make_app(check_export_dir(export_dir, create=True))
    # TensorFlow's C++ start-up lines go to fd 2, where Textual draws: move the UI off it first.
    quiet.redirect_native_stderr()
    app.run()
    if app.refused is not None:
        flush_and_exit(refuse(app.refused, debug))
    flush_and_exit(app.return_code or 0)
