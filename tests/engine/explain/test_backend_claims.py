"""Claims 9 (JAX) and 10 (PyTorch), measured for real, each on its backend in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.processes import ROOT

pytestmark = [pytest.mark.backend, pytest.mark.explain, pytest.mark.subprocess]

RUN_ONE_CLAIM = """
import json, sys
from dropout_tui.engine import backends
backends.activate(sys.argv[1])
from dropout_tui.engine.explain.claims import CLAIMS
from dropout_tui.engine.explain.lab import Lab
claim = CLAIMS[int(sys.argv[2]) - 1]
lab = Lab(0)
lab.reseed(claim.id)
print(json.dumps(claim.judge(claim.experiment()(lab)).to_dict()))
"""


def _measure(backend: str, claim_id: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", RUN_ONE_CLAIM, backend, str(claim_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_jit_of_a_training_call_freezes_the_masks_and_breaks_predict_on_jax():
    result = _measure("jax", 9)
    m = result["measured"]
    assert result["verdict"] == "false"
    assert m["distinct_outputs_jit_model_call"] == 1 and m["predict_fails_after"] == 1
    assert m["distinct_outputs_jit_stateless_call"] == m["calls"]  # the way the evaluator compiles on JAX
    assert "UnexpectedTracerError" in result["explanation"]


def test_eval_mode_leaves_keras_dropout_on_in_torch():
    result = _measure("torch", 10)
    m = result["measured"]
    assert result["verdict"] == "false"
    assert m["distinct_outputs_after_eval_training_true"] == m["calls"]
    assert m["eval_default_call_max_abs_diff_from_inference"] == 0.0
    assert m["train_default_call_max_abs_diff_from_inference"] == 0.0
