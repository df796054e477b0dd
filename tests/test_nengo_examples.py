"""Every ``nengo.networks`` network and every nengo 4.1 documentation example that
runs on ``nengo.Simulator`` runs on ours and matches it.

Each factory builds a network with a fixed seed and returns ``(net, {name:
probe})``. The factory is called twice so that each simulator gets its own copy
(several examples keep state in Python objects: a delay buffer, an action
iterator). Both copies run with the same simulator seed and every probe, plus a
spike probe on every spiking ensemble, is compared with ``reference.compare_all``:
float64 to 1e-8 relative to each signal's magnitude; a few also in float32 (1e-4
before the first spike flip). Neuron counts and run times are reduced from the
notebooks, and Piecewise/step schedules compressed in time to fit the shorter
runs; the structure, neuron types, synapses, functions, processes, learning rules
and config usage are the examples'. Learning examples run 1 s; their learning
rates are raised where the notebook's would not change the weights measurably
within that second, and the test checks that the weights did change.

``nengo.networks`` in nengo 4.1 holds EnsembleArray (with add_output,
add_neuron_input, add_neuron_output), Product (and dot_product_transform),
CircularConvolution, InputGatedMemory, BasalGanglia (Weights, ampa/gaba configs
through config_with_default_synapse), Thalamus and AssociativeMemory (wta,
thresholded outputs, default output vector, inhibitable, extra input/output
mappings). ``Integrator`` and ``Oscillator`` are no longer in nengo 4.1; the
integrator-network and oscillator examples build them inline.

Documentation examples left out, because they run no simulator:

* ``advanced/nef-algorithm``: pure NumPy NEF implementation, no nengo at all.
* ``usage/config``: only sets and prints config defaults and config params
  (config usage is covered by ``usage/network-design-advanced`` and the
  BasalGanglia/AssociativeMemory configs here).
* ``usage/strings``: only prints ``str``/``repr`` of nengo objects.
* ``spa/*``: written for the old ``nengo.spa``, which nengo 4.1 does not have.

``usage/exceptions`` runs simulators only to show errors; ``test_exceptions``
checks that ours raises the same ones. The notebooks that call
``nengo.utils.ensemble.tuning_curves``/``response_curves`` on a simulator
(``usage/tuning-curves``, ``usage/rectified-linear``, ``advanced/nef-summary``,
``advanced/functions-and-tuning-curves``) are also checked by ``test_tuning_curves``.

Runtime: about 2-3 minutes for the whole module on 2 shared cores; the examples
marked ``slow`` (run with ``--slow``) are the larger ones (lorenz attractor,
force learning, matrix multiplication).
"""

from collections import deque

import nengo
import numpy as np
import pytest
from nengo.dists import Choice, Exponential, Uniform
from nengo.processes import Piecewise, WhiteSignal
from nengo.utils.ensemble import response_curves, tuning_curves
from nengo.utils.filter_design import cont2discrete

import nengodl_notebook
from reference import ATOL, DT, SIM_SEED, add_spike_probes, compare_all, run_ours, run_reference

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
            vecs, -vecs, n_neurons=20, threshold=[0.3, 0.2, 0.3], input_scales=[1, 1.2, 1]
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
        }
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/basic
# ---------------------------------------------------------------------------


@example(run_time=1.0)
def single_neuron():
    """basic/single-neuron: one LIF neuron driven by a cosine."""
    with nengo.Network(label="A Single Neuron", seed=20) as net:
        neuron = nengo.Ensemble(
            1, 1, intercepts=Uniform(-0.5, -0.5), max_rates=Uniform(100, 100),
            encoders=[[1]],
        )
        cos = nengo.Node(lambda t: np.cos(8 * t))
        nengo.Connection(cos, neuron)
        probes = {
            "cos": nengo.Probe(cos),
            "spikes": nengo.Probe(neuron.neurons),
            "voltage": nengo.Probe(neuron.neurons, "voltage"),
            "filtered": nengo.Probe(neuron, synapse=0.01),
        }
    return net, probes


@example(run_time=1.0)
def two_neurons():
    """basic/two-neurons: an on and an off neuron."""
    with nengo.Network(label="Two Neurons", seed=21) as net:
        neurons = nengo.Ensemble(
            2, 1, intercepts=Uniform(-0.5, -0.5), max_rates=Uniform(100, 100),
            encoders=[[1], [-1]],
        )
        sin = nengo.Node(lambda t: np.sin(8 * t))
        nengo.Connection(sin, neurons, synapse=0.01)
        probes = {
            "spikes": nengo.Probe(neurons.neurons),
            "voltage": nengo.Probe(neurons.neurons, "voltage"),
            "filtered": nengo.Probe(neurons, synapse=0.01),
        }
    return net, probes


@example()
def representation_2d():
    """basic/2d-representation: sine and cosine into one 2-D ensemble."""
    with nengo.Network(label="2D Representation", seed=22) as net:
        neurons = nengo.Ensemble(50, 2)
        sin = nengo.Node(output=np.sin)
        cos = nengo.Node(output=np.cos)
        nengo.Connection(sin, neurons[0])
        nengo.Connection(cos, neurons[1])
        probes = {
            "sin": nengo.Probe(sin, "output"),
            "neurons": nengo.Probe(neurons, "decoded_output", synapse=0.01),
        }
    return net, probes


@example()
def addition():
    """basic/addition: two constant inputs summed in a third ensemble."""
    with nengo.Network(label="Addition", seed=23) as net:
        a, b, c = (nengo.Ensemble(40, 1) for _ in range(3))
        input_a, input_b = nengo.Node(output=0.5), nengo.Node(output=0.3)
        nengo.Connection(input_a, a)
        nengo.Connection(input_b, b)
        nengo.Connection(a, c)
        nengo.Connection(b, c)
        probes = {k: nengo.Probe(e, synapse=0.01) for k, e in zip("ABC", (a, b, c))}
    return net, probes


@example()
def combining():
    """basic/combining: two scalars into the dimensions of a 2-D ensemble."""
    with nengo.Network(label="Combining", seed=24) as net:
        a, b = nengo.Ensemble(40, 1), nengo.Ensemble(40, 1)
        output = nengo.Ensemble(80, 2, radius=1.5)
        sin, cos = nengo.Node(np.sin), nengo.Node(np.cos)
        nengo.Connection(sin, a)
        nengo.Connection(cos, b)
        nengo.Connection(a, output[0])
        nengo.Connection(b, output[1])
        probes = {"output": nengo.Probe(output, synapse=0.01)}
    return net, probes


@example(float32=True)
def communication_channel():
    """basic/communication-channel: A relays a sine wave to B."""
    with nengo.Network(label="Communication Channel", seed=25) as net:
        sin = nengo.Node(np.sin)
        a, b = nengo.Ensemble(40, 1), nengo.Ensemble(40, 1)
        nengo.Connection(sin, a)
        nengo.Connection(a, b)
        probes = {"A": nengo.Probe(a, synapse=0.01), "B": nengo.Probe(b, synapse=0.01)}
    return net, probes


@example()
def many_neurons():
    """basic/many-neurons: a larger population represents a sine wave."""
    with nengo.Network(label="Many Neurons", seed=26) as net:
        a = nengo.Ensemble(100, 1)
        sin = nengo.Node(lambda t: np.sin(8 * t))
        nengo.Connection(sin, a, synapse=0.01)
        probes = {"A": nengo.Probe(a, synapse=0.01), "spikes": nengo.Probe(a.neurons)}
    return net, probes


