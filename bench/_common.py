"""What every bench script shares: environment, the machine line, verdicts, percentiles, tmux.

Import it first (``import _common``): it quiets TensorFlow before anything can
import it and puts the repository root on sys.path, so each script runs
standalone as ``.venv/bin/python bench/bench_X.py`` from the repository root.
"""

from __future__ import annotations

import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's bin: dropout-tui lives next to its python

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> str:
    """nproc, CPU model and load average now: figures from a shared box mean little without them."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"nproc={os.cpu_count()}, CPU {model!r}, load average {load}"


def header(title: str) -> None:
    print(f"== {title}")
    print(f"   machine: {machine()}")


def verdict(name: str, value: float, target: float, *, at_least: bool, unit: str = "x") -> None:
    """One result line in a fixed shape (bench/README.md's table is copied from these)."""
    passed = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    print(f"RESULT {name}: {shown}{unit} (target {sign} {target:g}{unit}) {'PASS' if passed else 'MISS'}")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: p95 of 40 values is the 38th smallest, an observed value."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


class Tmux:
    """One detached tmux session running a shell command, read back through capture-pane.

    Each session gets its own tmux server (-L): others on the box use the default
    one, and a `tmux kill-server` of theirs must not end a measurement silently.
    """

    def __init__(self, name: str, command: str, width: int = 80, height: int = 24) -> None:
        self.name = f"bench-{name}-{os.getpid()}"
        # The marker line appears only once the program has ended and the shell runs on.
        script = f"{command}; echo BENCH-EXITED-$?; sleep 30"
        for attempt in range(3):
            # A new tmux server now and then dies while starting ("server exited unexpectedly"): try again.
            self.launched = time.perf_counter()
            try:
                self._tmux(
                    "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), "-c", str(ROOT), script
                )
                break
            except SystemExit:
                if attempt == 2:
                    raise
                self.close()
                time.sleep(1)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.name, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"tmux {args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, ready, timeout: float, interval: float = 0.01) -> float | None:
        """Seconds (perf_counter) when ready(screen) first held, or None after timeout."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if ready(self.screen()):
                return time.perf_counter()
            time.sleep(interval)
        return None

    def exited(self, screen: str) -> bool:
        return "BENCH-EXITED-" in screen

    def send_keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def program_pid(self) -> int | None:
        """The program the pane's shell started (the shell itself is the pane's pid)."""
        shell = self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        try:
            children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True)


def shell_command(*args: str | Path) -> str:
    return " ".join(shlex.quote(str(arg)) for arg in args)
