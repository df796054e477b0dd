"""The constructor's reset takes its values from NumPy (no TensorFlow kernels run).

`ParamStore.built_values` and `ParamStore.initial_state_value` stand in for
reading the variables and for `ParamStore.initial_state`: the numbers must be
the same, bit for bit, before and after the variables change.
"""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from test_param_store import make_store

from nengodl_notebook.params import take_params


def same(a, b):
    """Bit-for-bit equal arrays of one dtype."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("trainable", [True, False])
def test_built_values_are_copies_of_the_variables_values(dtype, trainable):
    store, _, _ = make_store(trainable=trainable, dtype=dtype)
    built = store.built_values()
    for mine, read in zip(built, store.values()):
        assert same(mine, read)
    built[0][:] = -1.0  # a copy: the store's arrays are untouched
    built[1][:] = -1.0
    assert same(store.built_values()[0], store.values()[0])
    assert same(store.built_values()[1], store.values()[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", [1, 3])
def test_initial_state_value_is_initial_state(dtype, batch):
    store, _, _ = make_store(dtype=dtype)  # trainable bias rows in the state
    value = store.initial_state_value(batch, store.built_values())
    assert isinstance(value, tf.Tensor)
    assert same(value, store.initial_state(batch))
    store.trainable.assign([10.0, 20.0, 30.0, 40.0])  # read from the variable now
    assert same(store.initial_state_value(batch), store.initial_state(batch))
    assert np.array_equal(
        store.initial_state_value(batch)[2:], [[30] * batch, [40] * batch]
    )


def test_initial_state_value_without_trainable_state():
    store, _, _ = make_store(trainable=False)
    assert len(store.train_s) == 0
    assert same(store.initial_state_value(2), store.initial_state(2))


def test_simulator_state_and_snapshot_as_before(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(np.sin)
        a = nengo.Ensemble(20, 1)
        b = nengo.Ensemble(10, 1)
        nengo.Connection(stim, a)
        nengo.Connection(a, b, function=np.square)
    with Simulator(net, minibatch_size=2) as sim:
        store = sim._store
        assert same(sim._state, store.initial_state(2))
        built = take_params(store, sim._tensor_vars)  # read from the variables
        assert sim._initial_params == built
        sim.run_steps(5)
        store.trainable.assign(store.trainable.numpy() + 1.0)
        assert take_params(store, sim._tensor_vars) != built
        sim.reset()  # back to the snapshot taken at construction
        assert take_params(store, sim._tensor_vars) == built
        assert same(sim._state, store.initial_state(2))
