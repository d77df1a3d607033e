"""`dropout-tui train` and `dropout-tui inspect`: one run, headless or in the app, its inputs checked first."""

from __future__ import annotations

import argparse

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.run import inputs
from dropout_tui.tui.cli.checks import check_export_dir
from dropout_tui.tui.cli.options import config_from_args


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    from dropout_tui.engine.run.cluster import check_port, resolve

    cluster = resolve(config.workers, config.worker_index, config.worker_timeout, backend=config.backend)
    if cluster is not None:
        check_port(cluster)  # before TensorFlow loads: a taken port is said at once
    if args.headless:
        check_export_dir(args.export_dir, create=False)
        from dropout_tui.tui.cli.headless import run_headless

        return run_headless(config, output=args.output, debug=args.debug, cluster=cluster)
    if cluster is not None:
        raise ConfigError(
            "a run across workers (--workers or TF_CONFIG) is headless: add --headless, and open the chief's "
            "--output with `dropout-tui compare`"
        )
    # Everything numpy can check, before a screen is drawn; what it loaded goes to the run.
    checked = inputs.check_before_screen(config)
    if checked is not None:
        inputs.keep(config, checked)
    from dropout_tui.tui.app import create_app
    from dropout_tui.tui.cli.interactive import run_app

    run_app(args.command, args.export_dir, args.debug, lambda folder: create_app(config, export_dir=folder))
