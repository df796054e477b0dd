"""``sim.check_gradients``: analytic gradients against finite differences."""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

import nengodl_notebook as nengo_dl


def rate_net(neuron_type=None):
    with nengo.Network(seed=3) as net:
        net.a = nengo.Node([0.2], label="a")
        net.b = nengo.Node([0.1, -0.1], label="b")
        net.ens = nengo.Ensemble(
            30, 1, neuron_type=neuron_type or nengo.RectifiedLinear()
        )
        nengo.Connection(net.a, net.ens, synapse=None)
        nengo.Connection(net.b, net.ens, transform=[[0.5, -0.5]], synapse=0.01)
        net.out = nengo.Node(size_in=1)
        nengo.Connection(net.ens, net.out, synapse=0.005)
        net.p = nengo.Probe(net.out)
        net.p_neurons = nengo.Probe(net.ens.neurons[:3])
    return net


def inputs(net, n_steps=6, batch=1, seed=0):
    rng = np.random.RandomState(seed)
    return [
        rng.uniform(-0.8, 0.8, (batch, n_steps, 1)),
        rng.uniform(-0.8, 0.8, (batch, n_steps, 2)),
    ]


def test_rate_network_passes_with_nonzero_gradients(Simulator):
    net = rate_net()
    with Simulator(net, dtype="float64") as sim:
        grads = sim.check_gradients(inputs(net))
    assert set(grads) == {net.p, net.p_neurons}
    analytic = grads[net.p]["analytic"]
    assert [a.shape for a in analytic] == [(6, 6), (6, 12)]  # outputs x inputs
    assert np.abs(analytic[0]).max() > 0.01 and np.abs(analytic[1]).max() > 0.01
    for a, n in zip(analytic, grads[net.p]["numeric"]):
        np.testing.assert_allclose(a, n, atol=1e-6, rtol=1e-4)


def test_spiking_lif_is_checked_as_its_rate_twin(Simulator):
    net = rate_net(nengo.LIF())
    with Simulator(net, dtype="float64", minibatch_size=2) as sim:
        grads = sim.check_gradients(inputs(net, batch=2), outputs=[net.p])
    assert list(grads) == [net.p]
    assert np.abs(grads[net.p]["analytic"][0]).max() > 0.01


def test_float32_with_looser_tolerances(Simulator):
    net = rate_net()
    with Simulator(net) as sim:
        grads = sim.check_gradients(inputs(net), atol=1e-3, rtol=1e-2)
    assert grads[net.p]["analytic"][0].dtype == np.float32


def test_wrong_custom_gradient_fails(Simulator):
    @tf.custom_gradient
    def double_gradient(x):
        return x, lambda dy: 2 * dy  # the true gradient of identity is dy

    with nengo.Network() as net:
        a = nengo.Node([0.0])
        node = nengo_dl.TensorNode(
            lambda x: double_gradient(x), shape_in=(1,), pass_time=False
        )
        nengo.Connection(a, node, synapse=None)
        p = nengo.Probe(node)
    with Simulator(net, dtype="float64") as sim:
        with pytest.raises(SimulationError, match="Gradient check failed for .*Probe"):
            sim.check_gradients([np.full((1, 3, 1), 0.3)])
        sim.run_steps(3)  # still usable
        np.testing.assert_allclose(sim.data[p], 0)


def test_check_leaves_the_simulator_as_it_was(Simulator):
    net = rate_net()
    with Simulator(net, dtype="float64") as sim:
        sim.run_steps(10)
        before = sim.data[net.p].copy()
        sim.check_gradients(inputs(net))
        assert sim.n_steps == 10
        np.testing.assert_array_equal(sim.data[net.p], before)
        sim.run_steps(5)
    with Simulator(net, dtype="float64") as ref:
        ref.run_steps(15)
        np.testing.assert_array_equal(sim.data[net.p], ref.data[net.p])


def test_default_inputs_are_zeros_for_two_steps(Simulator):
    net = rate_net()
    with Simulator(net, dtype="float64") as sim:
        grads = sim.check_gradients()
    assert [a.shape for a in grads[net.p]["analytic"]] == [(2, 2), (2, 4)]


@pytest.mark.parametrize(
    "bad, match",
    [
        ([np.zeros((1, 4, 1))], "list of 2 arrays"),
        (
            [np.zeros((1, 4, 1)), np.zeros((1, 4, 3))],
            r"inputs for <Node 'b'>.*\(1, 4, 2\)",
        ),
        ([np.zeros((2, 4, 1)), np.zeros((2, 4, 2))], r"\(1, 4, 1\)"),
        (np.zeros((1, 4, 1)), "list of 2 arrays"),
    ],
)
def test_bad_inputs_are_refused(bad, match, Simulator):
    net = rate_net()
    with Simulator(net) as sim:
        with pytest.raises(ValidationError, match=match):
            sim.check_gradients(bad)
        with nengo.Network():
            other = nengo.Probe(nengo.Node(0))
        with pytest.raises(ValidationError, match="not a probe of this"):
            sim.check_gradients(outputs=[other])
        sim.check_gradients(inputs(net), atol=1e-3, rtol=1e-2)  # still works


def test_inference_only_refuses(Simulator):
    net = rate_net()
    with net:
        nengo_dl.configure_settings(inference_only=True)
    with Simulator(net) as sim:
        with pytest.raises(SimulationError, match="inference_only"):
            sim.check_gradients()
