"""Places where we once differed from nengo.Simulator, compared with it directly."""

import nengo
import numpy as np
import pytest


def run_both(Simulator, net, probes, t=0.05):
    """Probe data of nengo.Simulator and of ours (float64), same seed."""
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(t)
    with Simulator(net, dtype="float64") as sim:
        sim.run(t)
    return [(ref.data[p], sim.data[p]) for p in probes]


# -- 1. filtered probes of read-only (2-D) signals --------------------------------


@pytest.mark.parametrize("raw_probe", [False, True])
@pytest.mark.parametrize("pre_post", ["nodes", "ensembles", "neurons"])
@pytest.mark.parametrize(
    "transform", [np.ones((2, 2)), np.arange(1.0, 7.0).reshape(3, 2)]
)
def test_filtered_weights_probe(Simulator, pre_post, transform, raw_probe):
    """Filtered probe of a weights signal (read-only unless also probed unfiltered)."""
    n_out, n_in = transform.shape
    with nengo.Network(seed=0) as net:
        if pre_post == "nodes":
            a, b = nengo.Node(np.ones(n_in)), nengo.Node(size_in=n_out)
        elif pre_post == "ensembles":
            a, b = nengo.Ensemble(10, n_in), nengo.Ensemble(10, n_out)
        else:
            a, b = nengo.Ensemble(n_in, 1).neurons, nengo.Ensemble(n_out, 1).neurons
        conn = nengo.Connection(a, b, transform=transform)
        nengo.Probe(b)  # more signals in the model: the layout is not trivial
        probes = [nengo.Probe(conn, "weights", synapse=nengo.Lowpass(0.1))]
        if raw_probe:
            probes.append(nengo.Probe(conn, "weights"))
    for ref, ours in run_both(Simulator, net, probes):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)


def test_filtered_probes_of_other_read_only_signals(Simulator):
    with nengo.Network(seed=1) as net:
        ens = nengo.Ensemble(5, 3)
        post = nengo.Node(size_in=3)
        conn = nengo.Connection(ens, post)  # decoders: a (3, 5) weights signal
        probes = [
            nengo.Probe(ens, "scaled_encoders", synapse=0.02),
            nengo.Probe(conn, "weights", synapse=nengo.Alpha(0.01)),
            nengo.Probe(conn, "weights", synapse=nengo.Triangle(0.01)),
            nengo.Probe(post, synapse=0.01),
        ]
    for ref, ours in run_both(Simulator, net, probes):
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)


def test_filtered_weights_probe_minibatch(Simulator):
    transform = np.arange(1.0, 7.0).reshape(3, 2)
    with nengo.Network(seed=0) as net:
        a, b = nengo.Node([1, 2]), nengo.Node(size_in=3)
        conn = nengo.Connection(a, b, transform=transform)
        nengo.Probe(b)
        p = nengo.Probe(conn, "weights", synapse=0.1)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(0.02)
    with Simulator(net, dtype="float64", minibatch_size=3) as sim:
        sim.run(0.02)
    for item in range(3):
        np.testing.assert_allclose(sim.data[p][item], ref.data[p], rtol=0, atol=1e-8)


# -- 3. a Node's output changed after the Simulator was built ------------------------


@pytest.mark.parametrize(
    "new_output",
    [[5.0, 6.0], lambda t: [5.0, 6.0], nengo.processes.WhiteNoise()],
    ids=["array", "function", "process"],
)
def test_node_output_changed_after_build_keeps_built_value(Simulator, new_output):
    with nengo.Network(seed=0) as net:
        node = nengo.Node([1.0, 2.0])
        p = nengo.Probe(node)
    with nengo.Simulator(net, progress_bar=False) as ref, Simulator(net) as sim:
        node.output = new_output
        ref.run_steps(3)
        sim.run_steps(3)
        sim.reset()
        sim.run_steps(2)
    assert np.array_equal(ref.data[p], [[1.0, 2.0]] * 3)
    assert np.array_equal(sim.data[p], [[1.0, 2.0]] * 2)


# -- 2. random TensorFlow ops in a TensorNode follow the Simulator's seed ------------


def random_node_net():
    import tensorflow as tf

    import nengodl_notebook as nengo_dl

    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, -0.5])
        node = nengo_dl.TensorNode(
            lambda x: (
                x + tf.random.uniform(tf.shape(x)) + tf.random.normal(tf.shape(x))
            ),
            shape_in=(2,),
            pass_time=False,
        )
        nengo.Connection(stim, node, synapse=None)
        p = nengo.Probe(node)
    return net, p


def random_run(sim, p, steps=4):
    sim.run_steps(steps)
    return sim.data[p].copy()


def test_tensor_node_randomness_follows_simulator_seed(Simulator):
    net, p = random_node_net()
    with (
        Simulator(net, seed=0, minibatch_size=2) as sim0,
        Simulator(net, seed=0, minibatch_size=2) as again,
        Simulator(net, seed=1, minibatch_size=2) as sim1,
    ):
        first = random_run(sim0, p)
        assert np.array_equal(random_run(again, p), first)  # same seed
        assert not np.allclose(random_run(sim1, p), first)  # another seed
        assert not np.allclose(first[:, 0], first[:, 1])  # fresh numbers each step
        assert not np.allclose(first[0], first[1])  # and each minibatch item
        sim0.reset()
        assert np.array_equal(random_run(sim0, p), first)  # reset: same again
        sim0.reset(seed=1)
        assert np.array_equal(random_run(sim0, p), sim1.data[p])  # = a new sim's
        sim0.reset(seed=0)
        assert np.array_equal(random_run(sim0, p), first)
    assert not sim0._program.jit_compile  # XLA would ignore the seeds


def test_tensor_node_without_random_ops_keeps_xla(Simulator):
    import tensorflow as tf

    import nengodl_notebook as nengo_dl

    with nengo.Network(seed=0) as net:
        node = nengo_dl.TensorNode(lambda t: tf.ones((1, 2)) * t, shape_out=(2,))
        p = nengo.Probe(node)
    with Simulator(net, seed=0) as sim:
        sim.run_steps(3)
        sim.reset(seed=1)
        sim.run_steps(3)
    assert sim._program.jit_compile
    np.testing.assert_allclose(sim.data[p][:, 0], [0.001, 0.002, 0.003], rtol=1e-6)


def test_keras_dropout_follows_simulator_seed(Simulator):
    """Keras random layers (Dropout) in training: the Simulator's seed decides the
    masks (same seed, same losses; another seed, others), and masks change from
    one minibatch to the next."""
    import keras

    import nengodl_notebook as nengo_dl

    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.zeros(8))
        out = nengo_dl.Layer(keras.layers.Dropout(0.5))(inp)
        p = nengo.Probe(out)
    x = np.ones((4, 1, 8))
    data = {inp: x, p: np.zeros((4, 1, 8))}

    def training_losses(seed):
        with Simulator(net, seed=seed, minibatch_size=1) as sim:
            return [
                sim.loss(data, objective={p: nengo_dl.obj.mse}, training=True)
                for _ in range(3)
            ]

    first = training_losses(0)
    assert training_losses(0) == first
    assert training_losses(1) != first
    assert len(set(first)) > 1  # each call draws new masks
