"""The benchmark networks: factories depending on ``nengo`` and ``numpy`` only.

Every factory returns a `Bench`: the network and the probes whose data a run
produces. The module is also imported by the NengoDL worker (another venv), so
it must not import ``nengodl_notebook`` or TensorFlow.

Networks (``NETWORKS`` maps the names used by ``run.py --only``):

* ``tutorial`` / ``tutorial1000``: the "From Nengo to NengoDL" tutorial network
  (``scripts/tutorial_network.py``) with 20 / 1000 neurons per ensemble;
* ``copies50``: 50 independent copies of the tutorial chain (input WhiteSignal
  -> square -> sin -> output Node, both probes) in one network;
* ``cconv``: ``nengo.networks.CircularConvolution(200, 32)`` fed by two 32-d
  constant input Nodes, output probed;
* ``integrator``: 32 dims x 100 neurons per dim as in NengoDL's own
  ``benchmarks.integrator``: an ``EnsembleArray(100, 32)`` with a recurrent
  connection (synapse 0.1), fed by a 32-d WhiteSignal scaled by the synapse;
* ``random``: 20 ensembles x 50 neurons (2-d) with 40 random connections, each
  with a random function and transform (fixed seed), driven by a 2-d
  WhiteSignal, 5 ensembles probed;
* ``pes``: nengo's learn-communication-channel example: a 2-d WhiteSignal,
  pre -> post (100 neurons each) learned online with PES, the error computed by
  a third ensemble; output and learned decoders probed;
* ``conv``: a spiking convolutional network: a 16 x 16 x 1 image Node ->
  Convolution(4, 3 x 3) -> 784 LIF neurons -> Convolution(8, 3 x 3, stride 2)
  -> output Node, probed.
"""

from typing import NamedTuple

import nengo
import numpy as np
from tutorial_network import build_tutorial_network

SEED = 0


class Bench(NamedTuple):
    """A benchmark network and the probes read after each run."""

    net: nengo.Network
    probes: list


def tutorial(n_neurons=20):
    """The tutorial network (two ensembles of ``n_neurons``).

    Parameters
    ----------
    n_neurons : int, optional
        Neurons per ensemble.

    Returns
    -------
    Bench
    """
    tn = build_tutorial_network(n_neurons, seed=SEED)
    return Bench(tn.net, [tn.inpt_p, tn.outpt_p])


def copies(n_copies=50, n_neurons=20):
    """``n_copies`` parallel, unconnected copies of the tutorial chain.

    Parameters
    ----------
    n_copies : int, optional
        Number of copies.
    n_neurons : int, optional
        Neurons per ensemble.

    Returns
    -------
    Bench
    """
    probes = []
    with nengo.Network(seed=SEED) as net:
        for _ in range(n_copies):  # each copy a subnetwork, seeded from net's seed
            tn = build_tutorial_network(n_neurons, seed=None)
            probes += [tn.inpt_p, tn.outpt_p]
    return Bench(net, probes)


def cconv(dims=32, n_neurons=200):
    """Circular convolution of two constant ``dims``-d vectors.

    Parameters
    ----------
    dims : int, optional
        Dimensionality of the vectors.
    n_neurons : int, optional
        Neurons per ensemble of the network (``n_neurons`` argument of
        ``nengo.networks.CircularConvolution``).

    Returns
    -------
    Bench
    """
    rng = np.random.RandomState(SEED)
    a, b = (v / np.linalg.norm(v) for v in rng.randn(2, dims))
    with nengo.Network(seed=SEED) as net:
        conv = nengo.networks.CircularConvolution(n_neurons, dims)
        inp_a = nengo.Node(a)
        inp_b = nengo.Node(b)
        nengo.Connection(inp_a, conv.input_a)
        nengo.Connection(inp_b, conv.input_b)
        probe = nengo.Probe(conv.output, synapse=0.01)
    return Bench(net, [probe])


def integrator(dims=32, n_per_dim=100, tau=0.1):
    """An integrator: ``EnsembleArray(n_per_dim, dims)`` with recurrence.

    Parameters
    ----------
    dims : int, optional
        Dimensions (one ensemble each).
    n_per_dim : int, optional
        Neurons per ensemble.
    tau : float, optional
        Recurrent synapse; the input is scaled by it (standard integrator).

    Returns
    -------
    Bench
    """
    with nengo.Network(seed=SEED) as net:
        ea = nengo.networks.EnsembleArray(n_per_dim, dims)
        nengo.Connection(ea.output, ea.input, synapse=tau)
        inp = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3), size_out=dims)
        nengo.Connection(inp, ea.input, transform=tau, synapse=tau)
        probe = nengo.Probe(ea.output, synapse=0.01)
    return Bench(net, [probe])


#: Functions the random network's connections compute (all map R^2 to R^2).
RANDOM_FUNCTIONS = (None, np.square, np.sin, np.tanh, lambda x: x[::-1] * x)


