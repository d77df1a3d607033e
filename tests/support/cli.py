"""The CLI run in-process, as the bad-input tests drive it."""

from __future__ import annotations

import json

import pytest

import dropout_tui.tui.cli as cli


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str | None, str]:
    """The exit code and stderr of ``dropout-tui ARGV``; stdout must stay strict JSON lines whatever went wrong."""
    code: int | str | None
    try:
        code = cli.main(argv)
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    for line in captured.out.splitlines():
        json.loads(line)
    return code, captured.err
