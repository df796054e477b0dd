"""The Simulator's nengo-compatible API: runs, resets, data, minibatches, groups."""

import pickle

import keras
import nengo
import numpy as np
import pytest

import nengodl_notebook


def chain_network(n_copies=1, n_neurons=20, seed=0):
    """``n_copies`` parallel copies of the tutorial's chain (input -> x^2 -> sin)."""
    with nengo.Network(seed=seed) as net:
        probes = []
        for _ in range(n_copies):
            inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
            square = nengo.Ensemble(n_neurons, 1)
            sin = nengo.Ensemble(n_neurons, 1)
            outpt = nengo.Node(size_in=1)
            nengo.Connection(inpt, square)
            nengo.Connection(square, sin, function=np.square)
            nengo.Connection(sin, outpt, function=np.sin)
            probes.append((nengo.Probe(inpt), nengo.Probe(outpt, synapse=0.01)))
    return net, inpt, probes


def test_repeated_runs_continue_and_accumulate(Simulator):
    net, _, [(inpt_p, outpt_p)] = chain_network()
    with Simulator(net, seed=1) as whole:
        whole.run(0.4)
    with Simulator(net, seed=1) as parts:
        parts.run(0.1)
        parts.run_steps(200)
        parts.step()
        parts.run(0.099)
        assert parts.n_steps == 400
        assert np.isclose(parts.time, 0.4)
    assert parts.data[outpt_p].shape == (400, 1)
    assert np.allclose(parts.trange(), whole.trange())
    assert np.allclose(parts.data[outpt_p], whole.data[outpt_p], atol=1e-6)
    assert np.array_equal(parts.data[inpt_p], whole.data[inpt_p])


def test_reset_restores_state_and_seed_changes_inputs(Simulator):
    net, _, [(inpt_p, outpt_p)] = chain_network()
    with Simulator(net, seed=3) as sim:
        sim.run(0.2)
        first = sim.data[outpt_p].copy()
        sim.reset()
        assert sim.n_steps == 0 and sim.data[outpt_p].shape == (0, 1)
        sim.run(0.2)
        assert np.allclose(sim.data[outpt_p], first, atol=1e-6)
        sim.reset(seed=4)
        sim.run(0.2)
        assert not np.allclose(sim.data[inpt_p], sim.data[inpt_p][::-1])
        with nengo.Simulator(net, seed=4, progress_bar=False) as ref:
            ref.run(0.2)
        assert np.allclose(sim.data[inpt_p], ref.data[inpt_p], atol=1e-6)


def test_cached_inputs_repeat_and_continue_like_nengo(Simulator):
    """Time-only inputs are reused by repeated runs; runs that go on still match."""
    net, _, [(inpt_p, _)] = chain_network()
    with nengo.Simulator(net, seed=5, progress_bar=False) as ref:
        ref.run(0.3)
    with Simulator(net, seed=5) as sim:
        for _ in range(2):  # the second time from the cache
            sim.reset()
            sim.run(0.1)
            sim.run(0.2)
            assert np.allclose(sim.data[inpt_p], ref.data[inpt_p], atol=1e-6)
        sim.reset()
        sim.run(0.3)  # a different (start, steps): computed afresh
        assert np.allclose(sim.data[inpt_p], ref.data[inpt_p], atol=1e-6)


def test_python_node_inputs_are_called_every_run(Simulator):
    """Python functions (maybe random or stateful) are not cached, as in nengo."""
    calls = []

    def noisy(t):
        calls.append(t)
        return np.random.uniform(-1, 1)

    with nengo.Network(seed=0) as net:
        node = nengo.Node(noisy)
        probe = nengo.Probe(node)
    with Simulator(net) as sim:
        sim.run_steps(10)
        first, n_calls = sim.data[probe].copy(), len(calls)
        sim.reset()
        sim.run_steps(10)
        assert len(calls) == n_calls + 10
        assert not np.allclose(sim.data[probe], first)


def test_built_parameters_are_nengos(Simulator):
    net, _, _ = chain_network()
    ens = net.ensembles[0]
    conn = net.connections[1]
    with nengo.Simulator(net, progress_bar=False) as ref, Simulator(net) as sim:
        assert np.array_equal(sim.data[ens].encoders, ref.data[ens].encoders)
        assert np.array_equal(sim.data[ens].bias, ref.data[ens].bias)
        assert np.array_equal(sim.data[conn].weights, ref.data[conn].weights)