@example(run_time=1.0)
def multiplication():
    """basic/multiplication: combined ensemble with diagonal encoders, product."""
    with nengo.Network(label="Multiplication", seed=27) as net:
        a = nengo.Ensemble(40, 1, radius=10)
        b = nengo.Ensemble(40, 1, radius=10)
        combined = nengo.Ensemble(
            80, 2, radius=15, encoders=Choice([[1, 1], [-1, 1], [1, -1], [-1, -1]])
        )
        prod = nengo.Ensemble(40, 1, radius=20)
        input_a = nengo.Node(Piecewise({0: 0, 0.25: 10, 0.4: -10}))
        input_b = nengo.Node(Piecewise({0: 10, 0.15: 2, 0.3: 0, 0.45: 2}))
        nengo.Connection(input_a, a)
        nengo.Connection(input_b, b)
        nengo.Connection(a, combined[0])
        nengo.Connection(b, combined[1])
        nengo.Connection(combined, prod, function=lambda x: x[0] * x[1])
        probes = {
            "combined": nengo.Probe(combined, synapse=0.01),
            "prod": nengo.Probe(prod, synapse=0.01),
        }
    return net, probes


@example()
def squaring():
    """basic/squaring: decode the square of a sine wave."""
    with nengo.Network(label="Squaring", seed=28) as net:
        a, a_squared = nengo.Ensemble(40, 1), nengo.Ensemble(40, 1)
        sin = nengo.Node(lambda t: np.sin(8 * t))
        nengo.Connection(sin, a)
        nengo.Connection(a, a_squared, function=np.square)
        probes = {"squared": nengo.Probe(a_squared, synapse=0.01)}
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/dynamics
# ---------------------------------------------------------------------------


def _integrator_input():
    return Piecewise({0: 0, 0.1: 1, 0.3: 0, 0.5: -2, 0.6: 0, 0.8: 1, 0.9: 0})


@example(run_time=1.0)
def integrator():
    """dynamics/integrator: a recurrently connected ensemble integrates steps."""
    tau = 0.1
    with nengo.Network(label="Integrator", seed=30) as net:
        a = nengo.Ensemble(60, 1)
        inp = nengo.Node(_integrator_input())
        nengo.Connection(a, a, transform=[[1]], synapse=tau)
        nengo.Connection(inp, a, transform=[[tau]], synapse=tau)
        probes = {"A": nengo.Probe(a, synapse=0.01)}
    return net, probes


@example(run_time=1.0)
def oscillator():
    """dynamics/oscillator: a kicked 2-D harmonic oscillator."""
    with nengo.Network(label="Oscillator", seed=31) as net:
        neurons = nengo.Ensemble(100, 2)
        inp = nengo.Node(Piecewise({0: [1, 0], 0.1: [0, 0]}))
        nengo.Connection(inp, neurons)
        nengo.Connection(neurons, neurons, transform=[[1, 1], [-1, 1]], synapse=0.1)
        probes = {
            "neurons": nengo.Probe(neurons, "decoded_output", synapse=0.1),
            "spikes": nengo.Probe(neurons.neurons, sample_every=0.01),
        }
    return net, probes


def _controlled_integrator(seed, control, feedback):
    tau = 0.1
    with nengo.Network(seed=seed) as net:
        a = nengo.Ensemble(100, 2, radius=1.5)
        inp = nengo.Node(
            Piecewise({0: 0, 0.2: 5, 0.3: 0, 0.44: -10, 0.54: 0, 0.8: 5, 0.9: 0})
        )
        nengo.Connection(inp, a, transform=[[tau], [0]], synapse=tau)
        nengo.Connection(nengo.Node(control), a[1], synapse=0.005)
        nengo.Connection(a, a[0], function=feedback, synapse=tau)
        probes = {"A": nengo.Probe(a, "decoded_output", synapse=0.01)}
    return net, probes


@example(run_time=1.0)
def controlled_integrator():
    """dynamics/controlled-integrator: control multiplies the feedback."""
    return _controlled_integrator(
        32, Piecewise({0: 1, 0.6: 0.5}), lambda x: x[0] * x[1]
    )


@example(run_time=1.0)
def controlled_integrator2():
    """dynamics/controlled-integrator2: control is A in dx/dt = Ax + Bu."""
    return _controlled_integrator(
        33, Piecewise({0: 0, 0.6: -0.5}), lambda x: x[0] * x[1] + x[0]
    )


@example(run_time=1.0)
def controlled_oscillator():
    """dynamics/controlled-oscillator: frequency set by a third dimension."""
    tau, w_max = 0.1, 10

    def feedback(x):
        x0, x1, w = x
        return x0 - w * w_max * tau * x1, x1 + w * w_max * tau * x0, 0

    with nengo.Network(label="Controlled Oscillator", seed=34) as net:
        osc = nengo.Ensemble(150, 3, radius=1.7)
        nengo.Connection(osc, osc, function=feedback, synapse=tau)
        frequency = nengo.Ensemble(50, 1)
        nengo.Connection(frequency, osc[2])
        initial = nengo.Node(Piecewise({0: [1, 0, 0], 0.15: [0, 0, 0]}))
        nengo.Connection(initial, osc)
        freq_in = nengo.Node(Piecewise({0: 1, 0.2: 0.5, 0.4: 0, 0.6: -0.5, 0.8: -1}))
        nengo.Connection(freq_in, frequency)
        probes = {"oscillator": nengo.Probe(osc, synapse=0.03)}
    return net, probes


@example(slow=True)
def lorenz_attractor():
    """dynamics/lorenz-attractor: chaotic 3-D recurrent ensemble."""
    tau, sigma, beta, rho = 0.1, 10, 8.0 / 3, 28

    def feedback(x):
        dx0 = -sigma * x[0] + sigma * x[1]
        dx1 = -x[0] * x[2] - x[1]
        dx2 = x[0] * x[1] - beta * (x[2] + rho) - rho
        return [dx0 * tau + x[0], dx1 * tau + x[1], dx2 * tau + x[2]]

    with nengo.Network(label="Lorenz attractor", seed=35) as net:
        state = nengo.Ensemble(400, 3, radius=60)
        nengo.Connection(state, state, function=feedback, synapse=tau)
        probes = {"state": nengo.Probe(state, synapse=tau)}
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/learning
# ---------------------------------------------------------------------------


def _weird(x):
    """Stands in for the notebooks' ``np.random.random`` initial function, which
    would differ between the two builds."""
    return np.cos(13 * x + 1) * 0.5


@example(run_time=1.0, learned=("weights",))
def learn_communication_channel():
    """learning/learn-communication-channel: PES on decoders, error inhibited."""
    with nengo.Network(seed=40) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre, post, error = (nengo.Ensemble(40, 2) for _ in range(3))
        nengo.Connection(inp, pre)
        conn = nengo.Connection(pre, post, function=_weird)
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        conn.learning_rule_type = nengo.PES()
        nengo.Connection(error, conn.learning_rule)
        inhib = nengo.Node(lambda t: 2.0 if t > 0.7 else 0.0)
        nengo.Connection(inhib, error.neurons, transform=[[-1]] * error.n_neurons)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.03),
            "weights": nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01),
        }
    return net, probes


