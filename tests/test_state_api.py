"""The Simulator's state API (NengoDL 3.6): stateful runs, reset flags, state in
parameter files, get_nengo_params and the ``stateful`` setting."""

import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.run_state import RunState, network_is_stateful


def noisy_net(stateful=None):
    """Random inputs (a WhiteSignal table and a WhiteNoise stream) into LIF."""
    with nengo.Network(seed=0) as net:
        if stateful is not None:
            nengo_dl.configure_settings(stateful=stateful)
        net.signal = nengo.Node(nengo.processes.WhiteSignal(1, high=5))
        net.noise = nengo.Node(nengo.processes.WhiteNoise(), size_out=1)
        net.ens = nengo.Ensemble(20, 1)
        nengo.Connection(net.signal, net.ens)
        nengo.Connection(net.noise, net.ens, transform=0.1)
        net.p = nengo.Probe(net.ens, synapse=0.01)
        net.p_noise = nengo.Probe(net.noise)
    return net


def trainable_net():
    """Node -> a -> b (decoded, with a transform) and a Node input of b."""
    with nengo.Network(seed=1) as net:
        net.inp = nengo.Node(np.zeros(1))
        net.bias_in = nengo.Node([0.3])
        # no random initial state (LIF's voltages): rebuilt objects start alike
        net.a = nengo.Ensemble(15, 1, neuron_type=nengo.LIFRate(), label="a")
        net.b = nengo.Ensemble(12, 2, neuron_type=nengo.RectifiedLinear(), label="b")
        net.c_in = nengo.Connection(net.inp, net.a, label="in")
        net.c_ab = nengo.Connection(
            net.a, net.b, transform=[[1.0], [-0.5]], synapse=0.005, label="ab"
        )
        net.c_bias = nengo.Connection(net.bias_in, net.b, transform=[[0.2], [0.1]])
        net.p = nengo.Probe(net.b, synapse=0.01)
        # a decoded probe's decoders are solved at build, not trained: compare
        # rebuilt networks by their neurons
        net.p_neurons = nengo.Probe(net.b.neurons, synapse=0.01)
    return net


def train(sim, net, epochs=3):
    sim.compile(keras.optimizers.SGD(0.001), loss={net.p: "mse"})
    x = np.linspace(-1, 1, 8 * 5).reshape(8, 5, 1)
    sim.fit({net.inp: x}, {net.p: np.concatenate([x, -x], axis=2)}, epochs=epochs)


# -- stateful runs ---------------------------------------------------------------


def test_stateless_run_keeps_state_and_appends_data(Simulator):
    net = noisy_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(50)
        sim.run_steps(30, stateful=False)
        assert sim.n_steps == 50 and sim.time == pytest.approx(50 * sim.dt)
        assert sim.data[net.p].shape == (80, 1) and len(sim.trange()) == 50
        sim.run(0.03)  # starts where the stateless run started
        data = np.array(sim.data[net.p])
    assert np.array_equal(data[50:80], data[80:110])
    with Simulator(net, progress_bar=False) as ref:
        ref.run_steps(80)
        uninterrupted = np.array(ref.data[net.p])
    assert np.allclose(data[80:110], uninterrupted[50:80], atol=1e-6)


def test_stateful_setting_makes_every_run_stateless(Simulator):
    net = noisy_net(stateful=False)
    assert not network_is_stateful(net) and network_is_stateful(noisy_net())
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(20, stateful=True)  # the setting overrides the argument
        sim.step()
        assert sim.n_steps == 0
        sim.run_steps(20)
        data = np.array(sim.data[net.p])
    assert data.shape == (41, 1)
    assert np.array_equal(data[:20], data[21:])
    assert np.array_equal(data[:1], data[20:21])


