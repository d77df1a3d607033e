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
import tempfile
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

    def __init__(self, name: str, command: str, width: int = 80, height: int = 24, on_enter: bool = False) -> None:
        """``on_enter``: the shell starts, then waits for `enter()` to run ``command``, as a user types it into
        a terminal that is already open (tmux's and the shell's start-up are then not part of the wait)."""
        self.name = f"bench-{name}-{os.getpid()}"
        self._output: Path | None = None  # where `watch_output` copies what the pane's programs write
        # The marker line appears only once the program has ended and the shell runs on.
        script = f"{command}; echo BENCH-EXITED-$?; sleep 30"
        if on_enter:
            script = f"echo BENCH-READY; read -r _; {script}"
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

    def watch_output(self) -> None:
        """From now on, every byte the pane's programs write is also copied to a file `wait_for_output` reads."""
        self._output = Path(tempfile.gettempdir()) / f"{self.name}.out"
        self._output.unlink(missing_ok=True)
        self._tmux("pipe-pane", "-o", "-t", self.name, f"cat > {shlex.quote(str(self._output))}")

    def wait_for_output(self, needles: tuple[str, ...], timeout: float, interval: float = 0.002) -> float | None:
        """Seconds (perf_counter) when the pane's output (`watch_output`) first held every needle, or None.

        Reading a file costs no process: polling `capture-pane` every 10 ms starts a tmux client 100 times a
        second, and on a 2-core box that load slowed the very start it timed."""
        if self._output is None:
            raise SystemExit("wait_for_output needs watch_output first")
        wanted = [needle.encode() for needle in needles]
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                written = self._output.read_bytes()
            except FileNotFoundError:
                written = b""
            if all(needle in written for needle in wanted):
                return time.perf_counter()
            time.sleep(interval)
        return None

    def exited(self, screen: str) -> bool:
        return "BENCH-EXITED-" in screen

    def enter(self, timeout: float = 10.0) -> float:
        """Once the shell waits (``on_enter``), press Enter to start the command; returns the seconds tmux and
        the shell took to start (from `new-session` to the shell's ready line). ``launched`` becomes the Enter."""
        ready = self.wait_for(lambda screen: "BENCH-READY" in screen, timeout)
        if ready is None:
            raise SystemExit(f"tmux {self.name}: the shell never got ready")
        start_up = ready - self.launched
        time.sleep(0.2)  # the shell gets from its echo to its read
        self.launched = time.perf_counter()
        self.send_keys("Enter")
        return start_up

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
        if self._output is not None:
            self._output.unlink(missing_ok=True)


def shell_command(*args: str | Path) -> str:
    return " ".join(shlex.quote(str(arg)) for arg in args)


# --- Shared by bench_evaluator.py and bench_memory.py -------------------------------------------

# What a user would run instead of dropout-tui: the article's model in plain Keras, fit + evaluate.
# Run as `python bare_fit.py DATA.npz EPOCHS`; prints one JSON line with its own timings.
BARE_FIT_SCRIPT = """\
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras

data, epochs = sys.argv[1], int(sys.argv[2])
with np.load(data) as archive:
    x_train, y_train, x_test, y_test = (archive[k] for k in ("x_train", "y_train", "x_test", "y_test"))
scale = (lambda x: x.astype("float32") / 255.0) if x_train.dtype == np.uint8 else (lambda x: x.astype("float32"))
x_train, x_test = scale(x_train.reshape(len(x_train), -1)), scale(x_test.reshape(len(x_test), -1))
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input(shape=(x_train.shape[1],)),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(int(max(y_train.max(), y_test.max())) + 1, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
began = time.perf_counter()
model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
fitted = time.perf_counter()
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(json.dumps({"fit_seconds": fitted - began, "evaluate_seconds": time.perf_counter() - fitted,
                  "test_accuracy": accuracy}), flush=True)
"""


def write_bare_fit(directory: Path) -> Path:
    path = Path(directory) / "bare_fit.py"
    path.write_text(BARE_FIT_SCRIPT)
    return path


