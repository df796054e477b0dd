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
@pytest.mark.parametrize("transform", [np.ones((2, 2)), np.arange(1.0, 7.0).reshape(3, 2)])
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
