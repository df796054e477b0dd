"""Layer: Keras layers, functions and neuron types in one line, as in NengoDL 3.6."""

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.config import trainable_objects

X = np.linspace(-1, 1, 6)


def spiking_net():
    """Spiking-MNIST style: Dense -> LIF neurons -> Dense, built with Layer."""
    keras.utils.set_random_seed(0)
    with nengo.Network(seed=0) as net:
        net.config[nengo.Ensemble].max_rates = nengo.dists.Choice([100])
        net.config[nengo.Ensemble].intercepts = nengo.dists.Choice([0])
        net.inp = nengo.Node(X)
        net.dense1 = keras.layers.Dense(8, bias_initializer="uniform")
        x = nengo_dl.Layer(net.dense1)(net.inp)
        net.neurons, net.conn = nengo_dl.Layer(nengo.LIF(amplitude=0.01))(
            x,
            return_conn=True,
            label="lif",
            seed=3,  # Ensemble arguments
        )
        net.dense2 = keras.layers.Dense(3, bias_initializer="uniform")
        out = nengo_dl.Layer(net.dense2)(net.neurons)
        net.p_spikes = nengo.Probe(net.neurons)
        net.p = nengo.Probe(out, synapse=0.01)
    return net


def by_hand(net):
    """The same network from nengo objects only (Dense = transform + bias Node)."""
    (w1, b1), (w2, b2) = net.dense1.get_weights(), net.dense2.get_weights()
    with nengo.Network(seed=0) as ref:
        inp = nengo.Node(X)
        dense1 = nengo.Node(size_in=8)
        nengo.Connection(inp, dense1, transform=w1.T, synapse=None)
        nengo.Connection(nengo.Node(b1), dense1, synapse=None)
        ens = nengo.Ensemble(
            8,
            1,
            neuron_type=nengo.LIF(amplitude=0.01),
            max_rates=nengo.dists.Choice([100]),
            intercepts=nengo.dists.Choice([0]),
            seed=3,  # the initial voltages follow it
        )
        nengo.Connection(dense1, ens.neurons, synapse=None)
        dense2 = nengo.Node(size_in=3)
        nengo.Connection(ens.neurons, dense2, transform=w2.T, synapse=None)
        nengo.Connection(nengo.Node(b2), dense2, synapse=None)
        ref.ens = ens
        ref.p_spikes = nengo.Probe(ens.neurons)
        ref.p = nengo.Probe(dense2, synapse=0.01)
    return ref


def test_neuron_layer_is_an_ensembles_neurons():
    net = spiking_net()
    neurons, conn = net.neurons, net.conn
    assert isinstance(neurons, nengo.ensemble.Neurons)
    ens = neurons.ensemble
    assert ens.n_neurons == 8 and ens.dimensions == 1
    assert ens.label == "lif" and ens.seed == 3
    assert ens.neuron_type == nengo.LIF(amplitude=0.01)
    assert conn.post is neurons and conn.synapse is None
    assert ens in net.ensembles and conn in net.connections


def test_spiking_layers_match_nengo_by_hand(Simulator):
    net = spiking_net()
    with Simulator(net) as sim:
        sim.run_steps(200)
    ref = by_hand(net)
    with nengo.Simulator(ref, progress_bar=False) as ref_sim:
        ref_sim.run_steps(200)
    ens = net.neurons.ensemble
    np.testing.assert_allclose(sim.data[ens].gain, ref_sim.data[ref.ens].gain)
    np.testing.assert_allclose(sim.data[ens].bias, ref_sim.data[ref.ens].bias)
    spikes = sim.data[net.p_spikes]
    assert spikes.sum() > 0  # the neurons fire
    # the same spikes at the same steps (heights 1/dt * amplitude in float32)
    np.testing.assert_allclose(spikes, ref_sim.data[ref.p_spikes], rtol=1e-6)
    np.testing.assert_allclose(sim.data[net.p], ref_sim.data[ref.p], atol=1e-5)