def random_net(n_ensembles=20, n_neurons=50, n_connections=40, dims=2):
    """Random connectivity with random functions and transforms, fixed seed.

    Parameters
    ----------
    n_ensembles : int, optional
        Number of ensembles.
    n_neurons : int, optional
        Neurons per ensemble.
    n_connections : int, optional
        Number of distinct (pre, post) connections, ``pre != post``.
    dims : int, optional
        Dimensions of every ensemble.

    Returns
    -------
    Bench
    """
    rng = np.random.RandomState(SEED)
    pairs = [(i, j) for i in range(n_ensembles) for j in range(n_ensembles) if i != j]
    chosen = rng.choice(len(pairs), size=n_connections, replace=False)
    with nengo.Network(seed=SEED) as net:
        inp = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3), size_out=dims)
        ens = [nengo.Ensemble(n_neurons, dims) for _ in range(n_ensembles)]
        for e in ens[:3]:
            nengo.Connection(inp, e)
        for k in chosen:
            pre, post = pairs[k]
            fn = RANDOM_FUNCTIONS[rng.randint(len(RANDOM_FUNCTIONS))]
            transform = rng.uniform(-0.5, 0.5, size=(dims, dims))
            nengo.Connection(ens[pre], ens[post], function=fn, transform=transform)
        probes = [nengo.Probe(inp)]
        probes += [nengo.Probe(e, synapse=0.01) for e in ens[-5:]]
    return Bench(net, probes)


def pes(n_neurons=100):
    """Online learning: nengo's learn-communication-channel example (PES).

    Parameters
    ----------
    n_neurons : int, optional
        Neurons per ensemble.

    Returns
    -------
    Bench
    """
    with nengo.Network(seed=SEED) as net:
        inp = nengo.Node(nengo.processes.WhiteSignal(60, high=5), size_out=2)
        pre, post, error = (nengo.Ensemble(n_neurons, 2) for _ in range(3))
        nengo.Connection(inp, pre)
        conn = nengo.Connection(
            pre, post, function=lambda x: [0, 0], learning_rule_type=nengo.PES()
        )
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        probes = [
            nengo.Probe(post, synapse=0.01),
            nengo.Probe(conn, "weights", sample_every=0.01),
        ]
    return Bench(net, probes)


def conv():
    """Two convolution transforms around a layer of 784 LIF neurons.

    Returns
    -------
    Bench
    """
    image = np.random.RandomState(SEED).uniform(0, 1, size=16 * 16)
    with nengo.Network(seed=SEED) as net:
        inp = nengo.Node(image)
        layer1 = nengo.transforms.Convolution(4, (16, 16, 1), kernel_size=(3, 3))
        neurons = nengo.Ensemble(layer1.size_out, 1).neurons
        layer2 = nengo.transforms.Convolution(
            8, layer1.output_shape.shape, kernel_size=(3, 3), strides=(2, 2)
        )
        out = nengo.Node(size_in=layer2.size_out)
        nengo.Connection(inp, neurons, transform=layer1)
        nengo.Connection(neurons, out, transform=layer2, synapse=0.01)
        probes = [nengo.Probe(out)]
    return Bench(net, probes)


class Spec(NamedTuple):
    """How a network is benchmarked: its factory and minibatch sizes."""

    label: str
    factory: object
    minibatches: tuple


NETWORKS = {
    "tutorial": Spec("tutorial, 20 neurons/ens", tutorial, (1, 32)),
    "tutorial1000": Spec("tutorial, 1000 neurons/ens", lambda: tutorial(1000), (1, 32)),
    "copies50": Spec("50 copies of the tutorial chain", copies, (1,)),
    "cconv": Spec("circular convolution, 32 d x 200", cconv, (1,)),
    "integrator": Spec("integrator, 32 d x 100", integrator, (1,)),
    "random": Spec("random, 20 ens x 50, 40 conns", random_net, (1,)),
    "pes": Spec("PES learning, 3 ens x 100", pes, (1, 32)),
    "conv": Spec("convolution, 16x16 -> 784 LIF -> 8x7x7", conv, (1,)),
}


def training_network(configure_settings):
    """The tutorial's training setup (synapses removed, ensembles trainable).

    As in the tutorial: every connection's synapse set to None, a new unfiltered
    output probe, the filtered probe's synapse raised to 0.04, training
    disabled by default and re-enabled on Ensembles (encoders and biases).

    Parameters
    ----------
    configure_settings : callable
        The simulator package's ``configure_settings`` (ours or NengoDL's).

    Returns
    -------
    net : nengo.Network
    inpt : nengo.Node
        The input node (fed the training inputs).
    probe : nengo.Probe
        The unfiltered output probe (the training target).
    """
    tn = build_tutorial_network(20, seed=SEED)
    for conn in tn.net.all_connections:
        conn.synapse = None
    with tn.net:
        probe = nengo.Probe(tn.outpt)
        configure_settings(trainable=False)
        tn.net.config[nengo.Ensemble].trainable = True
    tn.outpt_p.synapse = 0.04
    return tn.net, tn.inpt, probe


def training_data(n_samples=4096, n_steps=1):
    """The tutorial's training data: ``x ~ U(-1, 1)`` and ``sin(x**2)``.

    Parameters
    ----------
    n_samples : int, optional
        Number of samples.
    n_steps : int, optional
        Time steps per sample.

    Returns
    -------
    x, y : ndarray, shape ``(n_samples, n_steps, 1)``
        Inputs and targets.
    """
    x = np.random.RandomState(SEED).uniform(-1, 1, size=(n_samples, n_steps, 1))
    return x, np.sin(x**2)
