"""nengo 4.1 ``docs/examples`` advanced/* and usage/* as factories."""

import nengo
import numpy as np
from example_basic_dynamics import integrator_net
from example_networks import example
from nengo.dists import Choice, Exponential, Uniform
from nengo.processes import Piecewise, WhiteSignal

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
        square = nengo.Ensemble(30, 1, neuron_type=nengo.Izhikevich(tau_recovery=0.2))
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
            neuron_type = nengo.Izhikevich(**params)
            ens = nengo.Ensemble(6, 1, neuron_type=neuron_type, label=key)
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


@example()
def matrix_multiplication():
    """advanced/matrix-multiplication: EnsembleArrays and a Product compute A.B."""
    N = 100
    a_mat = np.asarray([[0.5, -0.5], [-0.2, 0.3]])
    b_mat = np.asarray([[0.58, -1.0], [0.7, 0.1]])
    c_size = a_mat.size * b_mat.shape[1]
    transform_a = np.zeros((c_size, a_mat.size))
    transform_b = np.zeros((c_size, b_mat.size))
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
        a, minus_a, a_squared = (
            nengo.Ensemble(30, 1, max_rates=rates) for _ in range(3)
        )
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
        osc = nengo.Ensemble(200, 2)
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
    n, duration = 150, 1.0
    pos = Choice([[1]])
    with nengo.Network(seed=90) as net:
        stimulus = nengo.Node(lambda t: (2.0 * t / duration) - 1.0)
        ensembles = {
            "naive": nengo.Ensemble(n, 1),
            "pos_enc": nengo.Ensemble(n, 1, encoders=pos),
            "uniform": nengo.Ensemble(n, 1, encoders=pos, intercepts=Uniform(0.0, 1.0)),
            "fixed": nengo.Ensemble(n, 1, encoders=pos, intercepts=Choice([0.0])),
            "exp": nengo.Ensemble(
                n, 1, encoders=pos, intercepts=Exponential(0.15, 0.0, 1.0)
            ),
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
        neurons = nengo.Ensemble(100, 2, neuron_type=RectifiedLinear())
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
        inp = nengo.Node(
            Piecewise({0: 0, 0.1: 0.5, 0.3: 0, 0.5: -1, 0.6: 0, 0.8: 1, 0.9: 0})
        )
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
        net.pre_integrator = integrator_net(50, 1)
        net.post_integrator = integrator_net(50, 1, tau=0.01)
        nengo.Connection(net.pre_integrator.ensemble, net.post_integrator.input)
    return net, _test_integrators(net)


@example(run_time=1.0)
def network_design_double_integrator():
    """usage/network-design: the (disorganized) double integrator lever task."""
    tau = 0.1
    with nengo.Network(seed=111) as net:
        pre_int = nengo.Ensemble(200, 2)
        post_int = nengo.Ensemble(200, 2)
        for ens in (pre_int, post_int):
            nengo.Connection(
                ens, ens[0], function=lambda x: x[0] * (1.0 - x[1]), synapse=tau
            )
        nengo.Connection(pre_int[0], post_int[0], transform=0.16)
        command = dict(encoders=Choice([[1]]), intercepts=Choice([0.85]))
        press = nengo.Ensemble(30, 1, **command)
        release = nengo.Ensemble(30, 1, **command)
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
                    sub.ensemble = nengo.Ensemble(200, dimensions=2)
                    with rec:
                        nengo.Connection(
                            sub.ensemble,
                            sub.ensemble[:1],
                            function=lambda x: x[:-1] * (1.0 - x[-1]),
                        )
                setattr(net.mpfc, key, sub)
            nengo.Connection(
                net.mpfc.pre.ensemble[0], net.mpfc.post.ensemble[0], transform=coupling
            )
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
