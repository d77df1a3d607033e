"""User-facing error text: one line, said the same way everywhere."""

from __future__ import annotations

EXIT_USAGE = 2  # the exit code of bad input, wherever it is found (command line, headless, the apps)


class ConfigError(ValueError):
    """Invalid user input; the message is one line meant for the user (the CLI exits 2)."""


def one_line(error: BaseException, limit: int = 200) -> str:
    """An exception's message on one line, cut to ``limit`` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(error: BaseException) -> str:
    """'Type: message' on one line, for an unexpected failure shown to the user (the traceback goes to the log)."""
    return " ".join(f"{type(error).__name__}: {error}".split())
