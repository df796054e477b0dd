"""The short Taylor series the LIF step uses instead of expm1/log1p.

Each series is given the number of terms its helper picks for the largest
argument (``dt / min(tau_rc)`` for expm1, ``1 - exp(-that)`` for log1p), and must
match NumPy's float64 function to a few units of round-off over the whole range.
"""

import numpy as np
import pytest
import tensorflow as tf

from nengodl_notebook.op_builders.neuron_math import (
    expm1_small,
    expm1_terms,
    log1p_small,
    log1p_terms,
)


def max_rel_error(series, exact, x, dtype):
    got = series(tf.constant(x.astype(dtype))).numpy().astype(np.float64)
    want = exact(x.astype(dtype).astype(np.float64))
    nonzero = want != 0
    return np.max(np.abs(got[nonzero] - want[nonzero]) / np.abs(want[nonzero]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_max", [0.001 / 0.05, 0.001 / 0.02, 0.001 / 0.01])
def test_series_reach_round_off(dtype, x_max):
    eps = np.finfo(dtype).eps
    x = -np.linspace(0, x_max, 20001)[1:]

    n_exp = expm1_terms(x_max, dtype)
    assert n_exp is not None
    err = max_rel_error(lambda t: expm1_small(t, n_exp), np.expm1, x, dtype)
    assert err < 4 * eps, (n_exp, err / eps)

    y_max = -np.expm1(-x_max)
    n_log = log1p_terms(y_max, dtype)
    assert n_log is not None
    y = -np.linspace(0, y_max, 20001)[1:]
    err = max_rel_error(lambda t: log1p_small(t, n_log), np.log1p, y, dtype)
    assert err < 4 * eps, (n_log, err / eps)


def test_series_give_up_for_large_arguments():
    # dt / tau_rc = 0.2 (e.g. dt = 4 ms, tau_rc = 20 ms) needs more than 16
    # terms in float64: the builder then keeps the exact function
    assert log1p_terms(-np.expm1(-0.2), np.float64) is None
    assert expm1_terms(2.0, np.float64) is None
    assert expm1_small(tf.constant([-2.0]), None).numpy() == pytest.approx(
        np.expm1(-2.0)
    )
    assert log1p_small(tf.constant([-0.5]), None).numpy() == pytest.approx(
        np.log1p(-0.5)
    )


def test_too_few_terms_would_be_caught():
    # the accuracy check above can fail: two terms short is off round-off
    x_max = 0.05
    n = expm1_terms(x_max, np.float64) - 2
    x = -np.linspace(0, x_max, 2001)[1:]
    err = max_rel_error(lambda t: expm1_small(t, n), np.expm1, x, np.float64)
    assert err > 4 * np.finfo(np.float64).eps
