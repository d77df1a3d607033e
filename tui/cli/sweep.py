"""`dropout-tui sweep`: one run per rate, headless or in the sweep app, the inputs every run shares checked first."""

from __future__ import annotations

import argparse

from dropout_tui.engine.run import inputs
from dropout_tui.tui.cli.checks import check_export_dir
from dropout_tui.tui.cli.options import config_from_args


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.headless:
        check_export_dir(args.export_dir, create=False)
        from dropout_tui.tui.cli.sweep_headless import run_sweep_headless

        return run_sweep_headless(config, args.rates, args.jobs, output=args.output, debug=args.debug)
    # Every rate reads the same inputs: checked once, before a screen is drawn; kept for the first run when
    # runs are in this process (--jobs 1), else each child reads its own.
    checked = inputs.check_before_screen(config)
    if args.jobs == 1 and checked is not None:
        inputs.keep(config, checked)
    from dropout_tui.tui.cli.interactive import run_app
    from dropout_tui.tui.sweep.app import SweepApp

    run_app(
        "sweep",
        args.export_dir,
        args.debug,
        lambda folder: SweepApp(config, rates=args.rates, jobs=args.jobs, export_dir=folder),
    )
