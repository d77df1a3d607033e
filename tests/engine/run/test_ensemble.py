"""`--ensemble K`: members trained like the main run, reported as they finish, released one by one."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.evaluation.methods import MemberTotals
from dropout_tui.engine.evaluation.uncertainty import entropy
from dropout_tui.engine.events import EnsembleMember, ModeEvaluation, Summary
from tests.support.driver import Driver

TINY = dict(hidden=16, batch_size=64, mc_samples=5, repeats=1, epochs=2, ood="noise")


def test_member_totals_are_the_plain_mean_entropy_and_variance():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=(4, 6))  # 4 members, 6 rows
    totals = MemberTotals(regression=False)
    for member in probs:
        totals.add(member)
    got = totals.prediction()
    assert np.allclose(got.probs, probs.mean(axis=0)) and got.passes == 4 and got.extra == {"members": 4}
    assert np.allclose(got.expected_entropy, np.mean([entropy(p) for p in probs], axis=0))
    values = rng.normal(size=(5, 6, 2))
    totals = MemberTotals(regression=True)
    for member in values:
        totals.add(member)
    got = totals.prediction()
    assert np.allclose(got.mean, values.mean(axis=0)) and np.allclose(got.var, values.var(axis=0))


@pytest.mark.parametrize("k", [0, 1, 51])
def test_the_ensemble_needs_two_to_fifty_members(k):
    with pytest.raises(ConfigError, match="--ensemble"):
        RunConfig(ensemble=k).validate()


@pytest.mark.training
def test_members_are_reported_as_they_finish_and_released(monkeypatch):
    from dropout_tui.engine.model import default

    built = []
    original = default.build_default_model

    def recording(*args, **kwargs):
        model = original(*args, **kwargs)
        built.append(weakref.ref(model))
        return model

    monkeypatch.setattr(default, "build_default_model", recording)
    driver = Driver(RunConfig(ensemble=3, **TINY)).start()
    driver.join(timeout=180)
    members = driver.of(EnsembleMember)
    assert [(m.member, m.members, m.seed) for m in members] == [(2, 3, 1), (3, 3, 2)]
    summary = driver.of(Summary)[0]
    methods = summary.uncertainty["methods"]
    assert list(methods) == ["inference", "temperature_scaled", "mc", "ensemble"]
    assert methods["ensemble"]["members"] == methods["ensemble"]["passes"] == 3
    assert summary.uncertainty == members[-1].uncertainty == summary.history[-1]["uncertainty"]
    assert list(summary.uncertainty["ood"]["methods"]["ensemble"]) == ["max_prob", "mutual_information"]
    assert "ensemble" not in driver.of(ModeEvaluation)[-1].uncertainty["methods"]  # members train after the rounds
    gc.collect()
    assert len(built) == 3 and built[0]() is driver.session.prepared.model  # the run's model is member 0
    assert all(ref() is None for ref in built[1:])  # each member released, not kept


@pytest.mark.training
def test_a_member_is_trained_exactly_as_a_run_with_its_seed():
    import tensorflow as tf

    from dropout_tui.engine.run.ensemble import train_members

    alone = Driver(RunConfig(seed=1, **TINY)).start()
    alone.join(timeout=120)
    prepared = alone.session.prepared
    expected = prepared.head.probabilities_numpy(_outputs(prepared))
    config = RunConfig(seed=0, ensemble=2, **TINY)
    (member,) = train_members(config, prepared, tf.distribute.get_strategy(), lambda: False)
    assert member.seed == 1
    assert np.allclose(prepared.head.probabilities_numpy(member.test), expected, atol=1e-6)


def _outputs(prepared) -> np.ndarray:
    return np.asarray(prepared.model.predict(prepared.x_test, verbose=0))