@example(run_time=1.0, learned=("weights",))
def learn_communication_channel_weights():
    """learning/learn-communication-channel: PES on a full weight matrix."""
    with nengo.Network(seed=41) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre, post, error = (nengo.Ensemble(30, 2) for _ in range(3))
        nengo.Connection(inp, pre)
        conn = nengo.Connection(
            pre, post, function=_weird, solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=nengo.PES(),
        )
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01),
        }
    return net, probes


@example(run_time=1.0, float32=True, learned=("decoders",))
def learn_square():
    """learning/learn-square: PES learns x**2; error inhibited at the end."""
    with nengo.Network(seed=42) as net:
        a, a_squared, error = (nengo.Ensemble(40, 1) for _ in range(3))
        conn = nengo.Connection(a, a_squared)
        conn.learning_rule_type = nengo.PES(learning_rate=3e-4)
        nengo.Connection(error, conn.learning_rule)
        nengo.Connection(a_squared, error)
        nengo.Connection(a, error, function=lambda x: x**2, transform=-1)
        input_node = nengo.Node(output=lambda t: int(6 * t) / 3.0 % 2 - 1)
        nengo.Connection(input_node, a)
        stop_learning = nengo.Node(output=lambda t: t >= 0.75)
        nengo.Connection(
            stop_learning, error.neurons, transform=-20 * np.ones((error.n_neurons, 1))
        )
        probes = {
            "squared": nengo.Probe(a_squared, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.01),
            "decoders": nengo.Probe(conn, "weights", sample_every=0.05),
        }
    return net, probes


@example(run_time=1.0, learned=("weights",))
def learn_product():
    """learning/learn-product: PES learns x0 * x1 from a product ensemble."""
    with nengo.Network(seed=43) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre = nengo.Ensemble(60, 2)
        nengo.Connection(inp, pre)
        post, prod, error = (nengo.Ensemble(30, 1) for _ in range(3))
        nengo.Connection(inp, prod, function=lambda x: x[0] * x[1], synapse=None)
        nengo.Connection(post, error)
        nengo.Connection(prod, error, transform=-1)
        conn = nengo.Connection(
            pre, post, function=lambda x: _weird(x[:1]), learning_rule_type=nengo.PES()
        )
        nengo.Connection(error, conn.learning_rule)
        inhib = nengo.Node(lambda t: 2.0 if t > 0.7 else 0.0)
        nengo.Connection(inhib, error.neurons, transform=[[-1]] * error.n_neurons)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.03),
            "weights": nengo.Probe(conn, "weights", sample_every=0.05),
        }
    return net, probes


@example(run_time=1.0, learned=("bcm", "oja", "both"))
def learn_unsupervised():
    """learning/learn-unsupervised: BCM, Oja and both on weight-solver channels
    (rates x100 so that 1 s changes the weights measurably)."""
    rules = {
        "bcm": nengo.BCM(learning_rate=5e-8),
        "oja": nengo.Oja(learning_rate=6e-6),
        "both": [nengo.BCM(learning_rate=5e-8), nengo.Oja(learning_rate=2e-7)],
    }
    with nengo.Network(seed=44) as net:
        sin = nengo.Node(lambda t: np.sin(t * 4))
        pre = nengo.Ensemble(40, 1)
        nengo.Connection(sin, pre)
        probes = {"pre": nengo.Probe(pre, synapse=0.01)}
        for key, rule in rules.items():
            post = nengo.Ensemble(40, 1)
            conn = nengo.Connection(pre, post, solver=nengo.solvers.LstsqL2(weights=True))
            conn.learning_rule_type = rule
            probes[f"post_{key}"] = nengo.Probe(post, synapse=0.01)
            probes[key] = nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01)
    return net, probes


def _cycle_array(x, period, dt=DT):
    i_every = int(round(period / dt))

    def f(t):
        i = int(round((t - dt) / dt))
        return x[int(i / i_every) % len(x)]

    return f


@example(run_time=1.0, learned=("encoders", "decoders"))
def learn_associations():
    """learning/learn-associations: Voja on encoders (keys), PES on decoders."""
    num_items, d_key, d_value, n_neurons, period = 5, 2, 4, 100, 0.1
    rng = np.random.RandomState(seed=7)
    keys = nengo.dists.UniformHypersphere(surface=True).sample(num_items, d_key, rng=rng)
    values = nengo.dists.UniformHypersphere(surface=False).sample(
        num_items, d_value, rng=rng
    )
    intercept = (np.dot(keys, keys.T) - np.eye(num_items)).flatten().max()
    T = period * num_items * 2
    with nengo.Network(seed=45) as net:
        stim_keys = nengo.Node(output=_cycle_array(keys, period))
        stim_values = nengo.Node(output=_cycle_array(values, period))
        learning = nengo.Node(output=lambda t: -int(t >= T / 2))
        recall = nengo.Node(size_in=d_value)
        memory = nengo.Ensemble(n_neurons, d_key, intercepts=[intercept] * n_neurons)
        voja = nengo.Voja(learning_rate=5e-2, post_synapse=None)
        conn_in = nengo.Connection(stim_keys, memory, synapse=None, learning_rule_type=voja)
        nengo.Connection(learning, conn_in.learning_rule, synapse=None)
        conn_out = nengo.Connection(
            memory, recall, learning_rule_type=nengo.PES(1e-3),
            function=lambda x: np.zeros(d_value),
        )
        error = nengo.Ensemble(n_neurons, d_value)
        nengo.Connection(learning, error.neurons, transform=[[10.0]] * n_neurons, synapse=None)
        nengo.Connection(stim_values, error, transform=-1, synapse=None)
        nengo.Connection(recall, error, synapse=None)
        nengo.Connection(error, conn_out.learning_rule)
        probes = {
            "error": nengo.Probe(error, synapse=0.005),
            "recall": nengo.Probe(recall, synapse=None),
            "encoders": nengo.Probe(conn_in.learning_rule, "scaled_encoders", sample_every=0.05),
            "decoders": nengo.Probe(conn_out, "weights", sample_every=0.05),
        }
    return net, probes


def _bandpass(freq, Q):
    """The notebook's ``Bandpass(freq, decay)`` (nengolib, not in nengo 4.1)."""
    w = 2 * np.pi * freq
    return nengo.LinearFilter([w / Q, 0], [1, w / Q, w**2])


