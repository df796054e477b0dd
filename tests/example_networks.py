"""Registries of the networks compared by ``test_nengo_examples.py``, and the
``nengo.networks`` factories.

A factory returns ``(net, {name: probe})`` and is registered with its run time,
simulator kwargs and options (``float32``: also compare in float32; ``slow``:
only with ``--slow``; ``learned``: probes of weights that must change).
"""

import nengo
import numpy as np
from nengo.processes import Piecewise

NETWORKS = {}  # nengo.networks
EXAMPLES = {}  # documentation examples


class Case:
    """A registered factory with its run time, simulator kwargs and options."""

    def __init__(self, factory, run_time, float32, slow, learned, sim_kwargs):
        self.factory = factory
        self.run_time = run_time
        self.float32 = float32
        self.slow = slow
        self.learned = learned
        self.sim_kwargs = sim_kwargs


def registrar(registry):
    def register(run_time=0.5, float32=False, slow=False, learned=(), **sim_kwargs):
        def add(factory):
            registry[factory.__name__] = Case(
                factory, run_time, float32, slow, learned, sim_kwargs
            )
            return factory

        return add

    return register


network = registrar(NETWORKS)
example = registrar(EXAMPLES)


def sines(t, n):
    return [np.sin(2 * np.pi * (i + 1) * t + i) * 0.8 for i in range(n)]


# ---------------------------------------------------------------------------
# nengo.networks
# ---------------------------------------------------------------------------


@network(float32=True)
def ensemble_array():
    """EnsembleArray with add_output, add_neuron_input, add_neuron_output."""
    with nengo.Network(seed=10) as net:
        stim = nengo.Node(lambda t: sines(t, 4))
        ea = nengo.networks.EnsembleArray(15, 2, ens_dimensions=2, radius=1.2)
        square = ea.add_output("square", np.square, synapse=0.005)
        ea.add_neuron_input()
        ea.add_neuron_output()
        nengo.Connection(stim, ea.input)
        kick = nengo.Node(lambda t: float(t > 0.3))
        nengo.Connection(kick, ea.neuron_input, transform=-np.ones((30, 1)))
        out = nengo.Node(size_in=30)
        nengo.Connection(ea.neuron_output, out, synapse=0.01)
        probes = {
            "output": nengo.Probe(ea.output, synapse=0.01),
            "square": nengo.Probe(square, synapse=0.01),
            "neurons": nengo.Probe(out),
            "ens1": nengo.Probe(ea.ea_ensembles[1], synapse=0.01),
        }
    return net, probes


@network()
def product():
    """Product of two vectors, then dot_product_transform to a scalar."""
    with nengo.Network(seed=11) as net:
        a = nengo.Node(lambda t: sines(t, 2))
        b = nengo.Node(lambda t: [0.6, np.cos(3 * t)])
        prod = nengo.networks.Product(30, 2)
        dot = nengo.Node(size_in=1)
        nengo.Connection(a, prod.input_a)
        nengo.Connection(b, prod.input_b)
        nengo.Connection(
            prod.output, dot, transform=nengo.networks.product.dot_product_transform(2)
        )
        probes = {
            "output": nengo.Probe(prod.output, synapse=0.01),
            "dot": nengo.Probe(dot, synapse=0.01),
            "sq1": nengo.Probe(prod.sq1.output, synapse=0.01),
        }
    return net, probes


@network(float32=True)
def circular_convolution():
    """CircularConvolution, plain and with invert_b."""
    with nengo.Network(seed=12) as net:
        a = nengo.Node(lambda t: [0.5, -0.3, 0.4 * np.sin(4 * t), 0.2])
        b = nengo.Node([0.1, 0.6, -0.2, 0.3])
        cconv = nengo.networks.CircularConvolution(20, 4)
        inv = nengo.networks.CircularConvolution(20, 4, invert_b=True)
        for c in (cconv, inv):
            nengo.Connection(a, c.input_a)
            nengo.Connection(b, c.input_b)
        probes = {
            "cconv": nengo.Probe(cconv.output, synapse=0.01),
            "inverted": nengo.Probe(inv.output, synapse=0.01),
            "product": nengo.Probe(cconv.product.sq2.ea_ensembles[0], synapse=0.01),
        }
    return net, probes


