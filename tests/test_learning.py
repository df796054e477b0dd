"""Online learning rules (PES, BCM, Oja, Voja, RLS) against ``nengo.Simulator``.

Each network is run for 1 s of learning in both simulators with the same seeds,
and every probe (outputs, learned weights or encoders, the rules' own signals) is
compared with the rules of ``reference.compare_all`` (float64 to 1e-8, float32 to
1e-4 before the first spike flip). With ``minibatch_size=4`` every item, given its
own input signal through ``data=``, must equal ``nengo.Simulator`` playing that
signal (each item learns on its own copy of the weights).
"""

import nengo
import numpy as np
import pytest
from reference import (
    DT,
    SIM_SEED,
    add_spike_probes,
    compare_all,
    run_ours,
    run_reference,
)

import nengodl_notebook

RUN_TIME = 1.0
LEARNING = {}


def learning_network(factory):
    """Register ``factory(stim_output) -> (net, stim_node, probes)``."""
    LEARNING[factory.__name__] = factory
    return factory


def sine(t):
    return [np.sin(2 * np.pi * t), 0.5 * np.cos(2 * np.pi * 2 * t)]


@learning_network
def pes_decoders(stim_output=sine):
    """PES on decoders, error computed by an ensemble (nengo's learning example)."""
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(stim_output, size_out=2)
        pre = nengo.Ensemble(40, 2)
        post = nengo.Ensemble(40, 2)
        error = nengo.Ensemble(40, 2)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(
            pre,
            post,
            function=lambda x: [0, 0],
            learning_rule_type=nengo.PES(learning_rate=3e-4),
        )
        nengo.Connection(post, error)
        nengo.Connection(stim, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", sample_every=0.01),
            "delta": nengo.Probe(conn.learning_rule, "delta", sample_every=0.01),
            "error": nengo.Probe(conn.learning_rule, "error", synapse=0.005),
        }
    return net, stim, probes


@learning_network
def pes_neurons_pre_synapse(stim_output=sine):
    """PES on neuron-to-neuron weights, an Alpha pre_synapse, error from a Node."""
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(stim_output, size_out=2)
        pre = nengo.Ensemble(30, 2)
        post = nengo.Ensemble(25, 1)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(
            pre.neurons,
            post.neurons,
            transform=np.zeros((25, 30)),
            learning_rule_type=nengo.PES(
                learning_rate=1e-4, pre_synapse=nengo.Alpha(0.005)
            ),
        )
        err = nengo.Node(lambda t, x: x - np.sin(4 * t), size_in=1)
        nengo.Connection(post, err, synapse=0.01)
        nengo.Connection(err, conn.learning_rule)
        probes = {
            "post": nengo.Probe(post.neurons, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", sample_every=0.02),
            "activities": nengo.Probe(conn.learning_rule, "activities", synapse=0.01),
        }
    return net, stim, probes


@learning_network
def pes_weight_solver(stim_output=sine):
    """PES on a full weight matrix (solver weights=True): error through encoders."""
    with nengo.Network(seed=3) as net:
        stim = nengo.Node(stim_output, size_out=2)
        pre = nengo.Ensemble(30, 2)
        post = nengo.Ensemble(30, 2)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(
            pre,
            post,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=nengo.PES(learning_rate=5e-4),
        )
        nengo.Connection(post, conn.learning_rule)
        nengo.Connection(
            stim, conn.learning_rule, transform=np.array([[0.5, 0], [0, -1]])
        )
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", sample_every=0.02),
        }
    return net, stim, probes


@learning_network
def bcm_and_oja(stim_output=sine):
    """BCM and Oja on neuron-to-neuron weights, and both rules on one connection."""
    with nengo.Network(seed=4) as net:
        stim = nengo.Node(stim_output, size_out=2)
        pre = nengo.Ensemble(20, 2)
        post = nengo.Ensemble(15, 2)
        nengo.Connection(stim, pre)
        rng = np.random.RandomState(0)
        w = rng.uniform(-1e-3, 1e-3, (15, 20))
        bcm = nengo.Connection(
            pre.neurons,
            post.neurons,
            transform=w,
            learning_rule_type=nengo.BCM(learning_rate=1e-8),
        )
        oja = nengo.Connection(
            pre.neurons,
            post.neurons,
            transform=w,
            learning_rule_type=nengo.Oja(learning_rate=1e-7, beta=0.5),
        )
        both = nengo.Connection(
            pre.neurons,
            post.neurons,
            transform=w,
            learning_rule_type=[
                nengo.BCM(learning_rate=5e-9),
                nengo.Oja(learning_rate=5e-8),
            ],
        )
        probes = {
            "post": nengo.Probe(post.neurons, synapse=0.01),
            "bcm": nengo.Probe(bcm, "weights", sample_every=0.02),
            "oja": nengo.Probe(oja, "weights", sample_every=0.02),
            "both": nengo.Probe(both, "weights", sample_every=0.02),
            "theta": nengo.Probe(bcm.learning_rule, "theta", sample_every=0.02),
        }
    return net, stim, probes