@example(run_time=1.0, slow=True, learned=("weights_c", "weights_f"), dt=0.002)
def force_learning():
    """learning/force-learning: classic FORCE and full-FORCE with RLS (dt=2 ms)."""
    pulse_interval, amplitude, freq, decay, dt = 0.5, 0.1, 3.0, 2.0, 0.002
    n, seed, tau, tau_learn, tau_probe = 40, 0, 0.1, 0.1, 0.05
    rng = np.random.RandomState(seed)
    ens_kwargs = dict(
        n_neurons=n, dimensions=1, neuron_type=nengo.LIF(), intercepts=[-1] * n, seed=seed
    )
    learning_rate, g, g_in, g_out, T_train = 0.1, 1.5 / 400, tau / amplitude, 1.0, 0.5
    with nengo.Network(seed=seed) as net:
        U = np.zeros(int(pulse_interval / dt))
        U[0] = amplitude / dt
        u = nengo.Node(output=nengo.processes.PresentInput(U, dt))
        z = nengo.Node(size_in=1)
        nengo.Connection(u, z, synapse=_bandpass(freq, decay))
    e_in = g_in * rng.uniform(-1, +1, (n, 1))
    e_out = g_out * rng.uniform(-1, +1, (n, 1))
    JD = rng.randn(n, n) * g / np.sqrt(n)
    rls = dict(learning_rate=learning_rate, pre_synapse=tau_learn)
    with net:
        # classic FORCE
        xC, sC, zC = nengo.Ensemble(**ens_kwargs), nengo.Node(size_in=n), nengo.Node(size_in=1)
        eC = nengo.Node(size_in=1, output=lambda t, e: e if t < T_train else 0)
        nengo.Connection(u, sC, synapse=None, transform=e_in)
        nengo.Connection(sC, xC.neurons, synapse=tau)
        nengo.Connection(xC.neurons, sC, synapse=None, transform=JD)
        connC = nengo.Connection(
            xC.neurons, zC, synapse=None, transform=np.zeros((1, n)),
            learning_rule_type=nengo.RLS(**rls),
        )
        nengo.Connection(zC, sC, synapse=None, transform=e_out)
        nengo.Connection(zC, eC, synapse=None)
        nengo.Connection(z, eC, synapse=None, transform=-1)
        nengo.Connection(eC, connC.learning_rule, synapse=tau_learn)
        # full-FORCE: target-generating and task-performing networks
        xD, sD = nengo.Ensemble(**ens_kwargs), nengo.Node(size_in=n)
        nengo.Connection(u, sD, synapse=None, transform=e_in)
        nengo.Connection(z, sD, synapse=None, transform=e_out)
        nengo.Connection(sD, xD.neurons, synapse=tau)
        nengo.Connection(xD.neurons, sD, synapse=None, transform=JD)
        xF, sF = nengo.Ensemble(**ens_kwargs), nengo.Node(size_in=n)
        eF = nengo.Node(size_in=n, output=lambda t, e: e if t < T_train else np.zeros_like(e))
        nengo.Connection(u, sF, synapse=None, transform=e_in)
        nengo.Connection(sF, xF.neurons, synapse=tau)
        connF = nengo.Connection(
            xF.neurons, sF, synapse=None, transform=np.zeros((n, n)),
            learning_rule_type=nengo.RLS(**rls),
        )
        nengo.Connection(sF, eF, synapse=None)
        nengo.Connection(sD, eF, synapse=None, transform=-1)
        nengo.Connection(eF, connF.learning_rule, synapse=tau_learn)
        probes = {
            "z": nengo.Probe(z, synapse=tau_probe),
            "zC": nengo.Probe(zC, synapse=tau_probe),
            "xF": nengo.Probe(xF.neurons, synapse=tau_probe),
            "weights_c": nengo.Probe(connC, "weights", sample_every=0.05),
            "weights_f": nengo.Probe(connF, "weights", sample_every=0.1),
        }
    return net, probes


class IdealDelay(nengo.synapses.Synapse):
    """learning/lmu's ideal delay: a Synapse whose step is a Python buffer."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
        return {}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        buffer = deque([0] * int(self.delay / dt))

        def delay_func(t, x):
            buffer.append(x.copy())
            return buffer.popleft()

        return delay_func


def _legendre_delay(theta, order, dt):
    """The LMU's discretized (A, B) (nengo 4.1 has no ``LegendreDelay``)."""
    q = np.arange(order)
    r = (2 * q + 1)[:, None] / theta
    i, j = np.meshgrid(q, q, indexing="ij")
    A = np.where(i < j, -1, (-1.0) ** (i - j + 1)) * r
    B = ((-1.0) ** q)[:, None] * r
    C, D = np.ones((1, order)), np.zeros((1, 1))
    A, B, _, _, _ = cont2discrete((A, B, C, D), dt, method="zoh")
    return A, B


@example(run_time=1.0, learned=("weights",))
def lmu():
    """learning/lmu: a Legendre memory Node feeding an ensemble that learns a delay
    with PES; the target is a custom Python Synapse (IdealDelay)."""
    theta, order, freq, rms, delay, sim_t = 0.5, 6, 2, 0.3, 0.2, 1.0
    A, B = _legendre_delay(theta, order, DT)
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(
            output=WhiteSignal(high=freq, period=sim_t, rms=rms, y0=0, seed=0)
        )
        lmu_node = nengo.Node(size_in=order)
        nengo.Connection(stim, lmu_node, transform=B, synapse=None)
        nengo.Connection(lmu_node, lmu_node, transform=A, synapse=0)
        ens = nengo.Ensemble(100, order, neuron_type=nengo.SpikingRectifiedLinear())
        nengo.Connection(lmu_node, ens, synapse=None)
        out = nengo.Node(size_in=1)
        err_node = nengo.Node(lambda t, x: x if t < sim_t * 0.8 else 0, size_in=1)
        nengo.Connection(stim, err_node, synapse=IdealDelay(delay), transform=-1)
        nengo.Connection(out, err_node, synapse=None)
        learn_conn = nengo.Connection(
            ens, out, function=lambda x: 0, learning_rule_type=nengo.PES(2e-4)
        )
        nengo.Connection(err_node, learn_conn.learning_rule, synapse=None)
        probes = {
            "ideal": nengo.Probe(stim, synapse=IdealDelay(delay)),
            "lmu": nengo.Probe(lmu_node),
            "out": nengo.Probe(out),
            "weights": nengo.Probe(learn_conn, "weights", sample_every=0.05),
        }
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/networks
# ---------------------------------------------------------------------------


class ActionIterator:
    """networks/basal-ganglia's stateful action input (one action dominates)."""

    def __init__(self, dimensions):
        self.actions = np.ones(dimensions) * 0.1

    def step(self, t):
        dominate = int(t * 6 % 3)
        self.actions[:] = 0.1
        self.actions[dominate] = 0.8
        return self.actions


@example(run_time=0.6)
def basal_ganglia_example():
    """networks/basal-ganglia: BasalGanglia selects from a cycling action input."""
    with nengo.Network(label="Basal Ganglia", seed=50) as net:
        bg = nengo.networks.BasalGanglia(dimensions=3, n_neurons_per_ensemble=25)
        actions = nengo.Node(ActionIterator(3).step, label="actions")
        nengo.Connection(actions, bg.input, synapse=None)
        probes = {
            "selected": nengo.Probe(bg.output, synapse=0.01),
            "actions": nengo.Probe(actions, synapse=0.01),
        }
    return net, probes


@example()
def ensemble_array_example():
    """networks/ensemble-array: EnsembleArray -> Ensemble -> EnsembleArray."""
    with nengo.Network(label="Ensemble Array", seed=51) as net:
        sin = nengo.Node(output=lambda t: [np.cos(t), np.sin(t)])
        a = nengo.networks.EnsembleArray(40, n_ensembles=2)
        b = nengo.Ensemble(40, dimensions=2)
        c = nengo.networks.EnsembleArray(40, n_ensembles=2)
        nengo.Connection(sin, a.input)
        nengo.Connection(a.output, b)
        nengo.Connection(b, c.input)
        probes = {
            "A": nengo.Probe(a.output, synapse=0.02),
            "B": nengo.Probe(b, synapse=0.02),
            "C": nengo.Probe(c.output, synapse=0.02),
        }
    return net, probes


def _integrator_net(n_neurons, dimensions, tau=0.1, **kwargs):
    """The former ``nengo.networks.Integrator`` (as in usage/network-design)."""
    with nengo.Network(**kwargs) as net:
        net.input = nengo.Node(size_in=dimensions)
        net.ensemble = nengo.Ensemble(n_neurons, dimensions=dimensions)
        nengo.Connection(net.ensemble, net.ensemble, synapse=tau)
        nengo.Connection(net.input, net.ensemble, synapse=None, transform=tau)
    return net


