"""`explain --backend all`: every installed backend's claims, each in its own process, one verdict column each.

Keras keeps the backend it was first imported with for the life of a process,
so each backend runs as `dropout-tui explain --json --backend B` in a child of
its own, one after the other (they would only share the CPU if run at once).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from dropout_tui.engine import backends
from dropout_tui.engine.errors import one_line
from dropout_tui.engine.explain.claims import CLAIMS
from dropout_tui.engine.explain.report import ExplainReport

EXIT_FAILURE = 1


def run_all(args: argparse.Namespace) -> int:
    reports: dict[str, ExplainReport] = {}
    missing = [name for name in backends.BACKENDS if not backends.installed(name)]
    failed = False
    for name in backends.BACKENDS:
        if name in missing:
            continue
        if sys.stderr.isatty():
            sys.stderr.write(f"explain on {backends.label(name)}...\n")
        try:
            reports[name] = _child(name, args.seed, args.debug)
        except RuntimeError as error:
            failed = True
            sys.stderr.write(f"dropout-tui: error: explain on {name} failed: {one_line(error)}\n")
    if args.json:
        sys.stdout.write(json.dumps({"backends": {name: r.to_dict() for name, r in reports.items()}}) + "\n")
    else:
        sys.stdout.write(verdict_columns(reports, missing))
    sys.stdout.flush()
    return EXIT_FAILURE if failed else 0


def _child(backend: str, seed: int, debug: bool) -> ExplainReport:
    argv = [sys.executable, "-m", "dropout_tui.tui.cli", "explain", "--json", "--backend", backend, "--seed", str(seed)]
    done = subprocess.run(
        argv + (["--debug"] if debug else []),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend},
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit status {done.returncode}")
    return ExplainReport.from_dict(json.loads(done.stdout.strip().splitlines()[-1]))


def verdict_columns(reports: dict[str, ExplainReport], missing: list[str]) -> str:
    """One row per claim, one verdict column per backend ("-": the claim is about another backend's API)."""
    names = list(reports)
    header = ["#", "claim", *(backends.label(name) for name in names)]
    rows = []
    verdicts = {name: {c.id: c.verdict for c in report.claims} for name, report in reports.items()}
    for claim in CLAIMS:
        rows.append([str(claim.id), claim.text, *(verdicts[name].get(claim.id, "-").upper() for name in names)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    lines += ["", *(f"{backends.label(name)}: {report.versions}" for name, report in reports.items())]
    lines += [f"{backends.label(name)}: not installed (pip install 'dropout-tui[{name}]')" for name in missing]
    return "\n".join(lines) + "\n"