@learning_network
def voja_and_pes(stim_output=sine):
    """Voja on encoders with a learning signal, plus PES on the same post ensemble
    (nengo's learning-associations example)."""
    with nengo.Network(seed=5) as net:
        stim = nengo.Node(stim_output, size_out=2)
        target = nengo.Node(lambda t: np.sign(np.sin(2 * np.pi * t)))
        learning = nengo.Node(lambda t: float(t < 0.7))
        pre = nengo.Ensemble(30, 2, intercepts=nengo.dists.Uniform(0.2, 0.6))
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, pre, synapse=None)
        voja = nengo.Voja(learning_rate=5e-2, post_synapse=None)
        enc = nengo.Connection(stim, pre, learning_rule_type=voja, synapse=None)
        nengo.Connection(learning, enc.learning_rule, synapse=None)
        pes = nengo.Connection(
            pre, out, function=lambda x: 0, learning_rule_type=nengo.PES(1e-3)
        )
        nengo.Connection(target, pes.learning_rule, transform=-1)
        nengo.Connection(out, pes.learning_rule)
        probes = {
            "out": nengo.Probe(out, synapse=0.01),
            "encoders": nengo.Probe(pre.neurons, "input", synapse=0.01),
            "scaled": nengo.Probe(
                enc.learning_rule, "scaled_encoders", sample_every=0.02
            ),
            "decoders": nengo.Probe(pes, "weights", sample_every=0.02),
        }
    return net, stim, probes


@learning_network
def rls_decoders(stim_output=sine):
    """RLS on decoders with a pre_synapse, error from the output minus a target."""
    with nengo.Network(seed=6) as net:
        stim = nengo.Node(stim_output, size_out=2)
        pre = nengo.Ensemble(25, 2)
        post = nengo.Node(size_in=1)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(
            pre,
            post,
            function=lambda x: 0,
            learning_rule_type=nengo.RLS(
                learning_rate=1e-3, pre_synapse=nengo.Lowpass(0.005)
            ),
        )
        nengo.Connection(post, conn.learning_rule)
        nengo.Connection(stim[0], conn.learning_rule, function=np.square, transform=-1)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", sample_every=0.02),
            "inv_gamma": nengo.Probe(conn.learning_rule, "inv_gamma", sample_every=0.1),
        }
    return net, stim, probes


def run_and_compare(name, net, probes, dtype, **kwargs):
    spike_probes = add_spike_probes(net)
    all_probes = dict(probes)
    all_probes.update({k: p for k, (p, _) in spike_probes.items()})
    ref = run_reference(net, all_probes, RUN_TIME)
    ours = run_ours(net, all_probes, RUN_TIME, dtype, **kwargs)
    return compare_all(name, ref, ours, all_probes, dtype, DT, spike_probes), ref


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(LEARNING))
def test_learning_matches_nengo(name, dtype):
    net, _, probes = LEARNING[name]()
    failures, ref = run_and_compare(name, net, probes, dtype)
    assert not failures, f"{name}[{dtype}] differs from nengo:\n  " + "\n  ".join(
        failures
    )
    # the comparison means something only if learning changed the weights
    learned = [
        k
        for k in probes
        if k in ("weights", "bcm", "oja", "both", "decoders", "scaled")
    ]
    for key in learned:
        assert np.abs(ref[key][-1] - ref[key][0]).max() > 1e-6, f"{key} did not learn"


def item_signals(n_items, n_steps):
    """Different 2-d input signals, ``(n_items, n_steps, 2)``."""
    t = np.arange(1, n_steps + 1) * DT
    return np.stack(
        [
            np.stack(
                [np.sin(2 * np.pi * (i + 1) * t), 0.6 * np.cos(2 * np.pi * t + i)], -1
            )
            for i in range(n_items)
        ]
    )


