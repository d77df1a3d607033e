"""The narrowings that the type checker asks for: each says what it guarantees, and fails loudly where it does not."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.limits import LIMITS
from dropout_tui.engine.run.measurement import Measurer
from dropout_tui.engine.run.preparation import Prepared


def test_a_regressors_non_finite_loss_is_nan_as_a_classifiers_is():
    # rmse() says None for a non-finite error; squaring that None raised TypeError in the middle of an epoch.
    loss = Measurer._loss(SimpleNamespace(regression=True), np.array([[np.inf]]), np.array([[0.0]]))
    assert math.isnan(loss)


def test_a_regressors_loss_is_the_mean_squared_error():
    loss = Measurer._loss(SimpleNamespace(regression=True), np.array([[1.0], [3.0]]), np.zeros((2, 1)))
    assert loss == pytest.approx(5.0)


def test_a_run_without_a_training_split_says_so_when_asked_for_it():
    x, y = np.zeros((3, 2)), np.zeros(3, np.int64)
    common = dict(model=None, head=None, x_test=x, y_test=y, images=x, dataset="mine", epochs=0, notes=[])
    assert Prepared(x_train=x, y_train=y, **common).training_split() == (x, y)
    with pytest.raises(ConfigError, match="mine has no training split"):
        Prepared(x_train=None, y_train=None, **common).training_split()


@pytest.mark.parametrize("value", ["10", None, True, [10]])
def test_a_limit_checks_any_object_it_is_sent(value: object):
    with pytest.raises(ConfigError, match="must be"):
        LIMITS["mc_samples"].check(value)
