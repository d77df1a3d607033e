"""`dropout-tui serve [--host] [--port] [--public-url] [--max-sessions] [COMMAND OPTIONS...]`: check everything,
listen, print the link, and on SIGINT/SIGTERM end every app the server started before exiting 130/143."""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
from collections.abc import Sequence

from aiohttp import web

from dropout_tui.engine.errors import ConfigError
from dropout_tui.tui.serve import access
from dropout_tui.tui.serve.server import AppServer

SHUTDOWN_S = 1.0  # open websockets get this long to close once every app has ended


def run(args: argparse.Namespace) -> int:
    """`serve`: the served command line is checked before anything listens; bad input raises ConfigError."""
    argv = served_argv(args)
    return run_serve(args, [sys.executable, "-m", "dropout_tui.tui.cli", *argv])


def served_argv(args: argparse.Namespace) -> list[str]:
    """The command line each tab runs, checked now as that command checks it before its app opens: bad input is
    one line and exit 2 here, not a broken tab later (raises ConfigError, or exits on a usage error)."""
    from dropout_tui.tui.cli.checks import check_export_dir
    from dropout_tui.tui.cli.main import parse

    argv = [args.served, *args.served_options]
    served = parse(argv)
    if served.headless:
        raise ConfigError("serve runs the app in a browser: --headless has no screen to serve")
    check_export_dir(served.export_dir, create=False)
    if served.command == "compare":
        from dropout_tui.tui.sweep.compare import load_runs

        load_runs(served.files)
        return argv
    from dropout_tui.engine.run import inputs
    from dropout_tui.engine.run.cluster import resolve
    from dropout_tui.tui.cli.options import config_from_args

    config = config_from_args(served)
    if resolve(config.workers, config.worker_index, config.worker_timeout, backend=config.backend) is not None:
        raise ConfigError("serve runs the app in a browser: a run across workers (--workers or TF_CONFIG) is headless")
    inputs.check_inputs(config)
    return argv


def link(host: str, port: int, token: str, public_url: str | None = None) -> str:
    """The one URL to open: behind a proxy, the proxy's; for a wildcard address, this machine's name (a browser
    cannot open 0.0.0.0)."""
    if public_url:
        return f"{public_url}/?{access.TOKEN_PARAM}={token}"
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/?{access.TOKEN_PARAM}={token}"


def exposure_warning(host: str) -> str | None:
    """What a user binding beyond loopback must read: the link is the only key, and it travels in the clear."""
    if access.is_loopback(host):
        return None
    return (
        f"dropout-tui serve: warning: listening on {host}, reachable from other machines: anyone with the link "
        "below controls the app and this machine's compute; the link travels unencrypted (plain HTTP)"
    )


def run_serve(args: argparse.Namespace, app_argv: Sequence[str]) -> int:
    """Serve ``app_argv`` (a full command line, the interpreter first) until SIGINT/SIGTERM; the exit code."""
    server = AppServer(
        app_argv,
        token=access.new_token(),
        max_sessions=args.max_sessions,
        title=f"dropout-tui {args.served}",
        public_url=args.public_url,
    )
    return asyncio.run(_serve(server, args.host, args.port))


async def _serve(server: AppServer, host: str, port: int) -> int:
    runner = web.AppRunner(server.make_app(), handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_S)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    server.port = runner.addresses[0][1]
    stopped: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def stop(number: int) -> None:
        if not stopped.done():
            stopped.set_result(number)

    for each in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(each, stop, int(each))
    if warning := exposure_warning(host):
        sys.stderr.write(warning + "\n")
    print(f"dropout-tui serve: {link(host, server.port, server.token, server.behind)}", flush=True)
    if server.behind:
        print(f"  behind {server.behind}, which forwards to {host}:{server.port}", flush=True)
    print(f"  one app per tab, at most {server.sessions.limit}; Ctrl+C stops the server and every app", flush=True)
    try:
        number = await stopped
    finally:
        await server.sessions.end_all(signal.SIGTERM)
        await runner.cleanup()
    return 128 + number
