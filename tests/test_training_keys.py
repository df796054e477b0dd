"""Training, loss and prediction programs found by a structural key, untraced.

A second Simulator of the same network runs the first one's programs without
tracing its own (`training_programs.function_key`), with exactly the results
of a Simulator that traced and compiled its own (float64).
"""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl
from nengodl_notebook import training_programs, xla_cache
from nengodl_notebook.program_keys import CHECK_VARIABLE, ProgramKeyMismatch
from nengodl_notebook.training_programs import SHARED_TRAINING_PROGRAMS

BATCH, MB = 64, 16


def make_net(seed, trainable=True, bias=0.0):
    """inp (+ a constant ``bias``) -> ens -> out."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = trainable
        net.config[nengo.Connection].trainable = not trainable
        net.inp = nengo.Node([0.0])
        net.ens = nengo.Ensemble(30, 1, neuron_type=nengo.LIFRate())
        net.out = nengo.Node(size_in=1)
        nengo.Connection(net.inp, net.ens, synapse=None)
        nengo.Connection(nengo.Node([bias]), net.ens, synapse=None)
        nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None)
    return net


def make_data(net):
    x = np.random.RandomState(0).uniform(-1, 1, size=(BATCH, 1, 1))
    return {net.inp: x, net.p: np.sin(3 * x)}


def traces(sim):
    """Traces made so far of the Simulator's training, loss and predict programs."""
    trainer = sim._trainer
    fns = [fn for _, fn in trainer._train_fns.values()] + list(
        trainer._eval_fns.values()
    )
    return sum(fn.experimental_get_tracing_count() for fn in fns)


def run(net, optimizer=None, objective=None, minibatch_size=MB):
    """Train 2 epochs, a loss, a prediction: ``(results, traces)``."""
    data = make_data(net)
    objective = objective or {net.p: nengo_dl.obj.mse}
    optimizer = optimizer or keras.optimizers.Adam(0.01)
    with nengo_dl.Simulator(
        net, minibatch_size=minibatch_size, dtype="float64", progress_bar=False
    ) as sim:
        sim.train(data, optimizer, objective, n_epochs=2)
        loss = sim.loss(data, objective)
        output = sim.predict({net.inp: data[net.inp]})[net.p]
        params, state = sim._store.values()
        n_traces = traces(sim)
    return (np.concatenate([params, state]), loss, output), n_traces


@pytest.fixture
def shared(monkeypatch):
    """`SHARED_TRAINING_PROGRAMS`, empty before and after; checking off."""
    monkeypatch.delenv(CHECK_VARIABLE, raising=False)
    monkeypatch.setattr(xla_cache, "DIRECTORY", None)  # no programs from disk
    SHARED_TRAINING_PROGRAMS.clear()
    yield SHARED_TRAINING_PROGRAMS
    SHARED_TRAINING_PROGRAMS.clear()


def assert_same(got, expected):
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_second_simulator_runs_untraced_programs(shared):
    first, n_first = run(make_net(seed=1))
    assert n_first == 3
    key_hits = shared.key_hits
    net = make_net(seed=2)
    second, n_second = run(net)
    assert (n_second, shared.key_hits - key_hits) == (0, 3)
    shared.clear()
    alone, n_alone = run(net)
    assert n_alone == 3
    assert_same(second, alone)
    assert np.max(np.abs(first[0][0] - second[0][0])) > 1e-3  # own parameters


def test_baked_initial_values_are_part_of_the_key(shared):
    """A constant Node's output is a constant of the trace: another value,
    another program (same results as alone)."""
    run(make_net(seed=1, bias=0.0))
    net = make_net(seed=1, bias=0.5)
    key_hits = shared.key_hits
    second, _ = run(net)
    shared.clear()
    alone, _ = run(net)
    assert_same(second, alone)
    assert shared.key_hits == key_hits


