"""engine.run.cluster without TensorFlow: --workers and TF_CONFIG, the fingerprint, naming a failed worker."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.run.cluster import (
    Cluster,
    agree,
    check_port,
    explain_failure,
    fingerprint,
    parse_workers,
    resolve,
)

TWO = "10.0.0.1:2222,10.0.0.2:2222"


def test_workers_and_index_build_the_tf_config_every_host_shares():
    cluster = resolve(TWO, 1, 60.0, environ={})
    assert cluster == Cluster(("10.0.0.1:2222", "10.0.0.2:2222"), 1, 60.0) and not cluster.chief
    assert cluster.tf_config() == {
        "cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
        "task": {"type": "worker", "index": 1},
    }


def test_no_workers_and_no_tf_config_is_one_process():
    assert resolve(None, None, 60.0, environ={}) is None


@pytest.mark.parametrize(
    "tf_config, index, order",
    [
        (
            {"cluster": {"worker": ["a:1", "b:1", "c:1"]}, "task": {"type": "worker", "index": 2}},
            2,
            ["a:1", "b:1", "c:1"],
        ),
        # A TFJob or a Slurm script with a chief: the chief is worker 0, the workers follow it.
        ({"cluster": {"chief": ["c:1"], "worker": ["w:1"]}, "task": {"type": "chief", "index": 0}}, 0, ["c:1", "w:1"]),
        ({"cluster": {"chief": ["c:1"], "worker": ["w:1"]}, "task": {"type": "worker", "index": 0}}, 1, ["c:1", "w:1"]),
    ],
)
def test_tf_config_is_honoured_chief_first(tf_config, index, order):
    cluster = resolve(None, None, 5.0, environ={"TF_CONFIG": json.dumps(tf_config)})
    assert cluster.index == index and list(cluster.workers) == order


def test_a_one_worker_tf_config_is_an_ordinary_run():
    single = {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
    assert resolve(None, None, 5.0, environ={"TF_CONFIG": json.dumps(single)}) is None


@pytest.mark.parametrize(
    "workers, index, tf_config, expected",
    [
        ("a:1", 0, None, "at least two"),
        ("a:1,a:1", 0, None, "twice"),
        ("a:1,b", 0, None, "'b' is not HOST:PORT"),
        ("a:1,b:70000", 0, None, "not HOST:PORT"),
        (TWO, None, None, "--workers needs --worker-index"),
        (TWO, 2, None, "--worker-index 2 is out of range"),
        (None, 1, None, "--worker-index needs --workers"),
        (None, None, "{not json", "TF_CONFIG is not valid JSON"),
        (None, None, '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "ps", "index": 0}}', "'ps'"),
        (None, None, '{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 5}}', "range"),
    ],
)
def test_a_bad_cluster_is_one_line(workers, index, tf_config, expected):
    environ = {} if tf_config is None else {"TF_CONFIG": tf_config}
    with pytest.raises(ConfigError, match=None) as raised:
        resolve(workers, index, 60.0, environ=environ)
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_parse_workers_keeps_the_order():
    assert parse_workers(" a:1 ,b:2,c:3") == ("a:1", "b:2", "c:3")


def test_a_port_in_use_is_refused():
    with socket.socket() as taken:
        taken.bind(("", 0))
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"worker 0 \\(127.0.0.1:{port}\\): port {port} is already in use"):
            check_port(Cluster((f"127.0.0.1:{port}", "127.0.0.1:1"), 0, 1.0))


def test_the_fingerprint_covers_options_data_and_model_but_not_the_index(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    model = tmp_path / "m.keras"
    model.write_bytes(b"weights")
    base = fingerprint({"seed": 0, "worker_index": 0}, [x, None], str(model))
    assert fingerprint({"seed": 0, "worker_index": 1}, [x, None], str(model)) == base
    assert fingerprint({"seed": 1, "worker_index": 0}, [x, None], str(model)) != base
    changed = x.copy()
    changed[3, 2] += 1
    assert fingerprint({"seed": 0, "worker_index": 0}, [changed, None], str(model)) != base
    assert fingerprint({"seed": 0, "worker_index": 0}, [x.reshape(3, 4), None], str(model)) != base  # same bytes
    model.write_bytes(b"other weights")
    assert fingerprint({"seed": 0, "worker_index": 0}, [x, None], str(model)) != base


def test_workers_that_disagree_are_named():
    cluster = Cluster(("a:1", "b:1", "c:1"), 0, 1.0)
    agree(cluster, [{"fingerprint": "f"}] * 3)
    with pytest.raises(ConfigError, match=r"^worker 2 \(c:1\): options, data or model differ from worker 0's"):
        agree(cluster, [{"fingerprint": "f"}, {"fingerprint": "f"}, {"fingerprint": "g"}])


def test_a_failed_collective_names_the_worker_tensorflow_names():
    cluster = Cluster(("127.0.0.1:1", "127.0.0.1:2"), 0, 7.0)
    error = RuntimeError(
        "Collective ops is aborted by: recvmsg:Connection reset by peer\n"
        "Additional GRPC error information from remote target /job:worker/replica:0/task:1 while calling"
    )
    line = explain_failure(cluster, error)
    assert line.startswith("worker 1 (127.0.0.1:2) failed or stopped answering (--worker-timeout 7 s): Collective")
    assert "\n" not in line