def test_sample_every_and_trange(Simulator):
    with nengo.Network(seed=0) as net:
        node = nengo.Node(lambda t: np.sin(10 * t))
        p = nengo.Probe(node, sample_every=0.005)
    with Simulator(net) as sim:
        sim.run(0.1)
        sim.run(0.0125)
    t = sim.trange(sample_every=0.005)
    assert sim.data[p].shape == (len(t), 1) == (22, 1)
    assert np.allclose(sim.data[p][:, 0], np.sin(10 * t), atol=1e-6)


def test_minibatch_items_equal_single_runs_given_their_data(Simulator):
    net, inpt, [(inpt_p, outpt_p)] = chain_network()
    n_steps, rng = 150, np.random.RandomState(0)
    data = rng.uniform(-1, 1, size=(3, n_steps, 1))
    with Simulator(net, minibatch_size=3, seed=0) as batched:
        batched.run_steps(n_steps, data={inpt: data})
    assert batched.data[outpt_p].shape == (3, n_steps, 1)
    for item in range(3):
        with Simulator(net, seed=0) as single:
            single.run_steps(n_steps, data={inpt: data[item : item + 1]})
        assert np.allclose(batched.data[inpt_p][item], data[item], atol=1e-7)
        assert np.allclose(batched.data[outpt_p][item], single.data[outpt_p], atol=1e-6)


def test_minibatch_items_get_different_random_inputs(Simulator):
    net, _, [(inpt_p, _)] = chain_network()
    with Simulator(net, minibatch_size=3, seed=0) as sim:
        sim.run(0.5)
    with nengo.Simulator(net, seed=0, progress_bar=False) as ref:
        ref.run(0.5)
    x = sim.data[inpt_p]
    assert np.allclose(x[0], ref.data[inpt_p], atol=1e-6)  # item 0 is nengo's
    assert not np.allclose(x[1], x[0]) and not np.allclose(x[2], x[1])


def test_data_overrides_constant_and_function_nodes(Simulator):
    with nengo.Network(seed=0) as net:
        const = nengo.Node([0.5, -0.5])
        func = nengo.Node(lambda t: t)
        p_const = nengo.Probe(const)
        p_func = nengo.Probe(func)
    with Simulator(net) as sim:
        sim.run_steps(5)
        assert np.allclose(sim.data[p_const], [[0.5, -0.5]] * 5)
        ramp = np.linspace(0, 1, 5)[None, :, None]
        sim.run_steps(5, data={const: np.tile(ramp, (1, 1, 2)), func: -ramp})
        sim.run_steps(5)
    assert np.allclose(sim.data[p_const][5:10, 1], ramp.ravel())
    assert np.allclose(sim.data[p_func][5:10, 0], -ramp.ravel())
    assert np.allclose(sim.data[p_const][10:], [[0.5, -0.5]] * 5)  # back to normal
    assert np.allclose(sim.data[p_func][10:, 0], sim.trange()[10:])


def test_op_groups_do_not_grow_with_copies(Simulator):
    one, _, _ = chain_network(n_copies=1)
    fifty, _, _ = chain_network(n_copies=50)
    with Simulator(one) as sim_one, Simulator(fifty) as sim_fifty:
        assert sim_one.n_op_groups == sim_fifty.n_op_groups
        assert len(fifty.all_ensembles) == 100


def test_same_length_runs_do_not_retrace(Simulator):
    net, _, _ = chain_network()
    with Simulator(net) as sim:
        sim.run(0.1)
        traces = sim._program._run.experimental_get_tracing_count()
        sim.run(0.1)
        sim.reset()
        sim.run(0.1)
        assert sim._program._run.experimental_get_tracing_count() == traces


def test_progress_bars_print_summaries(capsys):
    net, _, _ = chain_network()
    with nengodl_notebook.Simulator(net, progress_bar=True) as sim:
        sim.run(0.01)
    out = capsys.readouterr().out
    for phase in ("Build", "Optimization", "Construction", "Simulation"):
        assert f"{phase} finished in 0:00:" in out
    with nengodl_notebook.Simulator(net, progress_bar=False) as sim:
        sim.run(0.01)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_python_node_with_input_matches_nengo(Simulator):
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(lambda t: np.sin(8 * t))
        ens = nengo.Ensemble(30, 1)
        square = nengo.Node(lambda t, x: x**2 + t, size_in=1)
        nengo.Connection(stim, ens)
        nengo.Connection(ens, square, synapse=0.01)
        p = nengo.Probe(square)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(0.2)
    with pytest.warns(UserWarning, match="numpy_function"):
        sim = Simulator(net, dtype="float64")
    with sim:
        sim.run(0.2)
    assert np.allclose(sim.data[p], ref.data[p], atol=1e-10)


