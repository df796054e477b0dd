"""nengo 4.1 ``docs/examples`` basic/*, dynamics/* and networks/* as factories."""

import nengo
import numpy as np
from example_networks import example
from nengo.dists import Choice, Uniform
from nengo.processes import Piecewise

# ---------------------------------------------------------------------------
# docs/examples/basic
# ---------------------------------------------------------------------------


@example(run_time=1.0)
def single_neuron():
    """basic/single-neuron: one LIF neuron driven by a cosine."""
    with nengo.Network(label="A Single Neuron", seed=20) as net:
        neuron = nengo.Ensemble(
            1,
            1,
            intercepts=Uniform(-0.5, -0.5),
            max_rates=Uniform(100, 100),
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
            2,
            1,
            intercepts=Uniform(-0.5, -0.5),
            max_rates=Uniform(100, 100),
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
        neurons = nengo.Ensemble(100, 2)
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
        a, b, c = (nengo.Ensemble(100, 1) for _ in range(3))
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
        a, b = nengo.Ensemble(100, 1), nengo.Ensemble(100, 1)
        output = nengo.Ensemble(200, 2, radius=1.5)
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
        a, b = nengo.Ensemble(100, 1), nengo.Ensemble(100, 1)
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
        a = nengo.Ensemble(100, 1, radius=10)
        b = nengo.Ensemble(100, 1, radius=10)
        combined = nengo.Ensemble(
            220, 2, radius=15, encoders=Choice([[1, 1], [-1, 1], [1, -1], [-1, -1]])
        )
        prod = nengo.Ensemble(100, 1, radius=20)
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
        a, a_squared = nengo.Ensemble(100, 1), nengo.Ensemble(100, 1)
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
        a = nengo.Ensemble(100, 1)
        inp = nengo.Node(_integrator_input())
        nengo.Connection(a, a, transform=[[1]], synapse=tau)
        nengo.Connection(inp, a, transform=[[tau]], synapse=tau)
        probes = {"A": nengo.Probe(a, synapse=0.01)}
    return net, probes


@example(run_time=1.0)
def oscillator():
    """dynamics/oscillator: a kicked 2-D harmonic oscillator."""
    with nengo.Network(label="Oscillator", seed=31) as net:
        neurons = nengo.Ensemble(200, 2)
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
        a = nengo.Ensemble(225, 2, radius=1.5)
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
        osc = nengo.Ensemble(500, 3, radius=1.7)
        nengo.Connection(osc, osc, function=feedback, synapse=tau)
        frequency = nengo.Ensemble(100, 1)
        nengo.Connection(frequency, osc[2])
        initial = nengo.Node(Piecewise({0: [1, 0, 0], 0.15: [0, 0, 0]}))
        nengo.Connection(initial, osc)
        freq_in = nengo.Node(Piecewise({0: 1, 0.2: 0.5, 0.4: 0, 0.6: -0.5, 0.8: -1}))
        nengo.Connection(freq_in, frequency)
        probes = {"oscillator": nengo.Probe(osc, synapse=0.03)}
    return net, probes


def lorenz_attractor(n_neurons=500):
    """dynamics/lorenz-attractor: chaotic 3-D recurrent ensemble."""
    tau, sigma, beta, rho = 0.1, 10, 8.0 / 3, 28

    def feedback(x):
        dx0 = -sigma * x[0] + sigma * x[1]
        dx1 = -x[0] * x[2] - x[1]
        dx2 = x[0] * x[1] - beta * (x[2] + rho) - rho
        return [dx0 * tau + x[0], dx1 * tau + x[1], dx2 * tau + x[2]]

    with nengo.Network(label="Lorenz attractor", seed=35) as net:
        state = nengo.Ensemble(n_neurons, 3, radius=60)
        nengo.Connection(state, state, function=feedback, synapse=tau)
        probes = {"state": nengo.Probe(state, synapse=tau)}
    return net, probes


example(run_time=0.5)(lorenz_attractor)


@example(run_time=1.0, slow=True)
def lorenz_attractor_full():
    """dynamics/lorenz-attractor at the notebook's size (2000 neurons)."""
    return lorenz_attractor(2000)


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
        bg = nengo.networks.BasalGanglia(dimensions=3)
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
        a = nengo.networks.EnsembleArray(100, n_ensembles=2)
        b = nengo.Ensemble(100, dimensions=2)
        c = nengo.networks.EnsembleArray(100, n_ensembles=2)
        nengo.Connection(sin, a.input)
        nengo.Connection(a.output, b)
        nengo.Connection(b, c.input)
        probes = {
            "A": nengo.Probe(a.output, synapse=0.02),
            "B": nengo.Probe(b, synapse=0.02),
            "C": nengo.Probe(c.output, synapse=0.02),
        }
    return net, probes


def integrator_net(n_neurons, dimensions, tau=0.1, **kwargs):
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
    net = integrator_net(100, 1, tau=tau, seed=52)
    with net:
        inp = nengo.Node(_integrator_input())
        nengo.Connection(inp, net.input, synapse=tau)
        probes = {"integrator": nengo.Probe(net.ensemble, synapse=0.01)}
    return net, probes
