"""``sim.keras_model``: a Keras model of the simulation, giving predict's numbers."""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulatorClosed


def two_input_net():
    with nengo.Network(seed=2) as net:
        net.a = nengo.Node([0.3], label="stim")
        net.b = nengo.Node(nengo.processes.WhiteSignal(1, high=5), size_out=2)
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIF())
        nengo.Connection(net.a, net.ens)
        nengo.Connection(net.b, net.ens, transform=[[0.3, -0.3]])
        net.p = nengo.Probe(net.ens, synapse=0.01, label="decoded")
        net.p_spikes = nengo.Probe(net.ens.neurons, sample_every=0.003)
    return net


def data(shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def test_inputs_outputs_and_summary(Simulator):
    net = two_input_net()
    with Simulator(net) as sim:
        model = sim.keras_model
        assert isinstance(model, keras.Model)
        assert [tuple(x.shape) for x in model.inputs] == [
            (None, None, 1),
            (None, None, 2),
        ]
        assert [x.name for x in model.inputs] == ["stim", "node"]
        assert [tuple(x.shape) for x in model.outputs] == [
            (None, None, 1),
            (None, None, 20),
        ]
        assert model.output_names == ["decoded", "probe"]
        lines = []
        model.summary(print_fn=lines.append)
        text = "\n".join(lines)
        assert "(SimulationLayer)" in text and "decoded" in text
        assert sim.keras_model is model  # made once


def test_call_gives_the_numbers_of_predict(Simulator):
    net = two_input_net()
    x = [data((4, 12, 1)), data((4, 12, 2), seed=1)]
    with Simulator(net, minibatch_size=2) as sim:
        expected = sim.predict({net.a: x[0], net.b: x[1]})
        out = sim.keras_model(x)
        np.testing.assert_array_equal(np.asarray(out[0]), expected[net.p])
        np.testing.assert_array_equal(np.asarray(out[1]), expected[net.p_spikes])
        assert out[1].shape == (4, 4, 20)  # sample_every: steps 3, 6, 9, 12
        predicted = sim.keras_model.predict(x, batch_size=2, verbose=0)
        np.testing.assert_array_equal(predicted[0], expected[net.p])


def test_call_leaves_the_simulator_alone(Simulator):
    net = two_input_net()
    with Simulator(net) as sim:
        sim.run_steps(5)
        before = sim.data[net.p].copy()
        sim.keras_model([data((1, 8, 1)), data((1, 8, 2))])
        assert sim.n_steps == 5
        sim.run_steps(5)
        np.testing.assert_array_equal(sim.data[net.p][:5], before)
    with Simulator(net) as ref:
        ref.run_steps(10)
    np.testing.assert_array_equal(sim.data[net.p], ref.data[net.p])


def test_gradients_flow_through_the_model(Simulator):
    with nengo.Network(seed=0) as net:
        a = nengo.Node([0.0])
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(a, ens, synapse=None)
        p = nengo.Probe(ens)
    with Simulator(net) as sim:
        x = tf.constant(data((1, 5, 1)))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = sim.keras_model(x)
        grad = tape.gradient(y, x)
        assert np.abs(np.asarray(grad)).max() > 0.1
        assert sim.data[p].shape == (0, 1)


def test_network_without_inputs_takes_steps(Simulator):
    with nengo.Network(seed=0) as net:
        ens = nengo.Ensemble(10, 1, noise=nengo.processes.WhiteNoise())
        p = nengo.Probe(ens, synapse=0.01)
    with Simulator(net, minibatch_size=2) as sim:
        assert [x.name for x in sim.keras_model.inputs] == ["steps"]
        out = sim.keras_model(np.zeros((2, 7, 0), np.float32))
        np.testing.assert_array_equal(np.asarray(out), sim.predict(n_steps=7)[p])


def test_float64(Simulator):
    net = two_input_net()
    with Simulator(net, dtype="float64") as sim:
        assert sim.keras_model.outputs[0].dtype == "float64"
        x = [data((1, 6, 1)).astype(np.float64), data((1, 6, 2)).astype(np.float64)]
        expected = sim.predict({net.a: x[0], net.b: x[1]})[net.p]
        np.testing.assert_array_equal(np.asarray(sim.keras_model(x)[0]), expected)


def test_bad_batch_and_closed(Simulator):
    net = two_input_net()
    with Simulator(net, minibatch_size=2) as sim:
        with pytest.raises(ValueError, match="not a multiple.*minibatch_size"):
            sim.keras_model([data((3, 4, 1)), data((3, 4, 2))])
        out = sim.keras_model([data((2, 4, 1)), data((2, 4, 2))])  # still works
        assert out[0].shape == (2, 4, 1)
    with pytest.raises(SimulatorClosed):
        sim.keras_model  # noqa: B018 (the property raises)
