"""Warnings and library logging become LogRecord events, and are handed back afterwards."""

import logging
import warnings

from dropout_tui.engine.events import LogRecord
from dropout_tui.engine.quiet import Capture


def test_capture_routes_warnings_and_logging_to_the_sink(capsys):
    events = []
    before = warnings.showwarning
    with Capture(events.append):
        warnings.warn("careful", UserWarning, stacklevel=1)
        logging.getLogger("tensorflow").warning("tf says %s", "hi")
        logging.getLogger("absl").error("absl says")
    assert warnings.showwarning is before
    messages = [(e.level, e.message) for e in events if isinstance(e, LogRecord)]
    assert ("warning", "tensorflow: tf says hi") in messages and ("error", "absl: absl says") in messages
    assert any(level == "warning" and "UserWarning: careful" in text for level, text in messages)
    captured = capsys.readouterr()
    assert "careful" not in captured.err and "tf says" not in captured.err