@example(run_time=1.0)
def integrator_network():
    """networks/integrator-network: an Integrator network with a step input."""
    tau = 0.1
    net = _integrator_net(60, 1, tau=tau, seed=52)
    with net:
        inp = nengo.Node(_integrator_input())
        nengo.Connection(inp, net.input, synapse=tau)
        probes = {"integrator": nengo.Probe(net.ensemble, synapse=0.01)}
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/advanced
# ---------------------------------------------------------------------------


@example(run_time=0.35)
def izhikevich():
    """advanced/izhikevich: a sine into Izhikevich neurons, then its square.

    Run for 0.35 s: at step 370 neuron 0 reaches its threshold within round-off,
    and nengo.Simulator itself flips that spike when the input is perturbed by
    1e-15 (the same flip, at the same step, as ours).
    """
    with nengo.Network(seed=0) as net:
        u = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.Izhikevich())
        nengo.Connection(u, ens)
        square = nengo.Ensemble(20, 1, neuron_type=nengo.Izhikevich(tau_recovery=0.2))
        nengo.Connection(ens, square, function=lambda x: x**2)
        probes = {
            "out": nengo.Probe(ens, synapse=0.03),
            "voltage": nengo.Probe(ens.neurons, "voltage"),
            "recovery": nengo.Probe(ens.neurons, "recovery"),
            "square": nengo.Probe(square, synapse=0.03),
        }
    return net, probes


IZHIKEVICH_CLASSES = {
    "IB": dict(reset_voltage=-55, reset_recovery=4),
    "CH": dict(reset_voltage=-50, reset_recovery=2),
    "FS": dict(tau_recovery=0.1),
    "LTS": dict(coupling=0.25),
    "RZ": dict(tau_recovery=0.1, coupling=0.26),
}


@example(run_time=0.4)
def izhikevich_classes():
    """advanced/izhikevich: the IB, CH, FS, LTS and RZ parameter sets, input 0.2."""
    with nengo.Network(seed=0) as net:
        u = nengo.Node(0.2)
        probes = {}
        for key, params in IZHIKEVICH_CLASSES.items():
            ens = nengo.Ensemble(6, 1, neuron_type=nengo.Izhikevich(**params), label=key)
            nengo.Connection(u, ens)
            probes[key] = nengo.Probe(ens, synapse=0.03)
            probes[key + "_voltage"] = nengo.Probe(ens.neurons, "voltage")
            probes[key + "_recovery"] = nengo.Probe(ens.neurons, "recovery")
    return net, probes


@example(run_time=1.0)
def inhibitory_gating():
    """advanced/inhibitory-gating: a Node and an ensemble inhibit neurons."""
    n_neurons = 30
    with nengo.Network(label="Inhibitory Gating", seed=60) as net:
        a, b, c = (nengo.Ensemble(n_neurons, 1) for _ in range(3))
        sin = nengo.Node(np.sin)
        inhib = nengo.Node(Piecewise({0: 0, 0.25: 1, 0.5: 0, 0.75: 1}))
        nengo.Connection(sin, a)
        nengo.Connection(sin, b)
        nengo.Connection(inhib, a.neurons, transform=[[-2.5]] * n_neurons)
        nengo.Connection(inhib, c)
        nengo.Connection(c, b.neurons, transform=[[-2.5]] * n_neurons)
        probes = {k: nengo.Probe(e, synapse=0.01) for k, e in zip("ABC", (a, b, c))}
    return net, probes