@pytest.mark.parametrize(
    "name, dtype",
    [
        ("pes_decoders", "float64"),
        ("bcm_and_oja", "float64"),
        ("voja_and_pes", "float64"),
        ("rls_decoders", "float64"),
        ("pes_weight_solver", "float32"),
    ],
)
def test_minibatch_items_learn_independently(name, dtype):
    mb, n_steps = 4, int(round(RUN_TIME / DT))
    data = item_signals(mb, n_steps)
    net, stim, probes = LEARNING[name](np.zeros(2))
    spike_probes = add_spike_probes(net)
    all_probes = dict(probes)
    all_probes.update({k: p for k, (p, _) in spike_probes.items()})
    with nengodl_notebook.Simulator(
        net, seed=SIM_SEED, progress_bar=False, dtype=dtype, minibatch_size=mb
    ) as sim:
        sim.run_steps(n_steps, data={stim: data})
        batched = {
            k: np.asarray(sim.data[p], dtype=np.float64) for k, p in all_probes.items()
        }
        trange = sim.trange().reshape(-1, 1)
    failures = []
    for i in range(mb):
        ref_net, _, ref_probes = LEARNING[name](
            lambda t, i=i: data[i][int(round(t / DT)) - 1]
        )
        ref_spikes = add_spike_probes(ref_net)
        ref_all = dict(ref_probes)
        ref_all.update({k: p for k, (p, _) in ref_spikes.items()})
        ref = run_reference(ref_net, ref_all, RUN_TIME)
        item = {k: v[i] for k, v in batched.items()}
        item["__trange"] = trange
        failures += [
            f"item {i}: {f}"
            for f in compare_all(
                f"{name} item {i}", ref, item, ref_all, dtype, DT, ref_spikes
            )
        ]
    assert not failures, f"{name}[minibatch {mb}, {dtype}]:\n  " + "\n  ".join(failures)
    weights = [k for k in probes if k in ("weights", "bcm", "decoders")]
    for key in weights:  # the items really learned different weights
        assert np.abs(batched[key][0, -1] - batched[key][1, -1]).max() > 1e-6


def test_reset_restores_initial_weights(Simulator):
    net, _, probes = pes_decoders()
    with Simulator(net, seed=SIM_SEED, dtype="float64") as sim:
        sim.run(0.5)
        first = np.array(sim.data[probes["weights"]])
        weights_sig = sim.model.sig[
            next(c for c in net.all_connections if c.learning_rule)
        ]["weights"]
        learned = sim.signals[weights_sig]
        sim.reset()
        assert np.array_equal(sim.signals[weights_sig], weights_sig.initial_value)
        assert not np.allclose(learned, weights_sig.initial_value)
        sim.run(0.5)
        assert np.array_equal(sim.data[probes["weights"]], first)


def test_built_weights_are_nengos(Simulator):
    """``sim.data[conn].weights`` is the built (initial) value, as in nengo."""
    net, _, probes = pes_decoders()
    conn = next(c for c in net.all_connections if c.learning_rule)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(0.1)
    with Simulator(net, dtype="float64") as sim:
        sim.run(0.1)
        assert np.array_equal(sim.data[conn].weights, ref.data[conn].weights)
        assert np.allclose(
            sim.data[probes["weights"]][-1], ref.data[probes["weights"]][-1]
        )


def pes_training_network():
    """A trainable PES connection whose output is a training target."""
    with nengo.Network(seed=7) as net:
        nengodl_notebook.configure_settings(trainable=False)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(30, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, ens)
        conn = nengo.Connection(
            ens, out, function=lambda x: 0, learning_rule_type=nengo.PES(1e-4)
        )
        net.config[conn].trainable = True
        err = nengo.Node(size_in=1)
        nengo.Connection(out, err)
        nengo.Connection(stim, err, transform=-1)
        nengo.Connection(err, conn.learning_rule)
        probe = nengo.Probe(out)
        weights = nengo.Probe(conn, "weights")
    return net, stim, conn, probe, weights


def test_gradient_training_with_a_learning_rule(Simulator):
    """Training optimizes the *initial* weights; PES still runs in every sequence."""
    import keras

    net, stim, conn, probe, weights = pes_training_network()
    x = np.linspace(-0.8, 0.8, 32)[:, None, None] * np.ones((1, 20, 1))
    data = {stim: x, probe: 0.5 * x}
    with Simulator(net, minibatch_size=8, seed=0) as sim:
        initial = np.array(sim.data[conn].weights)
        before = sim.loss(data, objective={probe: nengodl_notebook.obj.mse})
        sim.train(
            data,
            keras.optimizers.Adam(1e-4),
            objective={probe: nengodl_notebook.obj.mse},
            n_epochs=10,
        )
        after = sim.loss(data, objective={probe: nengodl_notebook.obj.mse})
        trained = np.array(sim.data[conn].weights)
        assert after < 0.5 * before
        assert not np.allclose(trained, initial)
        # a run starts from the trained weights and PES keeps changing them
        sim.run_steps(50, data={stim: np.full((8, 50, 1), 0.5)})
        w = sim.data[weights]
        assert np.allclose(w[:, 0], trained, atol=1e-3)
        assert np.abs(w[:, -1] - w[:, 0]).max() > 1e-7
        sim.reset(include_trainable=False)
        assert np.allclose(sim.signals[sim.model.sig[conn]["weights"]], trained)