@pytest.mark.parametrize(
    "change, key_hits",
    [  # key hits of (train, loss, predict)
        ("objective", 1),  # predict found
        ("optimizer", 2),  # loss and predict found
        ("schedule", 2),  # a learning rate schedule is traced in
        ("minibatch_size", 0),
        ("trainable", 0),
    ],
)
def test_changed_program_is_not_found_by_key(shared, change, key_hits):
    def schedule(rate):
        return keras.optimizers.schedules.ExponentialDecay(rate, 10, 0.9)

    first = {"optimizer": keras.optimizers.Adam(schedule(0.01))}
    run(make_net(seed=1), **(first if change == "schedule" else {}))
    net = make_net(seed=2, trainable=change != "trainable")

    def options():  # a new optimizer for each run
        return {
            "objective": {"objective": {net.p: lambda y, t: tf.abs(y - t)}},
            "optimizer": {"optimizer": keras.optimizers.SGD(0.01)},
            "schedule": {"optimizer": keras.optimizers.Adam(schedule(0.02))},
            "minibatch_size": {"minibatch_size": 8},
            "trainable": {"optimizer": keras.optimizers.Adam(0.001)},
        }[change]

    hits = shared.key_hits
    second, _ = run(net, **options())
    assert shared.key_hits - hits == key_hits
    shared.clear()
    alone, _ = run(net, **options())
    assert_same(second, alone)


def test_undescribable_objective_is_shared_by_fingerprint(shared):
    """A Keras loss object has no key: traced, then shared by its trace."""

    def objective(net):
        return {net.p: keras.losses.MeanSquaredError()}

    net1 = make_net(seed=1)
    run(net1, objective=objective(net1))
    key_hits, hits = shared.key_hits, shared.hits
    net2 = make_net(seed=2)
    _, n_traces = run(net2, objective=objective(net2))
    assert (shared.key_hits - key_hits, shared.hits - hits) == (1, 3)  # predict
    assert n_traces == 2


def test_checking_mode_catches_a_key_missing_the_objective(shared, monkeypatch):
    """With the objective left out of the key, two objectives share a key:
    checking mode traces on the hit and raises; the Simulator stays usable."""
    monkeypatch.setenv(CHECK_VARIABLE, "1")
    monkeypatch.setattr(
        training_programs, "_term", lambda trainer, describe, probe, fn: ()
    )
    net = make_net(seed=1)
    data = make_data(net)
    with nengo_dl.Simulator(net, minibatch_size=MB, progress_bar=False) as sim:
        sim.loss(data, {net.p: nengo_dl.obj.mse})
        with pytest.raises(ProgramKeyMismatch, match="training program"):
            sim.loss(data, {net.p: lambda y, t: tf.abs(y - t)})
        monkeypatch.delenv(CHECK_VARIABLE)
        assert np.isfinite(sim.loss(data, {net.p: nengo_dl.obj.mse}))


#: read by `scaled_mse` as a module global
LOSS_SCALE = 1.0


def scaled_mse(outputs, targets):
    return LOSS_SCALE * tf.reduce_mean(tf.square(outputs - targets))


def test_a_global_read_by_the_objective_is_part_of_the_key(shared, monkeypatch):
    """A loss function reading a module global: the same value finds the first
    program by key, a changed value does not (and its loss follows the value)."""
    net = make_net(seed=1)
    objective = {net.p: scaled_mse}
    first, _ = run(net, objective=objective)
    key_hits = shared.key_hits
    same, n_same = run(net, objective=objective)
    assert (n_same, shared.key_hits - key_hits) == (0, 3)
    monkeypatch.setattr(__import__(__name__), "LOSS_SCALE", 3.0)
    key_hits = shared.key_hits
    scaled, n_scaled = run(net, objective=objective)
    # train and loss traced anew; predict (no objective) found by key
    assert (n_scaled, shared.key_hits - key_hits) == (2, 1)
    # (Adam barely notices the scale: the trained parameters stay close)
    np.testing.assert_allclose(scaled[1], 3 * same[1], rtol=1e-3)