def test_step_with_data_equals_a_run(Simulator):
    with nengo.Network(seed=2) as net:
        inp = nengo.Node(np.zeros(2))
        ens = nengo.Ensemble(10, 2)
        nengo.Connection(inp, ens)
        p = nengo.Probe(ens, synapse=0.01)
    x = np.random.RandomState(0).uniform(-1, 1, size=(3, 10, 2))
    with Simulator(net, minibatch_size=3, progress_bar=False) as sim:
        for i in range(10):
            sim.step(data={inp: x[:, i : i + 1]})
        stepped = np.array(sim.data[p])
        sim.reset()
        sim.run_steps(10, data={inp: x})
        assert np.array_equal(stepped, sim.data[p]) and sim.n_steps == 10
        with pytest.raises(ValidationError):
            sim.step(data={inp: x})  # 10 steps of data for one step
        assert sim.n_steps == 10


# -- reset ---------------------------------------------------------------------


def test_reset_keeps_or_reverts_training(Simulator):
    net = trainable_net()
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(30)
        nengo_out, nengo_bias = ref.data[net.p], ref.data[net.b].bias
    with Simulator(net, dtype="float64", progress_bar=False) as sim:
        initial = sim.get_params()
        train(sim, net)
        trained = sim.get_params()
        assert trained != initial
        sim.run_steps(30)
        trained_out = np.array(sim.data[net.p])
        sim.reset(include_trainable=False)
        assert sim.n_steps == 0 and sim.data[net.p].shape == (0, 2)
        assert sim.get_params() == trained
        sim.run_steps(30)
        assert np.array_equal(sim.data[net.p], trained_out)
        sim.reset()  # include_trainable=True: the build's parameters again
        assert sim.get_params() == initial
        assert np.array_equal(sim.data[net.b].bias, nengo_bias)
        sim.run_steps(30)
        assert np.allclose(sim.data[net.p], nengo_out, atol=1e-10)


def test_reset_include_probes_false_keeps_data(Simulator):
    net = noisy_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(20)
        sim.reset(include_probes=False)
        assert sim.n_steps == 0 and sim.data[net.p].shape == (20, 1)
        sim.run_steps(20)
        data = np.array(sim.data[net.p])
    assert np.array_equal(data[:20], data[20:])  # same seed, same run again


def test_reset_include_processes_false_continues_random_streams(Simulator):
    net = noisy_net()
    with Simulator(net, progress_bar=False) as ref:
        ref.run_steps(90)
        noise = np.array(ref.data[net.p_noise])
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(30)
        sim.reset(include_processes=False)
        sim.run_steps(30)
        assert np.array_equal(sim.data[net.p_noise], noise[30:60])
        sim.reset(seed=7, include_processes=False)  # the seed waits for a reset
        sim.run_steps(30)
        assert sim.seed == 7
        assert np.array_equal(sim.data[net.p_noise], noise[60:90])  # continued
        sim.reset()
        sim.run_steps(30)
        assert not np.array_equal(sim.data[net.p_noise], noise[:30])  # seed 7 now


def test_soft_reset_is_deprecated(Simulator):
    net = trainable_net()
    with Simulator(net, progress_bar=False) as sim:
        train(sim, net)
        trained = sim.get_params()
        sim.run_steps(10)
        with pytest.warns(DeprecationWarning, match="reset"):
            sim.soft_reset()
        assert sim.n_steps == 0 and sim.data[net.p].shape == (10, 2)
        assert sim.get_params() == trained
        with pytest.warns(DeprecationWarning):
            sim.soft_reset(include_trainable=True, include_probes=True)
        assert sim.get_params() != trained and sim.data[net.p].shape == (0, 2)


# -- run state snapshots and files ------------------------------------------------


def test_run_state_snapshot_round_trip(Simulator):
    net = noisy_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(25)
        snapshot = sim.get_run_state()
        assert isinstance(snapshot, RunState) and snapshot.n_steps == 25
        sim.run_steps(30)
        after = np.array(sim.data[net.p])
        sim.set_run_state(snapshot)
        assert sim.n_steps == 25 and sim.data[net.p].shape == (25, 1)
        sim.run_steps(30)
        assert np.array_equal(sim.data[net.p], after)
    with Simulator(trainable_net(), progress_bar=False) as other:
        with pytest.raises(ValidationError, match="does not fit"):
            other.set_run_state(snapshot)
        with pytest.raises(ValidationError, match="RunState"):
            other.set_run_state("state")
        other.run_steps(2)  # still usable


