"""`dropout-tui compare FILE...`: saved runs side by side in the sweep app, every file read before it opens."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from dropout_tui.tui.cli.interactive import run_app
    from dropout_tui.tui.sweep.app import SweepApp
    from dropout_tui.tui.sweep.compare import load_runs

    runs = load_runs(args.files)
    run_app("compare", args.export_dir, args.debug, lambda folder: SweepApp(compare=runs, export_dir=folder))