def test_layer_size_from_shape_in_and_transform():
    with nengo.Network():
        inp = nengo.Node(np.zeros(12))
        by_shape = nengo_dl.Layer(nengo.RectifiedLinear())(inp, shape_in=(3, 4))
        by_transform = nengo_dl.Layer(nengo.RectifiedLinear())(
            inp,
            np.ones((5, 12)),  # transform: NengoDL's second positional argument
        )
        node = nengo_dl.Layer(keras.layers.Dense(2))(inp, shape_in=(3, 4))
    assert by_shape.size_in == 12 and by_transform.size_in == 5
    assert node.shape_in == (3, 4) and node.shape_out == (3, 2)
    assert str(nengo_dl.Layer(nengo.LIF())) == "Layer(LIF())"
    with nengo.Network():
        with pytest.raises(ValidationError, match="Layer needs"):
            nengo_dl.Layer(3)


def test_layer_connections_are_not_trainable():
    net = spiking_net()
    conns = [c for c in net.all_connections]
    assert all(net.config[c].trainable is False for c in conns)
    trainable = trainable_objects(net)
    assert not any(trainable[c] for c in conns)
    assert all(trainable[tn] for tn in net.nodes if isinstance(tn, nengo_dl.TensorNode))


def test_training_leaves_layer_connections_unchanged(Simulator):
    """Decoders and a transform made by Layer stay bit for bit; Keras weights train."""
    keras.utils.set_random_seed(1)
    with nengo.Network(seed=1) as net:
        inp = nengo.Node(np.zeros(2))
        ens = nengo.Ensemble(20, 2, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(inp, ens, synapse=None)
        relu, conn_w = nengo_dl.Layer(nengo.RectifiedLinear())(
            inp, transform=np.ones((4, 2)), return_conn=True
        )
        dense = keras.layers.Dense(1)
        out_a, conn_d = nengo_dl.Layer(dense)(ens, return_conn=True)
        out_b = nengo_dl.Layer(keras.layers.Dense(1))(relu)
        p_a, p_b = nengo.Probe(out_a), nengo.Probe(out_b)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (32, 1, 2))
    y = x[..., :1] * x[..., 1:]
    with Simulator(net, minibatch_size=16) as sim:
        decoders0 = sim.data[conn_d].weights.copy()
        transform0 = sim.data[conn_w].weights.copy()
        kernel0 = dense.kernel.numpy().copy()
        sim.compile(keras.optimizers.Adam(0.05), loss={p_a: "mse", p_b: "mse"})
        sim.fit({inp: x}, {p_a: y, p_b: y}, epochs=3, verbose=0)
        np.testing.assert_array_equal(sim.data[conn_d].weights, decoders0)
        np.testing.assert_array_equal(sim.data[conn_w].weights, transform0)
        assert sim._store.changed  # the ensemble's encoders/biases did train
    assert not np.allclose(dense.kernel.numpy(), kernel0)


def test_layer_inside_a_subnetwork_sets_its_own_config():
    with nengo.Network() as net:
        with nengo.Network() as sub:
            inp = nengo.Node([0.0])
            _, conn = nengo_dl.Layer(nengo.LIF())(inp, return_conn=True)
    assert sub.config[conn].trainable is False
    assert trainable_objects(net)[conn] is False


def test_nengo_backends_entry_point():
    """pyproject declares ``dl = nengodl_notebook:Simulator``, as NengoDL names it.

    Read from pyproject.toml (an installed environment made before the entry
    point changed keeps its old metadata until reinstalled).
    """
    pyproject = Path(__file__).parents[1] / "pyproject.toml"
    points = tomllib.loads(pyproject.read_text())["project"]["entry-points"]
    backends = points["nengo.backends"]
    assert backends == {"dl": "nengodl_notebook:Simulator"}
    point = EntryPoint("dl", backends["dl"], "nengo.backends")
    assert point.load() is nengo_dl.Simulator


def test_tensor_layer_is_layer_with_nengodl2_arguments():
    """``tensor_layer(x, func, ...)`` (deprecated) equals ``Layer(func)(x)``."""
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([1.0, 2.0])
        with pytest.warns(DeprecationWarning, match="nengo_dl.Layer"):
            node, conn = nengo_dl.tensor_layer(
                inp, lambda x: 2 * x, shape_in=(2,), return_conn=True
            )
        probe = nengo.Probe(node)
    assert isinstance(node, nengo_dl.TensorNode) and conn.pre is inp
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(2)
    np.testing.assert_allclose(sim.data[probe][-1], [2.0, 4.0])
