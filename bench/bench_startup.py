"""Time to the TUI's first frame vs `import tensorflow` alone, and exit latency mid-training.

Each round launches the real `dropout-tui train` in a detached tmux pane at
80x24 and polls `tmux capture-pane` every 10 ms:
- first frame: from the Enter that runs the command in the pane's shell (already
  started, as a user's terminal is) until the program has written the layout's
  titles (Loss, Sample probe, Modes) to the pane, read from a copy of its output
  (`tmux pipe-pane`) every 2 ms; the time from `tmux new-session` (a new tmux
  server and shell included) is printed beside it. Polling `capture-pane`
  instead starts a tmux client 100 times a second, and on 2 cores that load
  slowed the start it timed (medians 398 vs 343 ms, 6 launches each, alternated);
- exit: once the status line shows a training epoch, either `q` is typed or
  SIGTERM is sent to the program; from then until the shell's marker line
  (printed only after the program has ended) is on screen.
`python -c "import tensorflow"` is timed in the same rounds, interleaved.
Targets: first frame <= 0.45 s (TF import alone: 3.5-6.5 s); exit < 2 s.
Run: .venv/bin/python bench/bench_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import _common
from _common import BIN, Tmux, shell_command

TRAINING = re.compile(r"epoch [1-9]\d*/")
LAYOUT = ("Loss by epoch", "Sample probe", "Modes")
FIRST_FRAME_TARGET = 0.45  # seconds: the app imports what the first frame draws, the rest after it


def tf_import_seconds() -> float:
    return _common.timed(
        lambda: subprocess.run(
            [sys.executable, "-c", "import tensorflow"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def one_round(index: int, how: str) -> tuple[float | None, float, float | None, str]:
    """(seconds from Enter to the first frame, seconds tmux and the shell took to start before it, seconds from
    quit to exit, what the pane said at the end)."""
    pane = Tmux(f"startup{index}", shell_command(BIN / "dropout-tui", "train", "--epochs", "500"), on_enter=True)
    try:
        pane.watch_output()
        terminal = pane.enter()
        painted = pane.wait_for_output(LAYOUT, timeout=20)
        first_frame = None if painted is None else painted - pane.launched
        if pane.wait_for(lambda screen: TRAINING.search(screen) is not None, timeout=90) is None:
            return first_frame, terminal, None, "training never showed"
        sent = time.perf_counter()
        if how == "q":
            pane.send_keys("q")
        else:
            pid = pane.program_pid()
            if pid is None:
                return first_frame, terminal, None, "no program pid"
            os.kill(pid, signal.SIGTERM)
        ended = pane.wait_for(pane.exited, timeout=10)
        screen = pane.screen()
        marker = next((line for line in screen.splitlines() if "BENCH-EXITED-" in line), "still running after 10 s")
        restored = "alternate screen left" if "Loss by epoch" not in screen else "UI still drawn"
        return first_frame, terminal, None if ended is None else ended - sent, f"{marker.strip()}, {restored}"
    finally:
        pane.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds; they alternate q and SIGTERM (default: 6)")
    args = parser.parse_args()
    _common.header("dropout-tui start-up and exit, tmux 80x24")
    imports, frames, with_terminal, exits = [], [], [], {"q": [], "SIGTERM": []}
    for index in range(args.rounds):
        if index % 2 == 0:
            imports.append(tf_import_seconds())
        how = "q" if index % 2 == 0 else "SIGTERM"
        first_frame, terminal, exit_seconds, outcome = one_round(index, how)
        shown = lambda value: "never" if value is None else f"{value * 1e3:.0f} ms"  # noqa: E731
        print(
            f"   round {index + 1}: first frame {shown(first_frame)} after Enter (tmux and the shell started in "
            f"{shown(terminal)} before); {how} mid-training -> exit {shown(exit_seconds)} ({outcome})"
        )
        if first_frame is not None:
            frames.append(first_frame)
            with_terminal.append(first_frame + terminal)
        exits[how].append(float("inf") if exit_seconds is None else exit_seconds)
    tf_import = statistics.median(imports)
    print(
        f"   python -c 'import tensorflow': median {tf_import:.2f} s "
        f"(runs: {', '.join(f'{value:.2f}' for value in imports)})"
    )
    if not frames:
        print(f"RESULT first frame: never painted (target <= {FIRST_FRAME_TARGET} s) MISS")
        return 0
    first = statistics.median(frames)
    print(
        f"   first frame: median {first * 1e3:.0f} ms over {len(frames)} launches "
        f"(max {max(frames) * 1e3:.0f} ms), {first / tf_import:.2f}x of the TensorFlow import; "
        f"{statistics.median(with_terminal) * 1e3:.0f} ms counted from a new tmux server and shell"
    )
    _common.verdict("time to first frame", first, FIRST_FRAME_TARGET, at_least=False, unit=" s")
    for how, values in exits.items():
        if values:
            _common.verdict(
                f"exit after {how} mid-training (worst of {len(values)})", max(values), 2.0, at_least=False, unit=" s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
