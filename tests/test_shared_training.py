"""Training, loss and prediction programs shared by Simulators of one network.

A second Simulator whose traced training program equals one compiled before
runs that program with its own variables (`training_programs`); it must end
with exactly the parameters it gets when trained alone (float64).
"""

import gc
import weakref

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl
from nengodl_notebook import xla_cache
from nengodl_notebook.training_programs import SHARED_TRAINING_PROGRAMS

BATCH, MB = 64, 16


def make_net(seed, n_neurons=30, neuron_type=None):
    """inp -> ens -> out; each seed gives other encoders, gains and decoders."""
    neuron_type = neuron_type or nengo.LIFRate()
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0])
        net.ens = nengo.Ensemble(n_neurons, 1, neuron_type=neuron_type)
        net.out = nengo.Node(size_in=1)
        nengo.Connection(net.inp, net.ens, synapse=None)
        nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None)
    return net


def make_data(net):
    x = np.random.RandomState(0).uniform(-1, 1, size=(BATCH, 1, 1))
    return {net.inp: x, net.p: np.sin(3 * x)}


def run(Simulator, net, optimizer=None, objective=None, minibatch_size=MB):
    """Train 2 epochs, then a loss and a prediction: ``(params, loss, output)``.

    The Simulator's seed (minibatch order) is the network's + 1.
    """
    data = make_data(net)
    objective = objective or {net.p: nengo_dl.obj.mse}
    optimizer = optimizer or keras.optimizers.Adam(0.01)
    with Simulator(net, minibatch_size=minibatch_size, dtype="float64") as sim:
        sim.train(data, optimizer, objective, n_epochs=2)
        loss = sim.loss(data, objective)
        output = sim.predict({net.inp: data[net.inp]})[net.p]
        params, state = sim._store.values()
    return np.concatenate([params, state]), loss, output


@pytest.fixture
def shared(monkeypatch):
    """`SHARED_TRAINING_PROGRAMS`, empty before and after the test (no programs
    from disk)."""
    monkeypatch.setattr(xla_cache, "DIRECTORY", None)
    SHARED_TRAINING_PROGRAMS.clear()
    yield SHARED_TRAINING_PROGRAMS
    SHARED_TRAINING_PROGRAMS.clear()


def test_shared_programs_give_the_results_of_training_alone(Simulator, shared):
    first = run(Simulator, make_net(seed=1))
    hits = shared.hits
    net = make_net(seed=2)
    second = run(Simulator, net)
    assert shared.hits == hits + 3  # train, loss and predict programs shared

    shared.clear()
    misses = shared.misses
    alone = run(Simulator, net)
    assert shared.misses == misses + 3  # compiled anew: sharing was off
    for got, expected in zip(second, alone):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # one program, each Simulator's own parameters
    assert np.max(np.abs(first[0] - second[0])) > 1e-3
    assert abs(first[1] - second[1]) > 1e-6


def test_other_learning_rate_shares_the_program(Simulator, shared):
    run(Simulator, make_net(seed=1), optimizer=keras.optimizers.Adam(0.01))
    hits = shared.hits
    net = make_net(seed=2)
    second = run(Simulator, net, optimizer=keras.optimizers.Adam(0.05))
    assert shared.hits == hits + 3  # the learning rate is a variable
    shared.clear()
    alone = run(Simulator, net, optimizer=keras.optimizers.Adam(0.05))
    np.testing.assert_allclose(second[0], alone[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "change, new, shared_after",
    [  # programs compiled anew / shared of (train, loss, predict)
        ("objective", 2, 1),  # predict shared
        ("optimizer", 1, 2),  # loss and predict shared
        ("minibatch_size", 3, 0),
        ("n_neurons", 3, 0),
    ],
)
def test_a_different_program_is_not_shared(
    Simulator, shared, change, new, shared_after
):
    run(Simulator, make_net(seed=1))
    net = make_net(seed=2)
    options = {
        "objective": {"objective": {net.p: lambda y, t: tf.abs(y - t)}},
        "optimizer": {"optimizer": keras.optimizers.SGD(0.01)},
        "minibatch_size": {"minibatch_size": 8},
        "n_neurons": {},
    }[change]
    other = make_net(seed=2, n_neurons=31) if change == "n_neurons" else net
    hits, misses = shared.hits, shared.misses
    run(Simulator, other, **options)
    assert (shared.misses - misses, shared.hits - hits) == (new, shared_after)


def test_programs_without_xla_are_not_shared(Simulator, shared):
    counts = shared.hits, shared.misses
    for seed in (1, 2):
        net = make_net(seed)
        data = make_data(net)
        with Simulator(net, minibatch_size=MB, jit_compile=False) as sim:
            sim.train(data, keras.optimizers.Adam(0.01), {net.p: nengo_dl.obj.mse})
    assert (shared.hits, shared.misses) == counts


def test_closed_trained_simulator_is_collected(Simulator, shared):
    """A shared program keeps no closed Simulator alive."""
    net = make_net(seed=1)
    data = make_data(net)
    with Simulator(net, minibatch_size=MB) as sim:
        sim.train(data, keras.optimizers.Adam(0.01), {net.p: nengo_dl.obj.mse})
    assert shared.misses > 0
    ref = weakref.ref(sim)
    del sim
    gc.collect()
    assert ref() is None


def test_loss_follows_the_seed_of_a_reset(Simulator, shared):
    """The seed is an argument of the programs, not traced in: a loss after
    ``reset(seed=s)`` is that of a new Simulator with seed ``s``."""
    net = make_net(seed=1, neuron_type=nengo.PoissonSpiking(nengo.LIFRate()))
    data, objective = make_data(net), {net.p: nengo_dl.obj.mse}
    with Simulator(net, minibatch_size=MB, dtype="float64", seed=3) as sim:
        before = sim.loss(data, objective)
        sim.reset(seed=4)
        after = sim.loss(data, objective)
    with Simulator(net, minibatch_size=MB, dtype="float64", seed=4) as fresh:
        expected = fresh.loss(data, objective)
    assert after == expected and after != before