def mnist_like(n_train: int = 60_000, n_test: int = 10_000, seed: int = 0):
    """MNIST-shaped synthetic digits: uint8 28x28 images, labels 0-9 (x_train, y_train, x_test, y_test).

    Each class has three prototypes drawn as 2-4 blurred strokes; a sample is one
    of its class's prototypes at a random intensity, plus a fainter prototype of
    another class, both shifted by up to 3 pixels, and strong pixel noise. The
    article's MLP learns it (about 0.90 test accuracy after one epoch, 0.95
    after three) without solving it at once. About 5 s for 70,000 images.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    size, classes, variants = 28, 10, 3
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)

    def strokes() -> np.ndarray:
        image = np.zeros((size, size), np.float32)
        for _ in range(rng.integers(2, 5)):
            (x0, y0), (x1, y1) = rng.uniform(6, 22, size=(2, 2))
            for t in np.linspace(0.0, 1.0, 12):
                cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                image = np.maximum(image, np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.3**2)))
        return image

    prototypes = np.stack([np.stack([strokes() for _ in range(variants)]) for _ in range(classes)])
    # Every prototype at every shift of up to 3 pixels: 49 x 30 small images, gathered per sample below.
    shifted = np.stack([np.roll(prototypes, (dy, dx), axis=(2, 3)) for dy in range(-3, 4) for dx in range(-3, 4)])
    total = n_train + n_test
    labels = rng.integers(0, classes, total)
    other = (labels + rng.integers(1, classes, total)) % classes
    shift = rng.integers(0, len(shifted), total)
    main = rng.uniform(0.6, 1.0, (total, 1, 1)).astype(np.float32)
    faint = rng.uniform(0.0, 0.45, (total, 1, 1)).astype(np.float32)
    images = shifted[shift, labels, rng.integers(0, variants, total)] * main
    images += shifted[shift, other, rng.integers(0, variants, total)] * faint
    images += rng.standard_normal(images.shape, dtype=np.float32) * np.float32(0.25)
    pixels = (np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    labels = labels.astype(np.uint8)
    return pixels[:n_train], labels[:n_train], pixels[n_train:], labels[n_train:]


def write_npz(path: Path, x_train, y_train, x_test, y_test) -> Path:
    import numpy as np

    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return Path(path)


def write_mnist_like(path: Path, n_train: int, n_test: int, seed: int = 0, *, float_test: bool = False) -> Path:
    """mnist_like() written to an .npz by a child process (float_test: images as float32 rows in [0, 1]).

    Not in this process: on Linux a child's ru_maxrss starts from the parent's
    high-water mark (it is carried over fork/vfork and exec), so a bench that
    grew to 1.3 GiB making data would report that for every run it starts.
    """
    kind = "float" if float_test else "uint8"
    subprocess.run(
        [sys.executable, __file__, "mnist-like", str(path), str(n_train), str(n_test), str(seed), kind], check=True
    )
    return Path(path)


def own_peak_rss_mib() -> float:
    """This process's peak RSS: a floor under every ru_maxrss of the children it starts afterwards."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ChildRun:
    """One child process: its stdout lines with arrival times, wall time, peak RSS, CPU samples."""

    def __init__(self, argv: list, cpu_interval: float = 0.05, env: dict | None = None) -> None:
        import json
        import threading

        self.argv = [str(arg) for arg in argv]
        self.lines: list[tuple[float, object]] = []  # (seconds since launch, parsed JSON or raw text)
        self.cpu: list[tuple[float, float]] = []  # (seconds since launch, CPU seconds used so far)
        began = time.perf_counter()
        process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        tick = os.sysconf("SC_CLK_TCK")
        done = threading.Event()

        def sample_cpu() -> None:
            # utime + stime of the whole process (all threads) from /proc: idle time shows as a flat line.
            while not done.is_set():
                try:
                    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    return
                self.cpu.append((time.perf_counter() - began, (int(fields[11]) + int(fields[12])) / tick))
                done.wait(cpu_interval)

        errors: list[bytes] = []
        stderr_reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
        stderr_reader.start()
        sampler = threading.Thread(target=sample_cpu, daemon=True)
        sampler.start()
        for raw in process.stdout:  # the headless stream is flushed per line
            arrived = time.perf_counter() - began
            text = raw.decode("utf-8", errors="replace").rstrip("\n")
            try:
                self.lines.append((arrived, json.loads(text)))
            except ValueError:
                self.lines.append((arrived, text))
        _, status, usage = os.wait4(process.pid, 0)
        self.wall = time.perf_counter() - began
        process.returncode = self.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        stderr_reader.join()
        self.stderr = (errors[0] if errors else b"").decode("utf-8", errors="replace")
        self.peak_rss_mib = usage.ru_maxrss / 1024  # Linux reports KiB

    def check(self) -> ChildRun:
        if self.returncode != 0:
            raise SystemExit(f"{' '.join(self.argv)}: exit {self.returncode}: {self.stderr[-800:]}")
        return self

    def events(self, name: str) -> list[tuple[float, dict]]:
        return [(t, e) for t, e in self.lines if isinstance(e, dict) and e.get("event") == name]

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds the child used from the last sample at or before start to the first at or after end."""
        before = [c for t, c in self.cpu if t <= start]
        after = [c for t, c in self.cpu if t >= end]
        if not self.cpu:
            return float("nan")
        return (after[0] if after else self.cpu[-1][1]) - (before[-1] if before else self.cpu[0][1])


if __name__ == "__main__":  # python bench/_common.py mnist-like PATH N_TRAIN N_TEST SEED uint8|float
    import numpy as np

    _, _task, target, train_rows, test_rows, data_seed, pixels = sys.argv
    x_train, y_train, x_test, y_test = mnist_like(int(train_rows), int(test_rows), int(data_seed))
    if pixels == "float":
        x_train, x_test = (x.reshape(len(x), -1).astype(np.float32) / np.float32(255) for x in (x_train, x_test))
    write_npz(Path(target), x_train, y_train, x_test, y_test)