@example(slow=True)
def matrix_multiplication():
    """advanced/matrix-multiplication: EnsembleArrays and a Product compute A.B."""
    N = 30
    a_mat = np.asarray([[0.5, -0.5], [-0.2, 0.3]])
    b_mat = np.asarray([[0.58, -1.0], [0.7, 0.1]])
    c_size = a_mat.size * b_mat.shape[1]
    transform_a, transform_b = np.zeros((c_size, a_mat.size)), np.zeros((c_size, b_mat.size))
    for i in range(a_mat.shape[0]):
        for j in range(a_mat.shape[1]):
            for k in range(b_mat.shape[1]):
                c_index = j + k * a_mat.shape[1] + i * b_mat.size
                transform_a[c_index][j + i * a_mat.shape[1]] = 1
                transform_b[c_index][k + j * b_mat.shape[1]] = 1
    with nengo.Network(label="Matrix Multiplication", seed=123) as net:
        a = nengo.networks.EnsembleArray(N, a_mat.size, radius=1)
        b = nengo.networks.EnsembleArray(N, b_mat.size, radius=1)
        nengo.Connection(nengo.Node(a_mat.ravel()), a.input)
        nengo.Connection(nengo.Node(b_mat.ravel()), b.input)
        c = nengo.networks.Product(N, dimensions=c_size)
        nengo.Connection(a.output, c.input_a, transform=transform_a)
        nengo.Connection(b.output, c.input_b, transform=transform_b)
        d = nengo.networks.EnsembleArray(N, n_ensembles=a_mat.shape[0] * b_mat.shape[1])
        transform_c = np.zeros((d.dimensions, c_size))
        for i in range(c_size):
            transform_c[i // b_mat.shape[0]][i] = 1
        nengo.Connection(c.output, d.input, transform=transform_c)
        probes = {
            key: nengo.Probe(obj.output, sample_every=0.01, synapse=0.01)
            for key, obj in zip("ABCD", (a, b, c, d))
        }
    return net, probes


@example()
def processes_builtin():
    """advanced/processes: WhiteSignal, WhiteNoise as ensemble noise,
    FilteredNoise and PresentInput."""
    noise = nengo.processes.WhiteNoise(dist=nengo.dists.Gaussian(0, 0.01), seed=1)
    ens_args = dict(encoders=[[1]], intercepts=[0.01], max_rates=[100])
    with nengo.Network(seed=70) as net:
        probes = {}
        for key, proc in {
            "white5": WhiteSignal(1.0, high=5, seed=0),
            "white10": WhiteSignal(1.0, high=10, seed=0),
            "white_rms": WhiteSignal(1.0, high=5, rms=0.3, seed=0),
            "white_period": WhiteSignal(0.5, high=5, seed=0),
            "alpha_noise": nengo.processes.FilteredNoise(
                dist=nengo.dists.Gaussian(0, 0.01), synapse=nengo.Alpha(0.005), seed=0
            ),
            "lowpass_noise": nengo.processes.FilteredNoise(
                dist=nengo.dists.Gaussian(0, 0.01), synapse=nengo.Lowpass(0.005), seed=0
            ),
            "present": nengo.processes.PresentInput(
                [[0, 0.5], [0.3, 0.2], [-0.1, -0.7], [-0.8, 0.6]], presentation_time=0.1
            ),
        }.items():
            probes[key] = nengo.Probe(nengo.Node(proc))
        a = nengo.Ensemble(1, 1, **ens_args)
        b = nengo.Ensemble(1, 1, noise=noise, **ens_args)
        probes["a_voltage"] = nengo.Probe(a.neurons, "voltage")
        probes["b_voltage"] = nengo.Probe(b.neurons, "voltage")
    return net, probes


class SimpleOscillator(nengo.Process):
    """advanced/processes: a custom Process with state and no input."""

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        return {"state": np.array([1.0, 0.0])}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        A = np.array([[-0.1, -1.0], [1.0, -0.1]])
        s = state["state"]

        def step(t):
            s[:] += dt * np.dot(A, s)
            return s

        return step


class LTIProcess(nengo.Process):
    """advanced/processes: a custom linear system Process with an input."""

    def __init__(self, A, B, **kwargs):
        self.A, self.B = np.asarray(A), np.asarray(B)
        super().__init__(
            default_size_in=self.B.shape[1], default_size_out=self.A.shape[0], **kwargs
        )

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        return {"state": np.zeros(self.A.shape[0])}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        A, B, s = self.A, self.B, state["state"]

        def step(t, x):
            s[:] += dt * (np.dot(A, s) + np.dot(B, x))
            return s

        return step


@example()
def processes_custom():
    """advanced/processes: SimpleOscillator and LTIProcess custom processes."""
    with nengo.Network(seed=71) as net:
        osc = nengo.Node(SimpleOscillator(), size_in=0, size_out=2)
        u = nengo.Node(lambda t: 1 if t < 0.1 else 0)
        lti = nengo.Node(LTIProcess([[-0.1, -1], [1, -0.1]], [[10], [-10]]))
        nengo.Connection(u, lti)
        ens = nengo.Ensemble(30, 2, radius=2)
        nengo.Connection(lti, ens)
        probes = {
            "osc": nengo.Probe(osc),
            "lti": nengo.Probe(lti),
            "ens": nengo.Probe(ens, synapse=0.01),
        }
    return net, probes


def _aligned(n_neurons, radius=0.9):
    intercepts = np.linspace(-radius, radius, n_neurons)
    encoders = np.tile([[1], [-1]], (n_neurons // 2, 1))
    return intercepts * encoders[:, 0], encoders


@example(run_time=1.0)
def nef_summary_representation():
    """advanced/nef-summary: aligned tuning curves, filtered spikes, decoding
    a ramp; a white signal and its square decoded into a Node."""
    intercepts, encoders = _aligned(8)
    with nengo.Network(label="NEF summary", seed=80) as net:
        ramp = nengo.Node(lambda t: t * 2 - 1)
        a = nengo.Ensemble(
            8, 1, intercepts=intercepts, max_rates=Uniform(80, 100), encoders=encoders
        )
        nengo.Connection(ramp, a)
        white = nengo.Node(WhiteSignal(1, high=5), size_out=1)
        b = nengo.Ensemble(30, 1, max_rates=Uniform(80, 100))
        b_square = nengo.Node(size_in=1)
        nengo.Connection(white, b)
        nengo.Connection(b, b_square, function=np.square)
        probes = {
            "a_spikes": nengo.Probe(a.neurons, synapse=0.01),
            "a": nengo.Probe(a, synapse=0.01),
            "white": nengo.Probe(white),
            "b_square": nengo.Probe(b_square, synapse=0.01),
        }
    return net, probes


@example(run_time=1.0)
def nef_summary_transformation():
    """advanced/nef-summary: A -> -A -> (-A)**2 on a sine wave."""
    rates = Uniform(80, 100)
    with nengo.Network(label="NEF summary", seed=81) as net:
        inp = nengo.Node(lambda t: np.sin(np.pi * t))
        a, minus_a, a_squared = (nengo.Ensemble(30, 1, max_rates=rates) for _ in range(3))
        nengo.Connection(inp, a)
        nengo.Connection(a, minus_a, function=lambda x: -x)
        nengo.Connection(minus_a, a_squared, function=lambda x: x**2)
        probes = {
            "minus_a": nengo.Probe(minus_a, synapse=0.01),
            "a_squared": nengo.Probe(a_squared, synapse=0.02),
        }
    return net, probes


@example(run_time=1.0)
def nef_summary_dynamics():
    """advanced/nef-summary: the recurrent harmonic oscillator (principle 3)."""
    with nengo.Network(label="NEF summary", seed=82) as net:
        inp = nengo.Node(lambda t: [1, 0] if t < 0.1 else [0, 0])
        osc = nengo.Ensemble(100, 2)
        nengo.Connection(inp, osc)
        nengo.Connection(osc, osc, transform=[[1, 1], [-1, 1]], synapse=0.1)
        probes = {"oscillator": nengo.Probe(osc, synapse=0.02)}
    return net, probes


def heaviside(x):
    return x > 0


@example(run_time=1.0)
def functions_and_tuning_curves():
    """advanced/functions-and-tuning-curves: Heaviside decoded from ensembles with
    default, positive, uniform, fixed and exponential intercepts and the
    ThresholdingEnsembles preset."""
    n, duration = 50, 1.0
    pos = Choice([[1]])
    with nengo.Network(seed=90) as net:
        stimulus = nengo.Node(lambda t: (2.0 * t / duration) - 1.0)
        ensembles = {
            "naive": nengo.Ensemble(n, 1),
            "pos_enc": nengo.Ensemble(n, 1, encoders=pos),
            "uniform": nengo.Ensemble(n, 1, encoders=pos, intercepts=Uniform(0.0, 1.0)),
            "fixed": nengo.Ensemble(n, 1, encoders=pos, intercepts=Choice([0.0])),
            "exp": nengo.Ensemble(n, 1, encoders=pos, intercepts=Exponential(0.15, 0.0, 1.0)),
        }
        with nengo.presets.ThresholdingEnsembles(0.0):
            ensembles["final"] = nengo.Ensemble(n, 1)
        probes = {}
        for key, ens in ensembles.items():
            out = nengo.Node(size_in=1)
            nengo.Connection(stimulus, ens)
            nengo.Connection(ens, out, function=heaviside)
            probes[key] = nengo.Probe(out, synapse=0.005)
    return net, probes


# ---------------------------------------------------------------------------
# docs/examples/usage
# ---------------------------------------------------------------------------


class RectifiedLinear(nengo.neurons.NeuronType):
    """usage/rectified-linear: a user-defined neuron type (Python step)."""

    def gain_bias(self, max_rates, intercepts):
        gain = max_rates / (1 - intercepts)
        bias = -intercepts * gain
        return gain, bias

    def step(self, dt, J, output):
        output[...] = np.maximum(0.0, J)


@example()
def rectified_linear():
    """usage/rectified-linear: 2-D representation with the custom neuron type."""
    with nengo.Network(label="2D Representation", seed=10) as net:
        neurons = nengo.Ensemble(50, 2, neuron_type=RectifiedLinear())
        sin, cos = nengo.Node(output=np.sin), nengo.Node(output=np.cos)
        nengo.Connection(sin, neurons[0])
        nengo.Connection(cos, neurons[1])
        probes = {
            "neurons": nengo.Probe(neurons, "decoded_output", synapse=0.01),
            "rates": nengo.Probe(neurons.neurons),
        }
    return net, probes


class Delay:
    """usage/delay-node: an n-step delay kept in a Python object."""

    def __init__(self, dimensions, timesteps=50):
        self.history = np.zeros((timesteps, dimensions))

    def step(self, t, x):
        self.history = np.roll(self.history, -1)
        self.history[-1] = x
        return self.history[0]


@example()
def delay_node():
    """usage/delay-node: a Node delays the decoded value by 0.1 s."""
    with nengo.Network(label="Delayed connection", seed=100) as net:
        inp = nengo.Node(WhiteSignal(2, high=5), size_out=1)
        a, b = nengo.Ensemble(40, 1), nengo.Ensemble(40, 1)
        nengo.Connection(inp, a)
        delaynode = nengo.Node(Delay(1, timesteps=100).step, size_in=1, size_out=1)
        nengo.Connection(a, delaynode)
        nengo.Connection(delaynode, b)
        probes = {"A": nengo.Probe(a, synapse=0.01), "B": nengo.Probe(b, synapse=0.01)}
    return net, probes


def _test_integrators(net):
    with net:
        inp = nengo.Node(Piecewise({0: 0, 0.1: 0.5, 0.3: 0, 0.5: -1, 0.6: 0, 0.8: 1, 0.9: 0}))
        nengo.Connection(inp, net.pre_integrator.input)
        return {
            "pre": nengo.Probe(net.pre_integrator.ensemble, synapse=0.01),
            "post": nengo.Probe(net.post_integrator.ensemble, synapse=0.01),
        }


@example(run_time=1.0)
def network_design():
    """usage/network-design: two integrator subnetworks built by a function."""
    net = nengo.Network(label="Two integrators", seed=110)
    with net:
        net.pre_integrator = _integrator_net(50, 1)
        net.post_integrator = _integrator_net(50, 1, tau=0.01)
        nengo.Connection(net.pre_integrator.ensemble, net.post_integrator.input)
    return net, _test_integrators(net)


@example(run_time=1.0)
def network_design_double_integrator():
    """usage/network-design: the (disorganized) double integrator lever task."""
    tau = 0.1
    with nengo.Network(seed=111) as net:
        pre_int = nengo.Ensemble(100, 2)
        post_int = nengo.Ensemble(100, 2)
        for ens in (pre_int, post_int):
            nengo.Connection(ens, ens[0], function=lambda x: x[0] * (1.0 - x[1]), synapse=tau)
        nengo.Connection(pre_int[0], post_int[0], transform=0.16)
        press = nengo.Ensemble(30, 1, encoders=Choice([[1]]), intercepts=Choice([0.85]))
        release = nengo.Ensemble(30, 1, encoders=Choice([[1]]), intercepts=Choice([0.85]))
        nengo.Connection(press, pre_int[0], transform=tau * 3)
        nengo.Connection(press, post_int[1], transform=-1 * 6)
        nengo.Connection(post_int[0], release)
        nengo.Connection(nengo.Node(lambda t: 1 if t < 0.2 else 0), press)
        probes = {
            "press": nengo.Probe(press, synapse=0.01),
            "release": nengo.Probe(release, synapse=0.01),
            "pre_int": nengo.Probe(pre_int[0], synapse=0.01),
            "post_int": nengo.Probe(post_int[0], synapse=0.01),
        }
    return net, probes


def _config_integrator(n_neurons, dimensions, recurrent_config=None, **kwargs):
    """usage/network-design-advanced's Integrator with a recurrent config."""
    net = nengo.Network(**kwargs)
    if recurrent_config is None:
        recurrent_config = nengo.Config(nengo.Connection)
        recurrent_config[nengo.Connection].synapse = nengo.Lowpass(0.1)
    with net:
        net.input = nengo.Node(size_in=dimensions)
        net.ensemble = nengo.Ensemble(n_neurons, dimensions=dimensions)
        with recurrent_config:
            nengo.Connection(net.ensemble, net.ensemble)
            tau = nengo.Config.default(nengo.Connection, "synapse").tau
        nengo.Connection(net.input, net.ensemble, synapse=None, transform=tau)
    return net


@example(run_time=1.0)
def network_design_advanced():
    """usage/network-design-advanced: LIFRate via net.config, a recurrent config
    argument and **kwargs passed to Network."""
    net = nengo.Network(label="Two integrators", seed=112)
    with net:
        net.config[nengo.Ensemble].neuron_type = nengo.LIFRate()
        net.pre_integrator = _config_integrator(50, 1, label="pre")
        recurrent_config = nengo.Config(nengo.Connection)
        recurrent_config[nengo.Connection].synapse = nengo.Lowpass(0.01)
        net.post_integrator = _config_integrator(
            50, 1, recurrent_config=recurrent_config, label="post"
        )
        nengo.Connection(net.pre_integrator.ensemble, net.post_integrator.input)
    return net, _test_integrators(net)


def _double_integrator(coupling, threshold, tau=0.1):
    """usage/network-design-advanced: medial_pfc + motor_cortex with configs."""
    net = nengo.Network(seed=0)
    rec = nengo.Config(nengo.Connection)
    rec[nengo.Connection].synapse = nengo.Lowpass(tau)
    ens_config = nengo.Config(nengo.Ensemble)
    ens_config[nengo.Ensemble].encoders = Choice([[1]])
    ens_config[nengo.Ensemble].intercepts = Choice([threshold])
    with net:
        net.mpfc = nengo.Network()
        with net.mpfc:
            for key in ("pre", "post"):
                sub = nengo.Network()
                with sub:
                    sub.ensemble = nengo.Ensemble(100, dimensions=2)
                    with rec:
                        nengo.Connection(
                            sub.ensemble, sub.ensemble[:1],
                            function=lambda x: x[:-1] * (1.0 - x[-1]),
                        )
                setattr(net.mpfc, key, sub)
            nengo.Connection(net.mpfc.pre.ensemble[0], net.mpfc.post.ensemble[0], transform=coupling)
        net.motor = nengo.Network()
        with net.motor, ens_config:
            net.motor.press = nengo.Ensemble(30, dimensions=1)
            net.motor.release = nengo.Ensemble(30, dimensions=1)
        nengo.Connection(net.motor.press, net.mpfc.pre.ensemble[0], transform=tau * 3)
        nengo.Connection(net.motor.press, net.mpfc.post.ensemble[1], transform=-6)
        nengo.Connection(net.mpfc.post.ensemble[0], net.motor.release)
    return net


@example(run_time=1.0)
def network_design_advanced_double_integrator():
    """usage/network-design-advanced: the double integrator with LIFRate neurons
    set through a nengo.Config context."""
    with nengo.Config(nengo.Ensemble) as cfg:
        cfg[nengo.Ensemble].neuron_type = nengo.LIFRate()
        net = _double_integrator(0.16, 0.85)
    with net:
        nengo.Connection(nengo.Node(lambda t: 1 if t < 0.2 else 0), net.motor.press)
        probes = {
            "press": nengo.Probe(net.motor.press, synapse=0.01),
            "release": nengo.Probe(net.motor.release, synapse=0.01),
            "pre_int": nengo.Probe(net.mpfc.pre.ensemble[0], synapse=0.01),
            "post_int": nengo.Probe(net.mpfc.post.ensemble[0], synapse=0.01),
        }
    return net, probes


# ---------------------------------------------------------------------------
# the comparisons
# ---------------------------------------------------------------------------

# notebook (nengo 4.1 docs/examples) -> factories covering it
NOTEBOOKS = {
    "basic/single-neuron": ["single_neuron"],
    "basic/two-neurons": ["two_neurons"],
    "basic/2d-representation": ["representation_2d"],
    "basic/addition": ["addition"],
    "basic/combining": ["combining"],
    "basic/communication-channel": ["communication_channel"],
    "basic/many-neurons": ["many_neurons"],
    "basic/multiplication": ["multiplication"],
    "basic/squaring": ["squaring"],
    "dynamics/integrator": ["integrator"],
    "dynamics/oscillator": ["oscillator"],
    "dynamics/controlled-integrator": ["controlled_integrator"],
    "dynamics/controlled-integrator2": ["controlled_integrator2"],
    "dynamics/controlled-oscillator": ["controlled_oscillator"],
    "dynamics/lorenz-attractor": ["lorenz_attractor"],
    "learning/learn-communication-channel": [
        "learn_communication_channel", "learn_communication_channel_weights"
    ],
    "learning/learn-square": ["learn_square"],
    "learning/learn-product": ["learn_product"],
    "learning/learn-unsupervised": ["learn_unsupervised"],
    "learning/learn-associations": ["learn_associations"],
    "learning/force-learning": ["force_learning"],
    "learning/lmu": ["lmu"],
    "networks/basal-ganglia": ["basal_ganglia_example"],
    "networks/ensemble-array": ["ensemble_array_example"],
    "networks/integrator-network": ["integrator_network"],
    "advanced/izhikevich": ["izhikevich", "izhikevich_classes"],
    "advanced/inhibitory-gating": ["inhibitory_gating"],
    "advanced/matrix-multiplication": ["matrix_multiplication"],
    "advanced/processes": ["processes_builtin", "processes_custom"],
    "advanced/nef-summary": [
        "nef_summary_representation", "nef_summary_transformation", "nef_summary_dynamics"
    ],
    "advanced/functions-and-tuning-curves": ["functions_and_tuning_curves"],
    "usage/rectified-linear": ["rectified_linear"],
    "usage/delay-node": ["delay_node"],
    "usage/network-design": ["network_design", "network_design_double_integrator"],
    "usage/network-design-advanced": [
        "network_design_advanced", "network_design_advanced_double_integrator"
    ],
    "usage/tuning-curves": [],  # test_tuning_curves
    "usage/exceptions": [],  # test_exceptions
}
NOT_SIMULATED = ["advanced/nef-algorithm", "usage/config", "usage/strings"]


def run_and_compare(name, case, dtype):
    """Run a fresh build of ``case`` in each simulator; return failures and ref."""
    dt = case.sim_kwargs.get("dt", DT)
    results, probes, spikes = [], None, None
    for runner in (run_reference, run_ours):
        net, probes = case.factory()
        spikes = add_spike_probes(net)
        all_probes = dict(probes, **{k: p for k, (p, _) in spikes.items()})
        args = () if runner is run_reference else (dtype,)
        results.append(runner(net, all_probes, case.run_time, *args, **case.sim_kwargs))
    ref, ours = results
    all_probes = dict(probes, **{k: p for k, (p, _) in spikes.items()})
    return compare_all(name, ref, ours, all_probes, dtype, dt, spikes), ref


def check_case(name, case, dtype):
    failures, ref = run_and_compare(name, case, dtype)
    assert not failures, f"{name}[{dtype}] differs from nengo:\n  " + "\n  ".join(failures)
    # the comparison means something only if the signals move
    probed = [k for k in ref if not k.startswith("__")]
    assert any(np.ptp(ref[k], axis=0).max() > 1e-3 for k in probed), name
    for key in case.learned:
        change = np.abs(ref[key][-1] - ref[key][0]).max()
        scale = max(1.0, np.abs(ref[key]).max())
        assert change > 1e3 * ATOL["float64"] * scale, (name, key, change)


def params(registry):
    out = []
    for name, case in registry.items():
        marks = [pytest.mark.slow] if case.slow else []
        out.append(pytest.param(name, "float64", marks=marks, id=f"{name}-float64"))
        if case.float32:
            out.append(pytest.param(name, "float32", marks=marks, id=f"{name}-float32"))
    return out


@pytest.mark.parametrize("name, dtype", params(NETWORKS))
def test_networks_match_nengo(name, dtype):
    check_case(name, NETWORKS[name], dtype)


@pytest.mark.parametrize("name, dtype", params(EXAMPLES))
def test_examples_match_nengo(name, dtype):
    check_case(name, EXAMPLES[name], dtype)


def test_registry_counts():
    """No network or example silently disappears."""
    public = sorted(n for n in dir(nengo.networks) if n[0].isupper())
    assert public == [
        "AssociativeMemory", "BasalGanglia", "CircularConvolution", "EnsembleArray",
        "InputGatedMemory", "Product", "Thalamus",
    ]
    assert len(NETWORKS) == 8
    assert len(EXAMPLES) == 42
    assert len(NOTEBOOKS) == 37
    covered = [f for names in NOTEBOOKS.values() for f in names]
    assert sorted(covered) == sorted(EXAMPLES)
    assert not set(NOT_SIMULATED) & set(NOTEBOOKS)


def _tuning_nets():
    """The ensembles of usage/tuning-curves, usage/rectified-linear,
    advanced/nef-summary and advanced/functions-and-tuning-curves."""
    encoders = np.tile([[1], [-1]], (4, 1))
    with nengo.Network(seed=120) as net:
        ens = [
            nengo.Ensemble(15, 1),
            nengo.Ensemble(15, 1, intercepts=Choice([-0.2]), encoders=Choice([[1]])),
            nengo.Ensemble(15, 2, encoders=Choice([[1, 1]])),
            nengo.Ensemble(15, 2),
            nengo.Ensemble(
                8, 1, intercepts=np.linspace(-0.8, 0.8, 8) * encoders[:, 0],
                neuron_type=RectifiedLinear(), max_rates=Uniform(80, 100), encoders=encoders,
            ),
            nengo.Ensemble(30, 1, neuron_type=nengo.Izhikevich()),
        ]
        with nengo.presets.ThresholdingEnsembles(0.0):
            ens.append(nengo.Ensemble(20, 1))
        ens_5d = nengo.Ensemble(15, 5)
        ens_3d = nengo.Ensemble(15, 3)
    return net, ens, ens_5d, ens_3d


def test_tuning_curves():
    """tuning_curves/response_curves from our simulator equal nengo's."""
    inputs = np.zeros((50, 3))
    inputs[:, 0] = np.linspace(-1, 1, 50)
    inputs[:, 1:] = 0.5
    curves = []
    for sim_class in (nengo.Simulator, nengodl_notebook.Simulator):
        net, ens, ens_5d, ens_3d = _tuning_nets()
        with sim_class(net, seed=SIM_SEED, progress_bar=False) as sim:
            out = [tuning_curves(e, sim) for e in ens]
            out.append(response_curves(ens_5d, sim))
            out.append(tuning_curves(ens_3d, sim, inputs=inputs))
        curves.append(out)
    for i, (ref, ours) in enumerate(zip(*curves)):
        for r, o in zip(ref, ours):
            assert np.allclose(o, r, rtol=1e-10, atol=1e-8), i


def _closed():
    with nengo.Network() as net:
        nengo.Ensemble(10, 1)
    return net, lambda sim: (sim.close(), sim.run(0.01))


def _node_returns_none():
    with nengo.Network() as net:
        nengo.Node(lambda t: None if t > 0.002 else 1.0)
    return net, lambda sim: sim.run(0.003)


def _zero_activity():
    with nengo.Network() as net:
        e = nengo.Ensemble(1, 1, gain=[0], bias=[-1], encoders=[[1]])
        nengo.Connection(e, e)
    return net, None


@pytest.mark.parametrize("make", [_closed, _node_returns_none, _zero_activity])
def test_exceptions(make):
    """usage/exceptions: the simulator errors are the ones nengo raises."""
    raised = []
    for sim_class in (nengo.Simulator, nengodl_notebook.Simulator):
        net, action = make()
        with pytest.raises(nengo.exceptions.NengoException) as info:
            with sim_class(net, progress_bar=False) as sim:
                if action is not None:
                    action(sim)
        raised.append(type(info.value))
    assert raised[1] is raised[0], raised
