"""Real `dropout-tui` processes as the CLI tests start them, and the tiny settings they share."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--hidden", "16", "--batch-size", "64", "--mc-samples", "5", "--repeats", "2"]
SWEEP_RATES = (0.3, 0.1)  # not sorted: a sweep keeps the order it was given

Finished = tuple[int, str, str]  # exit status, stdout, stderr


def run_cli(*args: str, timeout: float = 300, term: str = "dumb", then: str = "") -> Finished:
    """`dropout-tui ARGS` in its own process, from the repository root, seeing ``term`` as TERM; ``then``: shell
    words after it (a pipe), when bash runs the line."""
    command = [sys.executable, "-m", "dropout_tui.tui.cli", *args]
    if then:
        command = ["bash", "-c", shlex.join(command) + then]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        env={**os.environ, "TERM": term},
    )
    return result.returncode, result.stdout, result.stderr


def all_at_once(commands: dict[object, list[str]]) -> dict[object, Finished]:
    with ThreadPoolExecutor(len(commands)) as pool:
        futures = {name: pool.submit(run_cli, *command) for name, command in commands.items()}
        return {name: future.result() for name, future in futures.items()}


def regression_data(path: Path) -> Path:
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(8, 1))
    x = rng.normal(size=(250, 8)).astype(np.float32)
    y = (x @ weights + 0.1 * rng.normal(size=(250, 1))).astype(np.float32)
    np.savez(path, x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])
    return path
