"""`dropout-tui explain`: run the claim experiments and print a table, plain text or one JSON object.

stdout carries only the result: progress goes to stderr, and only when stderr
is a terminal (a log file gets no progress noise).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import IO

from dropout_tui.engine import backends
from dropout_tui.engine.errors import ConfigError, one_line
from dropout_tui.engine.explain.claims import Claim, claims_on
from dropout_tui.engine.explain.report import ClaimResult, ExplainReport
from dropout_tui.engine.explain.silence import silence_libraries
from dropout_tui.tui.claims_table import claims_table, measured_lines
from dropout_tui.tui.cli.process import flush_and_exit

EXIT_FAILURE = 1


def run_explain(args: argparse.Namespace) -> int:
    with _exit_on_signals():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.backend == backends.ALL:
        from dropout_tui.tui.cli.explain_all import run_all

        return run_all(args)
    try:
        report = _measure(args.seed, args.backend, debug=args.debug)
    except ConfigError:
        raise  # cli.main turns it into one line + exit 2
    except Exception as error:
        if args.debug:
            raise
        sys.stderr.write(f"dropout-tui: error: explain failed: {one_line(error)}\n")
        return EXIT_FAILURE
    with _signals_deferred():
        if args.json:
            sys.stdout.write(report.to_json() + "\n")
        elif sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
            _print_table(report)
        else:
            sys.stdout.write(plain_text(report))
        sys.stdout.flush()
    return 0


class _SignalExit:
    """SIGINT/SIGTERM end explain at once (130/143): it saves nothing, so nothing needs finishing.

    Unwinding instead would run TensorFlow's interpreter teardown (a second or
    more on a busy machine). Only the result being written is waited for, so
    stdout never ends in half a line.
    """

    writing = False
    pending: int | None = None
    progress: _Progress | None = None


@contextlib.contextmanager
def _exit_on_signals() -> Iterator[None]:
    saved = {number: signal.signal(number, _on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _SignalExit.writing:
        _SignalExit.pending = signum
        return
    _exit_now(signum)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    _SignalExit.writing = True
    try:
        yield
    finally:
        _SignalExit.writing = False
        if _SignalExit.pending is not None:
            _exit_now(_SignalExit.pending)


def _exit_now(signum: int) -> None:
    if _SignalExit.progress is not None:
        _SignalExit.progress.note("interrupted")  # the prompt must not land after "claim ... "
    flush_and_exit(128 + signum)


def _measure(seed: int, backend: str, *, debug: bool) -> ExplainReport:
    backends.activate(backend)  # before anything imports Keras
    if not debug:
        silence_libraries()
    # After silencing: sys.stderr is now the terminal's duplicate, fd 2 the capture file.
    progress = _SignalExit.progress = _Progress(sys.stderr, claims_on(backend)) if sys.stderr.isatty() else None
    if progress:
        progress.note(f"importing {backends.label(backend)}...")
    from dropout_tui.engine.explain.runner import run_explain as run

    # Anything a library prints must not end up inside the JSON on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        return run(
            seed,
            on_start=progress.start if progress else None,
            on_result=progress.done if progress else None,
        )


class _Progress:
    """One stderr line per claim on a terminal: "[n/8] claim ... verdict (seconds)"."""

    def __init__(self, stream: IO[str], claims: Sequence[Claim]) -> None:
        self._stream = stream
        self._claims = {claim.id: claim for claim in claims}
        self._began = time.perf_counter()

    def note(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def start(self, claim_id: int) -> None:
        self._began = time.perf_counter()
        self._stream.write(f"[{claim_id}/{len(self._claims)}] {self._claims[claim_id].text} ... ")
        self._stream.flush()

    def done(self, result: ClaimResult) -> None:
        self.note(f"{result.verdict} ({time.perf_counter() - self._began:.1f} s)")


def plain_text(report: ExplainReport) -> str:
    lines = [report.versions, ""]
    for claim in report.claims:
        lines.append(f"{claim.id}. {claim.claim}")
        lines.append(f"   verdict: {claim.verdict.upper()}")
        lines.append("   measured: " + ", ".join(measured_lines(claim.measured)))
        lines.append(f"   {claim.explanation}")
        lines.append("")
    return "\n".join(lines)


def _print_table(report: ExplainReport) -> None:
    from rich.console import Console

    Console().print(claims_table(report.claims, report.versions, claims=claims_on(report.backend)))