@network()
def input_gated_memory():
    """InputGatedMemory: load, hold with the gate closed, then reset."""
    with nengo.Network(seed=13) as net:
        stim = nengo.Node(lambda t: [0.7 * np.cos(5 * t), 0.5])
        gate = nengo.Node(Piecewise({0: 0, 0.2: 1}))
        reset = nengo.Node(Piecewise({0: 0, 0.4: 1}))
        mem = nengo.networks.InputGatedMemory(25, 2, difference_synapse=0.05)
        nengo.Connection(stim, mem.input)
        nengo.Connection(gate, mem.gate)
        nengo.Connection(reset, mem.reset)
        probes = {
            "output": nengo.Probe(mem.output, synapse=0.01),
            "diff": nengo.Probe(mem.diff.ea_ensembles[0], synapse=0.01),
            "diff_neurons": nengo.Probe(mem.diff.neuron_input, "output"),
        }
    return net, probes


@network(float32=True)
def basal_ganglia_thalamus():
    """BasalGanglia (input_bias, custom ampa config) driving a Thalamus."""
    with nengo.Network(seed=14) as net:
        utils = nengo.Node(lambda t: [0.8, 0.4, 0.3] if t < 0.25 else [0.2, 0.3, 0.9])
        ampa = nengo.Config(nengo.Connection)
        ampa[nengo.Connection].synapse = nengo.Lowpass(0.003)
        bg = nengo.networks.BasalGanglia(
            3, n_neurons_per_ensemble=20, input_bias=0.1, ampa_config=ampa
        )
        thal = nengo.networks.Thalamus(3, n_neurons_per_ensemble=20, threshold=0.1)
        nengo.Connection(utils, bg.input, synapse=None)
        nengo.Connection(bg.output, thal.input)
        probes = {
            "bg": nengo.Probe(bg.output, synapse=0.01),
            "gpi": nengo.Probe(bg.gpi.ea_ensembles[0], synapse=0.01),
            "thalamus": nengo.Probe(thal.output, synapse=0.01),
            "action0": nengo.Probe(thal.actions.ea_ensembles[0], synapse=0.01),
        }
    return net, probes


def _am_vectors():
    rng = np.random.RandomState(5)
    vecs = rng.randn(3, 4)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def _am_stim(vecs):
    return lambda t: vecs[int(t / 0.15) % len(vecs)] * 0.9


@network()
def associative_memory():
    """AssociativeMemory: per-item thresholds and input scales, extra mappings."""
    vecs = _am_vectors()
    with nengo.Network(seed=15) as net:
        stim = nengo.Node(_am_stim(vecs))
        am = nengo.networks.AssociativeMemory(
            vecs,
            -vecs,
            n_neurons=20,
            threshold=[0.3, 0.2, 0.3],
            input_scales=[1, 1.2, 1],
        )
        am.add_input_mapping("alt_input", vecs[::-1])
        am.add_output_mapping("alt_output", np.eye(3))
        nengo.Connection(stim, am.input)
        nengo.Connection(stim, am.alt_input, transform=0.3)
        probes = {
            "output": nengo.Probe(am.output, synapse=0.01),
            "alt_output": nengo.Probe(am.alt_output, synapse=0.01),
            "utilities": nengo.Probe(am.utilities, synapse=0.01),
            "ens0": nengo.Probe(am.am_ensembles[0], synapse=0.01),
        }
    return net, probes


@network()
def associative_memory_wta_threshold():
    """AssociativeMemory with WTA, thresholded outputs and a default vector."""
    vecs = _am_vectors()
    with nengo.Network(seed=16) as net:
        stim = nengo.Node(lambda t: _am_stim(vecs)(t) if t < 0.35 else np.zeros(4))
        am = nengo.networks.AssociativeMemory(vecs, n_neurons=20)
        am.add_wta_network()
        am.add_threshold_to_outputs(n_neurons=20)
        am.add_default_output_vector(np.ones(4) * 0.5, n_neurons=20)
        nengo.Connection(stim, am.input)
        probes = {
            "output": nengo.Probe(am.output, synapse=0.01),
            "thresholded": nengo.Probe(am.thresholded_utilities, synapse=0.01),
            "thresh_ens": nengo.Probe(am.thresh_ens.ea_ensembles[1], synapse=0.01),
        }
    return net, probes


@network()
def associative_memory_inhibitable():
    """AssociativeMemory(inhibitable=True) shut off by its inhibit input."""
    vecs = _am_vectors()
    with nengo.Network(seed=17) as net:
        stim = nengo.Node(_am_stim(vecs))
        inhibit = nengo.Node(Piecewise({0: 0, 0.25: 1}))
        am = nengo.networks.AssociativeMemory(vecs, n_neurons=20, inhibitable=True)
        nengo.Connection(stim, am.input)
        nengo.Connection(inhibit, am.inhibit)
        probes = {
            "output": nengo.Probe(am.output, synapse=0.01),
            "utilities": nengo.Probe(am.utilities, synapse=0.01),
            "ens1": nengo.Probe(am.am_ensembles[1], synapse=0.01),
        }
    return net, probes
