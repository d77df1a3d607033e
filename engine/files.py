"""A file the user named: there, not a folder, and readable, or one line that says which of these it is not."""

from __future__ import annotations

from pathlib import Path

from dropout_tui.engine.errors import ConfigError


def readable_file(label: str, path_text: str, error: type[ConfigError], expected: str) -> Path:
    """``label`` starts the message (e.g. "--model m.keras"); ``expected`` names what a folder is not."""
    path = Path(path_text)
    if not path.exists():
        raise error(f"{label}: no such file")
    if path.is_dir():
        raise error(f"{label}: is a directory; expected {expected}")
    try:
        with open(path, "rb"):
            pass
    except OSError as failure:
        # Format checks would mistake an unreadable file for a wrong format: name the real reason.
        raise error(f"{label}: cannot read: {failure.strerror or failure}") from None
    return path
