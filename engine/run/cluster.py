"""--workers / TF_CONFIG: one run over several hosts with tf.distribute.MultiWorkerMirroredStrategy.

Every worker runs the same command on the same data and model; the strategy's
collectives do the rest. Each worker evaluates its replicas' share of every
block of rows (the evaluator's own tf.distribute path, as with --devices) and
the per-row results come back with the strategy's all-gather, so every figure
is computed on all rows. TensorFlow fixes its cluster when the strategy is
made: ``start`` comes before any model is built.

A collective that waits for a worker that is gone does not end by itself:
the strategy's CommunicationOptions timeout bounds every collective, and a
watchdog bounds the start (the strategy's constructor waits for every worker).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dropout_tui.engine.errors import ConfigError, one_line

# The fingerprint and device list each worker sends at the start, as bytes padded to one length.
HELLO_BYTES = 4096


@dataclass(frozen=True)
class Cluster:
    """The workers of one run and which of them this process is; index 0 is the chief."""

    workers: tuple[str, ...]  # HOST:PORT, in task order
    index: int
    timeout: float  # seconds a worker may take to come up, and a collective to complete

    @property
    def chief(self) -> bool:
        return self.index == 0

    def name(self, index: int) -> str:
        return f"worker {index} ({self.workers[index]})"

    def tf_config(self) -> dict:
        return {"cluster": {"worker": list(self.workers)}, "task": {"type": "worker", "index": self.index}}


def parse_workers(text: str) -> tuple[str, ...]:
    """--workers HOST:PORT,HOST:PORT,...: at least two, ports 1-65535, no repeats."""
    workers = tuple(part.strip() for part in text.split(","))
    for worker in workers:
        host, _, port = worker.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(f"--workers: {worker!r} is not HOST:PORT")
    if len(workers) < 2:
        raise ConfigError("--workers needs at least two HOST:PORT addresses (one machine: use --devices)")
    if len(set(workers)) != len(workers):
        raise ConfigError("--workers names an address twice")
    return workers


def resolve(
    workers: str | None,
    index: int | None,
    timeout: float,
    environ: Mapping[str, str] | None = None,
    backend: str = "tensorflow",
) -> Cluster | None:
    """The cluster --workers/--worker-index name, else the one TF_CONFIG describes, else None (one process).

    --workers on another ``backend`` is RunConfig.validate's refusal; a TF_CONFIG is refused here,
    where it is read: a TFJob's replicas would otherwise each train alone and all write as the chief.
    """
    environ = os.environ if environ is None else environ
    if workers is not None:
        listed = parse_workers(workers)
        if index is None:
            raise ConfigError("--workers needs --worker-index I (0 on the chief, 1.. on the others)")
        if index >= len(listed):
            raise ConfigError(f"--worker-index {index} is out of range: --workers names {len(listed)} worker(s)")
        return Cluster(listed, index, timeout)
    if index is not None:
        raise ConfigError("--worker-index needs --workers HOST:PORT,HOST:PORT,...")
    text = environ.get("TF_CONFIG")
    cluster = None if not text else _from_tf_config(text, timeout)
    if cluster is not None and backend != "tensorflow":
        raise ConfigError(
            f"TF_CONFIG names {len(cluster.workers)} workers, a run across processes that is TensorFlow's "
            f"(tf.distribute): unset TF_CONFIG or use --backend tensorflow, not {backend}"
        )
    return cluster


def _from_tf_config(text: str, timeout: float) -> Cluster | None:
    """TF_CONFIG as Slurm scripts and Kubernetes' TFJob write it: a "chief" (optional) then the "worker"s."""
    try:
        config = json.loads(text)
        spec, task = config.get("cluster", {}), config.get("task", {})
        order = [*spec.get("chief", []), *spec.get("worker", [])]
        kind, number = task.get("type"), int(task.get("index", 0))
    except (ValueError, AttributeError, TypeError):
        raise ConfigError("TF_CONFIG is not valid JSON with a cluster and a task") from None
    if len(order) < 2:
        return None  # a one-worker TF_CONFIG (a TFJob of size 1): an ordinary single run
    if kind not in ("chief", "worker") or (kind == "chief" and number != 0):
        raise ConfigError(f"TF_CONFIG: task type {kind!r} is not a chief or worker task")
    index = number + (len(spec.get("chief", [])) if kind == "worker" else 0)
    if index >= len(order):
        raise ConfigError(f"TF_CONFIG: task index {number} is out of range")
    return Cluster(tuple(order), index, timeout)


def check_port(cluster: Cluster) -> None:
    """This worker's port must be free: TensorFlow's server would otherwise abort the process mid-start."""
    port = int(cluster.workers[cluster.index].rpartition(":")[2])
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("", port))
    except OSError as error:
        raise ConfigError(
            f"{cluster.name(cluster.index)}: port {port} is already in use ({error.strerror or error})"
        ) from None
    finally:
        probe.close()


def unreachable(cluster: Cluster) -> list[int]:
    """The other workers whose address accepts no connection now (gone, or never started)."""
    missing = []
    for index, address in enumerate(cluster.workers):
        if index == cluster.index:
            continue
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=2):
                pass
        except OSError:
            missing.append(index)
    return missing


