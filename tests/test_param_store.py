"""ParamStore: trainable and fixed parameters over a signal layout, no Simulator."""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.builder import Model
from nengo.builder.signal import Signal
from nengo.utils.simulator import operator_dependency_graph
from tutorial_nets import training_network

from nengodl_notebook.config import trainable_objects
from nengodl_notebook.params import ParamStore, parameter_signals
from nengodl_notebook.planner import (
    BuildContext,
    group_ops,
    make_layout,
    merge_operators,
    simulated_ops,
)
from nengodl_notebook.signals import SignalLayout


class Obj:
    """A stand-in for a nengo object: the store only keys and prints them."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return f"<Obj {self.name}>"


def make_store(trainable=True, dtype="float32"):
    """Trainable encoders (params) of "ens" and bias (in a state base) of its
    "neurons"; fixed weights of a "conn"; a non-parameter state and param base
    each; and a parameter signal missing from the layout."""
    ens, neurons = Obj("ens"), Obj("neurons")
    conn, gone = Obj("conn"), Obj("gone")
    sig = {
        "enc": Signal(np.array([[1.0], [2.0]]), name="enc"),
        "bias": Signal(np.array([3.0, 4.0]), name="bias"),
        "weights": Signal(np.array([[5.0, 6.0]]), name="weights"),
        "voltage": Signal(np.zeros(2), name="voltage"),
        "other": Signal(np.array([7.0]), name="other"),
    }
    layout = SignalLayout(
        [sig["voltage"], sig["bias"]], [sig["weights"], sig["enc"], sig["other"]]
    )
    signals = [
        (ens, "encoders", sig["enc"]),
        (neurons, "bias", sig["bias"]),
        (conn, "weights", sig["weights"]),
        (gone, "weights", Signal(np.zeros(3), name="missing")),
    ]
    trainable = {ens: trainable, neurons: trainable, conn: False}
    store = ParamStore(layout, dtype, signals, trainable)
    return store, sig, (ens, neurons, conn)


def test_only_trainable_parameters_are_variables():
    store, _, (ens, neurons, conn) = make_store()
    assert [(o, n) for o, n, _ in store.signals] == [
        (ens, "encoders"),
        (neurons, "bias"),
        (conn, "weights"),
    ]  # the parameter outside the layout is dropped
    assert store.n_trainable == 4
    # params part (encoders), then the state part (bias)
    assert np.array_equal(store.trainable.numpy(), [1, 2, 3, 4])
    assert np.array_equal(store.fixed.numpy(), [5, 6, 7])
    assert not store.fixed.trainable and store.trainable.dtype == tf.float32


def test_full_and_initial_state_follow_the_trainable_variable():
    store, _, _ = make_store()
    assert np.array_equal(store.full().numpy(), [5, 6, 1, 2, 7])
    assert np.array_equal(
        store.initial_state(2).numpy(), [[0, 0], [0, 0], [3, 3], [4, 4]]
    )
    store.trainable.assign([10.0, 20.0, 30.0, 40.0])
    assert np.array_equal(store.full().numpy(), [5, 6, 10, 20, 7])
    assert np.array_equal(
        store.initial_state(3).numpy(), [[0] * 3, [0] * 3, [30] * 3, [40] * 3]
    )
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(store.full() * [1.0, 2.0, 3.0, 4.0, 5.0])
        total += tf.reduce_sum(store.initial_state(2))
    assert np.array_equal(tape.gradient(total, store.trainable).numpy(), [3, 4, 2, 2])


def test_nothing_trainable():
    store, _, _ = make_store(trainable=False, dtype="float64")
    assert store.n_trainable == 0 and store.trainable.shape == (0,)
    assert store.full().dtype == tf.float64
    assert np.array_equal(store.full().numpy(), [5, 6, 1, 2, 7])
    assert np.array_equal(store.initial_state(1).numpy()[:, 0], [0, 0, 3, 4])
    store.mark_trained()
    assert store.changed == []


def test_values_and_signal_values():
    store, sig, _ = make_store()
    store.trainable.assign([10.0, 20.0, 30.0, 40.0])
    params, state = store.values()
    assert np.array_equal(params, [5, 6, 10, 20, 7])
    assert np.array_equal(state, [0, 0, 30, 40])
    assert np.array_equal(store.signal_value(sig["enc"]), [[10], [20]])
    assert np.array_equal(store.signal_value(sig["bias"]), [30, 40])
    assert np.array_equal(store.signal_value(sig["weights"][0, 1:]), [6])  # a view
    given = (np.arange(5.0), np.arange(4.0))
    assert np.array_equal(store.signal_value(sig["bias"], given), [2, 3])
    assert np.array_equal(store.signal_value(sig["enc"], given), [[2], [3]])


def test_set_signal_value_writes_the_given_vectors_only():
    store, sig, _ = make_store()
    values = store.values()
    store.set_signal_value(sig["weights"], [[8.0, 9.0]], values)
    store.set_signal_value(sig["bias"], [-3.0, -4.0], values)
    assert np.array_equal(values[0], [8, 9, 1, 2, 7])
    assert np.array_equal(values[1], [0, 0, -3, -4])
    assert np.array_equal(store.values()[0], [5, 6, 1, 2, 7])  # store unchanged
    store.assign(*values)
    assert np.array_equal(store.fixed.numpy(), [8, 9, 7])
    assert np.array_equal(store.trainable.numpy(), [1, 2, -3, -4])
    assert np.array_equal(store.initial_state(1).numpy()[:, 0], [0, 0, -3, -4])


def test_assign_sets_everything_and_marks_every_object_changed():
    store, _, (ens, neurons, conn) = make_store()
    params, state = np.arange(5.0) + 100, np.arange(4.0) - 100
    store.assign(params, state)
    assert all(np.array_equal(a, b) for a, b in zip(store.values(), (params, state)))
    assert store.state0.dtype == np.float32
    assert store.changed == [ens, neurons, conn]


def test_mark_trained_records_trainable_objects_once():
    store, _, (ens, neurons, _) = make_store()
    assert store.changed == []
    store.mark_trained()
    store.mark_trained()
    assert store.changed == [ens, neurons]


def test_by_object():
    store, _, _ = make_store()
    arrays, labels = store.by_object()
    assert list(arrays) == ["0.encoders", "1.bias", "2.weights"]
    assert arrays["0.encoders"].shape == (2, 1)
    assert np.array_equal(arrays["1.bias"], [3, 4])
    assert labels == {
        "0.encoders": "<Obj ens>",
        "1.bias": "<Obj neurons>",
        "2.weights": "<Obj conn>",
    }


@pytest.mark.parametrize("optimize", [True, False])
def test_tutorial_parameters_hold_nengos_values(optimize):
    net = training_network(n_neurons=15)  # ensembles trainable, connections not
    model = Model(dt=0.001)
    model.build(net)
    if optimize:
        merge_operators(model, operator_dependency_graph(model.operators))
    ops = simulated_ops(model.operators)
    groups = group_ops(ops, BuildContext(None, "float32", 0.001, 1))
    layout = make_layout(ops, [model.sig[p]["in"] for p in model.probes], groups)
    signals = parameter_signals(model, net)
    store = ParamStore(layout, "float32", signals, trainable_objects(net))
    names = [n for _, n, _ in store.signals]
    assert names == ["encoders", "bias", "encoders", "bias", "weights", "weights"]
    assert store.n_trainable == 2 * (15 + 15)  # encoders and biases
    for obj, _, sig in store.signals:
        np.testing.assert_allclose(
            store.signal_value(sig), sig.initial_value, rtol=1e-6, err_msg=str(obj)
        )
    assert all(
        isinstance(o, nengo.Ensemble | nengo.ensemble.Neurons)
        for o in store.trainable_objects
    )
