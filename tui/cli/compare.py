"""`dropout-tui compare FILE...`: saved runs side by side in the sweep app (or one JSON object), files read first."""

from __future__ import annotations

import argparse
import json


def run(args: argparse.Namespace) -> int:
    from dropout_tui.tui.sweep.compare import load_runs

    runs = load_runs(args.files)
    if args.headless:
        from dropout_tui.tui.sweep.comparison import headless_document

        print(json.dumps(headless_document(runs)), flush=True)
        return 0
    from dropout_tui.tui.cli.interactive import run_app
    from dropout_tui.tui.sweep.app import SweepApp

    run_app("compare", args.export_dir, args.debug, lambda folder: SweepApp(compare=runs, export_dir=folder))