def explain_failure(cluster: Cluster, error: BaseException) -> str:
    """One line naming the worker a collective failed on: from TensorFlow's message, else who stopped answering."""
    text = str(error)
    named = sorted({int(n) for n in re.findall(r"/job:(?:worker|chief)/replica:\d+/task:(\d+)", text)})
    named = [n for n in named if n != cluster.index and n < len(cluster.workers)] or unreachable(cluster)
    who = ", ".join(cluster.name(n) for n in named) if named else "a worker"
    reason = "timed out" if "timeout" in text.lower() or "deadline" in text.lower() else "failed or stopped answering"
    return f"{who} {reason} (--worker-timeout {cluster.timeout:g} s): {one_line(error, 160)}"


def is_collective_failure(error: BaseException) -> bool:
    """An error from a collective whose peer is gone (TensorFlow's Unavailable, Aborted, DeadlineExceeded...)."""
    import tensorflow as tf

    kinds = (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.DeadlineExceededError)
    return isinstance(error, kinds) or "Collective ops is aborted" in str(error)


def watch_start(cluster: Cluster) -> subprocess.Popen:
    """A small process that ends this one with a line naming the missing workers unless its stdin closes in time.

    The strategy's constructor waits for every worker inside TensorFlow, holding the interpreter's lock
    and taking SIGTERM over: no thread of this process could act, so another process does.
    """
    stderr = sys.stderr.fileno()  # the user's terminal (fd 2 may be the native-log capture)
    payload = json.dumps({"workers": cluster.workers, "index": cluster.index, "timeout": cluster.timeout})
    return subprocess.Popen(
        [sys.executable, "-m", "dropout_tui.engine.run.cluster", str(os.getpid()), str(stderr), payload],
        stdin=subprocess.PIPE,
        pass_fds=(stderr,),
    )


def start(cluster: Cluster) -> Any:
    """The strategy over every worker (blocks until all are up), or one line and the end of the process."""
    check_port(cluster)
    os.environ["TF_CONFIG"] = json.dumps(cluster.tf_config())
    import tensorflow as tf

    watchdog = watch_start(cluster)
    try:
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=cluster.timeout)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    finally:
        if watchdog.stdin is not None:
            watchdog.stdin.close()  # in time: the watchdog exits quietly
        watchdog.wait()


def _watchdog(parent: int, stderr: int, payload: str) -> None:
    """The watchdog process: wait for stdin to close; past the timeout, say who is missing and end ``parent``."""
    import select

    described = json.loads(payload)
    cluster = Cluster(tuple(described["workers"]), described["index"], described["timeout"])
    ready, _, _ = select.select([sys.stdin], [], [], cluster.timeout)
    if ready:
        return
    missing = unreachable(cluster) or [i for i in range(len(cluster.workers)) if i != cluster.index]
    names = ", ".join(cluster.name(i) for i in missing)
    line = f"dropout-tui: failed: {names} did not come up within --worker-timeout {cluster.timeout:g} s\n"
    os.write(stderr, line.encode())
    os.kill(parent, signal.SIGKILL)


def fingerprint(config: dict[str, Any], arrays: list[Any], model_path: str | None) -> str:
    """What must agree between workers: the options (but the worker's index), the data and the model file."""
    import numpy as np

    digest = hashlib.sha256()
    shared = {k: v for k, v in config.items() if k not in ("worker_index",)}
    digest.update(json.dumps(shared, sort_keys=True, default=str).encode())
    for array in arrays:
        if array is not None:
            contiguous = np.ascontiguousarray(array)
            digest.update(f"{contiguous.dtype}{contiguous.shape}".encode())
            digest.update(contiguous.tobytes())
    if model_path:
        with open(model_path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def exchange(strategy: Any, cluster: Cluster, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every worker's ``payload`` (JSON), in task order, through the strategy's all-gather."""
    import numpy as np
    import tensorflow as tf

    raw = json.dumps(payload).encode()
    if len(raw) > HELLO_BYTES:
        raise ConfigError(f"worker description too long ({len(raw)} bytes)")
    padded = np.zeros((1, HELLO_BYTES), np.int32)  # collectives gather no uint8
    padded[0, : len(raw)] = np.frombuffer(raw, np.uint8)
    local = strategy.experimental_distribute_values_from_function(lambda _: tf.constant(padded))
    gathered = strategy.gather(local, axis=0).numpy()
    per_worker = len(gathered) // len(cluster.workers)  # one row per replica; a worker's replicas say the same
    return [json.loads(row.astype(np.uint8).tobytes().rstrip(b"\0")) for row in gathered[::per_worker]]


def agree(cluster: Cluster, hellos: list[dict[str, Any]]) -> None:
    """Refuse a run whose workers were given different options, data or model (every worker says the same)."""
    differing = [i for i, hello in enumerate(hellos) if hello["fingerprint"] != hellos[0]["fingerprint"]]
    if differing:
        names = ", ".join(cluster.name(i) for i in differing)
        raise ConfigError(
            f"{names}: options, data or model differ from worker 0's (fingerprint {hellos[0]['fingerprint'][:12]}"
            f" vs {hellos[differing[0]]['fingerprint'][:12]}): run the same command on the same files everywhere"
        )


if __name__ == "__main__":
    _watchdog(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
