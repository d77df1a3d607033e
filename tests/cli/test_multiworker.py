"""--workers: inspect and train across worker processes (MultiWorkerMirroredStrategy over gRPC on 127.0.0.1).

Each worker is a real `dropout-tui` process; the figures are checked against one process on the same files.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

from tests.cli.test_devices import MASKS
from tests.support import workers

pytestmark = pytest.mark.multiworker

EVALUATION = ["--mc-samples", "20", "--repeats", "2", "--batch-size", "32"]
# Workers start TensorFlow at the same moment on two shared cores: on a loaded box one can take a minute longer.
PATIENT = ["--worker-timeout", "300"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small dropout MLP saved as .keras, its data (labels a fixed linear map of the inputs) and other data."""
    root = tmp_path_factory.mktemp("multiworker")
    rng = np.random.default_rng(0)
    mapping = rng.normal(size=(8, 3))

    def data(n: int, seed: int):
        x = np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)
        return x, np.argmax(x @ mapping, axis=1).astype(np.int64)

    x_train, y_train = data(256, 1)
    x_test, y_test = data(301, 2)  # odd: the last block is padded for the two workers' replicas
    np.savez(root / "data.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    other_x, other_y = data(301, 3)
    np.savez(root / "other.npz", x_train=x_train, y_train=y_train, x_test=other_x, y_test=other_y)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dropout(0.5)(keras.layers.Dense(32, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=20, verbose=0)
    model.save(root / "mlp.keras")
    return {"model": str(root / "mlp.keras"), "data": str(root / "data.npz"), "other": str(root / "other.npz")}


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def _single(args: list[str]) -> list[dict]:
    result = subprocess.run(
        [*workers.CLI, *args], capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr
    return _events(result.stdout)


@pytest.fixture(scope="module")
def inspect_args(files):
    return ["inspect", "--headless", "--model", files["model"], "--data", files["data"], *EVALUATION]


@pytest.fixture(scope="module")
def single_inspect(inspect_args):
    return _single(inspect_args)


def _within_four_standard_errors(a: float, b: float, n: int) -> bool:
    """Two independent estimates of one accuracy: their difference within 4 standard errors of a difference."""
    p = (a + b) / 2
    return abs(a - b) <= 4 * math.sqrt(2 * p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("count", [2, 3])
def test_inspect_across_workers_equals_one_process(count, inspect_args, single_inspect):
    results = workers.run_all([*inspect_args, *PATIENT], count)
    for index, (status, out, err) in enumerate(results):
        assert status == 0, f"worker {index}: {err}"
        if index:  # only the chief writes events; the others print only their own failures
            assert out == "" and err == "", (out, err)
    events = _events(results[0][1])
    started = next(e for e in events if e["event"] == "run_started")
    assert started["workers"] == count and started["worker_index"] == 0 and started["replicas"] == count
    assert [w["address"] for w in started["worker_devices"]] == started["config"]["workers"].split(",")
    assert all(w["devices"] and len(w["device_names"]) == 1 for w in started["worker_devices"])
    assert [f"task:{i}" in name for i, name in enumerate(started["device_names"])] == [True] * count
    many, one = events[-1], single_inspect[-1]
    assert many["event"] == one["event"] == "summary" and many["n_test"] == one["n_test"] == 301
    # Dropout off, the same rows: the same predictions whichever worker computed them.
    assert many["modes"]["inference"]["accuracy"] == one["modes"]["inference"]["accuracy"]
    assert many["modes"]["inference"]["loss"] == pytest.approx(one["modes"]["inference"]["loss"], rel=1e-5)
    for mode in ("mc", "training", "dropout_only"):
        a, b = many["modes"][mode]["accuracy"], one["modes"][mode]["accuracy"]
        assert _within_four_standard_errors(a, b, 301), (mode, a, b)
    # The uncertainty figures are computed on every row, gathered from every worker.
    assert many["uncertainty"].keys() == one["uncertainty"].keys()


def test_train_across_workers_shards_every_batch_and_evaluates_all_rows(files):
    # --ensemble: the members' fits are fed as the main one's (they failed on the strategy's first batch).
    args = ["train", "--headless", "--data", files["data"], "--epochs", "2", "--hidden", "16", "--ensemble", "2"]
    args += EVALUATION
    results = workers.run_all([*args, *PATIENT], 2)
    assert [status for status, _, _ in results] == [0, 0], results[1][2] + results[0][2]
    assert results[1][1] == "" and results[1][2] == ""
    many, one = _events(results[0][1]), _single(args)
    # Each worker takes its half of every batch of 32: the run still takes 8 global steps per epoch.
    steps = [e["global_step"] + len(e["losses"]) - 1 for e in many if e["event"] == "batch_losses"]
    assert max(steps) == max(e["global_step"] + len(e["losses"]) - 1 for e in one if e["event"] == "batch_losses")
    assert max(steps) == 2 * 256 // 32
    summary, alone = many[-1], one[-1]
    assert summary["event"] == "summary" and summary["n_test"] == 301 and summary["epochs_run"] == 2
    assert summary["modes"]["inference"]["loss"] == pytest.approx(alone["modes"]["inference"]["loss"], abs=0.05)
    ensemble, single = (s["uncertainty"]["methods"]["ensemble"] for s in (summary, alone))
    assert ensemble["members"] == single["members"] == 2
    assert ensemble["nll"] == pytest.approx(single["nll"], abs=0.05)


MULTIWORKER_MASKS = MASKS.replace(
    "devices = configure(2)",
    "from dropout_tui.engine.run.cluster import resolve\n"
    "devices = configure(None, resolve(None, None, 300))\n"
    "import os, sys\n"
    "if os.environ['WORKER'] != '0':\n"
    "    sys.stdout = open(os.devnull, 'w')",
)


def _two_workers(script: str) -> list[str]:
    """``script`` (Python) run by two processes joined through TF_CONFIG, as a TFJob starts them: each one's stdout."""
    addresses = workers.free_addresses(2).split(",")
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "WORKER": str(index)}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", script],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    outputs = [process.communicate(timeout=240) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs[0][1][-2000:] + outputs[1][1][-2000:]
    return [out for out, _ in outputs]


def test_masks_are_independent_across_workers():
    """As --devices proves across replicas: identical rows on two workers draw their own masks (evaluation, fit)."""
    found = json.loads(_two_workers(MULTIWORKER_MASKS)[0].strip().splitlines()[-1])
    assert found["eval_rows"] == 24 and found["eval_distinct"] == 24  # 8 identical rows x 3 copies, 4 per worker
    assert found["drop_fraction"] == pytest.approx(0.5, abs=0.1)
    assert found["train_rows"] == 8 and found["train_distinct"] == 8


STEP = textwrap.dedent(
    """
    import json, numpy as np, keras
    from dropout_tui.engine.quiet import prepare_environment
    prepare_environment()
    import tensorflow as tf
    from dropout_tui.engine.model.default import build_default_model
    from dropout_tui.engine.run.cluster import resolve
    from dropout_tui.engine.run.devices import configure
    from dropout_tui.engine.run.multiworker_fit import fit_inputs
    from dropout_tui.engine.run.training import training_batches
    strategy = configure(None, resolve(None, None, 300)).strategy
    x, y = np.random.default_rng(0).random((40, 8), np.float32), np.arange(40) % 3
    with strategy.scope():
        model = build_default_model(8, 3, 16, 0.5, 0.01, 0)
    rows = []
    class Rows(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            rows.append(int(model._loss_tracker.count.numpy()))  # the epoch's rows, summed over the workers
    data = fit_inputs(model, training_batches(x, y, 16, 0), len(x), 16)
    model.fit(**data, epochs=3, verbose=0, callbacks=[Rows()])
    step = next(
        cell.cell_contents for cell in model.train_function.__closure__
        if isinstance(cell.cell_contents, tf.types.experimental.PolymorphicFunction)
    )
    ops = []
    for function in step._list_all_concrete_functions():
        graph = function.graph.as_graph_def()
        ops += [node.op for node in graph.node] + [node.op for f in graph.library.function for node in f.node_def]
    print(json.dumps({
        "rows": rows, "traces": step.experimental_get_tracing_count(),
        "collectives": [op for op in ops if op.startswith("Collective")],
        "optionals": ops.count("IteratorGetNextAsOptional"),
    }))
    """
)


def test_a_training_step_is_one_compiled_call_with_one_all_reduce():
    """A finite dataset adds a "has data" all-reduce to every step and a new iterator every epoch (15x slower)."""
    for out in _two_workers(STEP):
        found = json.loads(out.strip().splitlines()[-1])
        assert found["traces"] == 1  # traced once, for the short last batch too
        assert found["collectives"] == ["CollectiveReduceV2"]  # the gradients, packed into one all-reduce
        assert found["optionals"] == 0
        assert found["rows"] == [40, 40, 40]  # every epoch is one whole pass, its short batch (8 of 40) included


def _one_line(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("dropout-tui: ")


def test_killing_a_worker_mid_run_fails_the_chief_in_one_line_naming_it(files):
    args = ["train", "--headless", "--data", files["data"], "--epochs", "100000", "--eval-every", "100000"]
    addresses = workers.free_addresses(2)
    timeout = 60  # long enough for both to start on a loaded box; a killed worker is seen at once anyway
    chief, other = (workers.start(args, addresses, i, ["--worker-timeout", str(timeout)]) for i in range(2))
    try:
        for line in chief.stdout:
            if '"epoch_end"' in line:
                break  # training is under way on both workers
        os.kill(other.pid, signal.SIGKILL)
        killed = time.monotonic()
        out, err = chief.communicate(timeout=60)
        assert time.monotonic() - killed < timeout + 15
    finally:
        for process in (chief, other):
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert chief.returncode == 1 and _one_line(err), err
    assert f"worker 1 ({addresses.split(',')[1]})" in err, err
    assert _events(out)[-1]["event"] == "failed"


def test_a_worker_that_never_comes_up_is_named_within_the_timeout(inspect_args):
    began = time.monotonic()
    chief = workers.start(inspect_args, workers.free_addresses(2), 0, ["--worker-timeout", "3"])
    out, err = chief.communicate(timeout=120)
    # Ended by the start's watchdog process: TensorFlow waits for the others holding the interpreter's lock.
    assert chief.returncode == -signal.SIGKILL and _one_line(err), err
    assert "worker 1 (" in err and "did not come up within --worker-timeout 3 s" in err, err
    assert time.monotonic() - began < 3 + 60  # TensorFlow's import, then the timeout: never a hang


def test_a_port_already_in_use_is_one_line_and_exit_2(inspect_args):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addresses = f"127.0.0.1:{taken.getsockname()[1]},{workers.free_addresses(1)}"
        out, err = workers.start(inspect_args, addresses, 0).communicate(timeout=60)
    assert _one_line(err) and "port" in err and "already in use" in err, err
    assert out == ""


def test_workers_given_different_data_are_refused_at_start(files, inspect_args):
    other = [*inspect_args[: -len(EVALUATION)]]
    other[other.index(files["data"])] = files["other"]
    addresses = workers.free_addresses(2)
    processes = [
        workers.start(inspect_args, addresses, 0, PATIENT),
        subprocess.Popen(
            [*workers.CLI, *other, *EVALUATION, *PATIENT, "--workers", addresses, "--worker-index", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        ),
    ]
    results = [process.communicate(timeout=240) for process in processes]
    for process, (_, err) in zip(processes, results):
        assert process.returncode == 2 and _one_line(err), err
        assert "worker 1 (" in err and "differ from worker 0's" in err, err