def test_save_params_with_state_continues_the_run(Simulator, tmp_path):
    net = noisy_net()
    path = tmp_path / "with_state"
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(50)
        sim.save_params(path, include_state=True)
        sim.run_steps(20)
        expected = np.array(sim.data[net.p][-20:])
    with Simulator(net, seed=5, progress_bar=False) as sim2:
        sim2.load_params(path)  # parameters only: time stays
        assert sim2.n_steps == 0 and sim2.seed == 5
        sim2.load_params(path, include_state=True)
        assert sim2.n_steps == 50 and sim2.seed == sim.seed
        sim2.run_steps(20)
        assert np.array_equal(sim2.data[net.p], expected)


def test_load_params_state_errors(Simulator, tmp_path):
    net = noisy_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.save_params(tmp_path / "plain")
        sim.run_steps(5)
        with pytest.raises(ValidationError, match="plain.npz holds no run state"):
            sim.load_params(tmp_path / "plain", include_state=True)
        assert sim.n_steps == 5
        with pytest.warns(DeprecationWarning, match="include_state"):
            sim.save_params(tmp_path / "old_name", include_non_trainable=True)
    with Simulator(net, minibatch_size=2, progress_bar=False) as batched:
        before = batched.get_params()
        with pytest.raises(ValidationError, match="does not fit"):
            batched.load_params(tmp_path / "old_name", include_state=True)
        assert batched.n_steps == 0 and batched.get_params() == before
        with pytest.warns(DeprecationWarning):
            batched.load_params(tmp_path / "old_name", include_non_trainable=False)


# -- get_nengo_params --------------------------------------------------------------


def test_get_nengo_params_rebuild_the_trained_network(Simulator):
    net = trainable_net()
    with Simulator(net, dtype="float64", progress_bar=False) as sim:
        train(sim, net)
        sim.run_steps(40)
        trained_out = np.array(sim.data[net.p_neurons])
        objs = [net.a, net.b, net.c_in, net.c_ab, net.c_bias]
        params = sim.get_nengo_params(objs)
        by_label = sim.get_nengo_params([net.a, net.b], as_dict=True)
        single = sim.get_nengo_params(net.a)
    assert set(by_label) == {"a", "b"} and single.keys() == params[0].keys()
    assert not np.allclose(params[1]["bias"], sim.data[net.b].bias * 0)  # arrays

    with nengo.Network(seed=99) as new:  # another seed: every value from params
        inp = nengo.Node(np.zeros(1))
        bias_in = nengo.Node([0.3])
        a = nengo.Ensemble(15, 1, neuron_type=nengo.LIFRate(), **params[0])
        b = nengo.Ensemble(12, 2, neuron_type=nengo.RectifiedLinear(), **params[1])
        nengo.Connection(inp, a, **params[2])
        nengo.Connection(a, b, synapse=0.005, **params[3])
        nengo.Connection(bias_in, b, **params[4])
        p = nengo.Probe(b.neurons, synapse=0.01)
    with nengo.Simulator(new, progress_bar=False) as ref:
        ref.run_steps(40)
    assert np.allclose(ref.data[p], trained_out, atol=1e-8)
    with nengo.Simulator(net, progress_bar=False) as untrained:
        untrained.run_steps(40)
    assert not np.allclose(untrained.data[net.p_neurons], trained_out, atol=1e-3)


def test_get_nengo_params_errors(Simulator):
    net = trainable_net()
    with net:
        weights_conn = nengo.Connection(
            net.a,
            net.b,
            transform=[[1.0], [1.0]],
            solver=nengo.solvers.LstsqL2(weights=True),
        )
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(ValidationError, match="Ensembles and Connections"):
            sim.get_nengo_params(net.p)
        with pytest.raises(ValidationError, match="weights=True"):
            sim.get_nengo_params([weights_conn])
        with pytest.raises(ValidationError, match="unique labels"):
            sim.get_nengo_params([net.c_in, net.c_bias], as_dict=True)
