"""Several `dropout-tui` worker processes on 127.0.0.1 with free ports, as a multi-host run starts them."""

from __future__ import annotations

import socket
import subprocess
import sys

CLI = [sys.executable, "-m", "dropout_tui.tui.cli"]


def free_addresses(count: int) -> str:
    """HOST:PORT,... of ``count`` ports free now (bound at once, so no two are the same)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for one in sockets:
            one.bind(("127.0.0.1", 0))
        return ",".join(f"127.0.0.1:{one.getsockname()[1]}" for one in sockets)
    finally:
        for one in sockets:
            one.close()


def start(args: list[str], addresses: str, index: int, extra: list[str] | None = None) -> subprocess.Popen:
    """One worker: the same command on every worker, only the index (and ``extra``) differing."""
    return subprocess.Popen(
        [*CLI, *args, *(extra or []), "--workers", addresses, "--worker-index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def run_all(args: list[str], count: int, timeout: float = 240, extra: dict | None = None) -> list[tuple[int, str, str]]:
    """Every worker of one run to its end: (exit status, stdout, stderr) in index order."""
    addresses = free_addresses(count)
    workers = [start(args, addresses, index, (extra or {}).get(index)) for index in range(count)]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=timeout)
        results.append((worker.returncode, out, err))
    return results