def test_pickled_simulator_continues_where_it_stopped(Simulator):
    """A pickle keeps state, time, probe data, learned weights and parameters."""
    import pickle

    with nengo.Network(seed=3) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        a = nengo.Ensemble(30, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, a)
        conn = nengo.Connection(a, out, learning_rule_type=nengo.PES(1e-3))
        nengo.Connection(out, conn.learning_rule)
        nengo.Connection(stim, conn.learning_rule, transform=-1)
        p = nengo.Probe(out, synapse=0.01)
        w = nengo.Probe(conn, "weights", sample_every=0.05)
    with Simulator(net, seed=4, minibatch_size=2, dtype="float64") as sim:
        sim.run(0.3)
        saved = pickle.dumps({"sim": sim, "p": p, "w": w})
        sim.run(0.3)
        whole_p, whole_w = sim.data[p], sim.data[w]
    loaded = pickle.loads(saved)
    with loaded["sim"] as copy:
        assert copy.n_steps == 300 and copy.seed == 4 and copy.minibatch_size == 2
        assert copy.data[loaded["p"]].shape == (2, 300, 1)
        copy.run(0.3)
        assert np.array_equal(copy.data[loaded["p"]], whole_p)
        assert np.array_equal(copy.data[loaded["w"]], whole_w)
    assert pickle.loads(pickle.dumps(copy)).closed


def test_nengo_backend_entry_point():
    """Tools that list nengo backends (``nengo.backends`` entry points) find us."""
    from importlib.metadata import entry_points

    found = [ep.load() for ep in entry_points(group="nengo.backends")]
    assert nengodl_notebook.Simulator in found


def test_minibatch_size_reads_one_when_not_given():
    """NengoDL 3: ``sim.minibatch_size`` is 1 without the argument, while probe
    data keeps nengo's shape ``(n_steps, size)``; given 1, data has a batch axis."""
    with nengo.Network(seed=0) as net:
        node = nengo.Node([0.5])
        probe = nengo.Probe(node)
    with nengodl_notebook.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(3)
        assert sim.minibatch_size == 1
        assert sim.data[probe].shape == (3, 1)
        copy = pickle.loads(pickle.dumps(sim))
        copied_probe = copy.model.probes[0]  # the pickle holds a copy of the network
        assert copy.minibatch_size == 1 and copy.data[copied_probe].shape == (3, 1)
    with nengodl_notebook.Simulator(net, minibatch_size=1, progress_bar=False) as sim:
        sim.run_steps(3)
        assert sim.minibatch_size == 1
        assert sim.data[probe].shape == (1, 3, 1)


def test_data_get_params_gives_current_values():
    """``sim.data.get_params((obj, attr), ...)`` as NengoDL: trained values."""
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([0.5])
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.LIFRate())
        conn = nengo.Connection(inp, ens, synapse=None)
        out = nengo.Node(size_in=1)
        conn_out = nengo.Connection(ens, out, synapse=None)
        probe = nengo.Probe(out)
    with nengodl_notebook.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        weights, bias = sim.data.get_params((conn_out, "weights"), (ens, "bias"))
        np.testing.assert_array_equal(weights, sim.data[conn_out].weights)
        np.testing.assert_array_equal(bias, sim.data[ens].bias)
        sim.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        x, y = np.ones((2, 1, 1)), np.zeros((2, 1, 1))
        sim.fit({inp: x}, {probe: y}, epochs=2, verbose=0)
        (trained,) = sim.data.get_params((conn_out, "weights"))
        assert not np.allclose(trained, weights)
        np.testing.assert_array_equal(trained, sim.data[conn_out].weights)
        with pytest.raises(nengo.exceptions.ValidationError, match="no built param"):
            sim.data.get_params((conn, "nonsense"))
        with pytest.raises(nengo.exceptions.ValidationError, match="pairs"):
            sim.data.get_params(conn)
        with pytest.raises(nengo.exceptions.ValidationError, match="not an object"):
            sim.data.get_params((nengo.Ensemble(1, 1, add_to_container=False), "bias"))
