"""Equivalence tests: ``nengodl_notebook.Simulator`` versus ``nengo.Simulator``.

Every network in ``NETWORKS`` is built by a factory with a fixed network seed and
run in both simulators with the same simulator seed. Every probe is compared:

* ``dtype="float64"``: ``|ours - ref| <= 1e-8 * max(1, max_t |ref|)`` (the max
  taken per probe column, i.e. the tolerance is relative to the magnitude of each
  signal, e.g. 1000 for spikes), over the whole run (spike outputs included, so a
  single flipped spike fails).
* ``dtype="float32"``: the same with 1e-4, but only strictly before the first
  *spike flip*. A spike flip is a time step at which
  some spiking neuron emits a different number of spikes in the two simulators.
  A float32 neuron whose voltage lands within round-off of its threshold can spike
  one step earlier or later than the float64 reference; from then on the two
  trajectories legitimately diverge (that is chaos amplification of round-off, not
  a bug), so nothing after the flip is compared. Flips are detected automatically
  (a spike probe is added to every spiking ensemble of each network), reported
  with a ``SpikeFlipNotice`` warning, and a flip earlier than
  ``MIN_CLEAN_FRACTION`` of the run fails the test, since round-off should take a
  while to push a neuron across its threshold and an early flip means the
  comparison is too short to be meaningful. (Izhikevich voltage/recovery probes
  in float32 are only compared before that ensemble's first spike; see
  ``compare_all``.)

Processes without input (Node outputs and Ensemble ``noise=``) are computed with
nengo's own random generators, so they must match exactly, with explicit process
seeds and also with seeds drawn from the simulator seed.

``StochasticSpiking`` and ``PoissonSpiking`` draw random numbers inside the
simulation loop, so they are compared by statistics: the mean firing rate over
neurons and time must agree within 2% with nengo and with the rate curve of the
base neuron type.

The minibatch test checks that each item of a ``minibatch_size=3`` run equals a
``minibatch_size=1`` run given that item's data, and equals ``nengo.Simulator``
with a Node that plays back the same signal.
"""

import nengo
import numpy as np
import pytest
import scipy.signal
from nengo.dists import Choice, Gaussian, Uniform
from reference import (  # tests/reference.py: the harness shared with other modules
    DT,
    SIM_SEED,
    Recorder,
    add_spike_probes,
    compare_all,
    probe_steps,
    run_ours,
    run_reference,
)

import nengodl_notebook

# ---------------------------------------------------------------------------
# network factories: each returns (net, {name: nengo.Probe or Recorder})
# ---------------------------------------------------------------------------

NETWORKS = {}


def network(run_time=0.3, **sim_kwargs):
    def register(factory):
        NETWORKS[factory.__name__] = (factory, run_time, sim_kwargs)
        return factory

    return register


@network(run_time=0.5)
def tutorial():
    """The tutorial's network (WhiteSignal has no seed: drawn from sim seed)."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        a = nengo.Ensemble(20, 1)
        b = nengo.Ensemble(20, 1)
        out = nengo.Node(lambda t, x: np.sin(x), size_in=1)
        nengo.Connection(stim, a)
        nengo.Connection(a, b, function=np.square)
        nengo.Connection(b, out)
        probes = {
            "stim": nengo.Probe(stim, synapse=0.01),
            "a": nengo.Probe(a, synapse=0.01),
            "b": nengo.Probe(b, synapse=0.01),
            "out": nengo.Probe(out, synapse=0.01),
        }
    return net, probes


@network()
def lif_min_voltage():
    """LIF with min_voltage < 0 driven below threshold; neuron probes."""
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(lambda t: np.sin(2 * np.pi * 4 * t))
        a = nengo.Ensemble(
            30,
            1,
            neuron_type=nengo.LIF(min_voltage=-1, tau_rc=0.03, tau_ref=0.003),
            max_rates=Uniform(100, 300),
        )
        b = nengo.Ensemble(20, 1, neuron_type=nengo.LIF(min_voltage=-0.5))
        nengo.Connection(stim, a)
        nengo.Connection(a, b, transform=-1.5, synapse=0.005)
        nengo.Connection(stim, b.neurons, transform=-2 * np.ones((20, 1)))
        probes = {
            "a_spikes": nengo.Probe(a.neurons),
            "a_voltage": nengo.Probe(a.neurons, "voltage"),
            "a_reftime": nengo.Probe(a.neurons, "refractory_time"),
            "b_voltage": nengo.Probe(b.neurons, "voltage"),
            "b_input": nengo.Probe(b.neurons, "input"),
            "b": nengo.Probe(b, synapse=0.02),
        }
    return net, probes


@network()
def lif_initial_voltage_above_one():
    """LIF starting above threshold: the spike time's log1p leaves the range of
    the short series, so the builder must use the exact log1p."""
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(0.3)
        a = nengo.Ensemble(
            40,
            1,
            neuron_type=nengo.LIF(initial_state={"voltage": Uniform(0.9, 1.3)}),
            max_rates=Uniform(50, 150),
        )
        nengo.Connection(stim, a)
        probes = {
            "spikes": nengo.Probe(a.neurons),
            "reftime": nengo.Probe(a.neurons, "refractory_time"),
            "voltage": nengo.Probe(a.neurons, "voltage"),
        }
    return net, probes


@network()
def lifrate_dense_multidim():
    """3-D LIFRate ensemble, random Dense transforms, ensemble probes."""
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(lambda t: [np.sin(6 * t), np.cos(9 * t), 0.5 * t])
        a = nengo.Ensemble(40, 3, neuron_type=nengo.LIFRate())
        b = nengo.Ensemble(40, 2, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(stim, a, transform=np.random.RandomState(5).randn(3, 3) * 0.5)
        nengo.Connection(
            a,
            b,
            transform=nengo.transforms.Dense((2, 3), init=Gaussian(0, 0.6)),
            synapse=0.01,
        )
        probes = {
            "a": nengo.Probe(a),
            "a_input": nengo.Probe(a, "input"),
            "a_enc": nengo.Probe(a, "scaled_encoders"),
            "a_rates": nengo.Probe(a.neurons),
            "b": nengo.Probe(b, synapse=0.01),
            "b_neuron_input": nengo.Probe(b.neurons, "input"),
        }
    return net, probes


@network()
def relu_neuron_to_neuron():
    """RectifiedLinear and SpikingRectifiedLinear, neurons->neurons weights."""
    with nengo.Network(seed=3) as net:
        stim = nengo.Node(lambda t: [np.sin(5 * t), t])
        a = nengo.Ensemble(25, 2, neuron_type=nengo.RectifiedLinear(amplitude=0.5))
        b = nengo.Ensemble(
            20, 1, neuron_type=nengo.SpikingRectifiedLinear(amplitude=0.02)
        )
        c = nengo.Ensemble(15, 1, neuron_type=nengo.SpikingRectifiedLinear())
        w = np.random.RandomState(7).uniform(-2e-4, 5e-4, size=(20, 25))
        nengo.Connection(stim, a)
        nengo.Connection(a.neurons, b.neurons, transform=w, synapse=0.005)
        nengo.Connection(b, c, synapse=None)
        probes = {
            "a_rates": nengo.Probe(a.neurons),
            "b_spikes": nengo.Probe(b.neurons),
            "b_voltage": nengo.Probe(b.neurons, "voltage"),
            "b_input": nengo.Probe(b.neurons, "input"),
            "c": nengo.Probe(c, synapse=0.01),
            "c_voltage": nengo.Probe(c.neurons, "voltage"),
        }
    return net, probes


@network()
def sigmoid_tanh():
    with nengo.Network(seed=4) as net:
        stim = nengo.Node(lambda t: np.sin(8 * t))
        a = nengo.Ensemble(
            20, 1, neuron_type=nengo.Sigmoid(), max_rates=Uniform(250, 350)
        )
        b = nengo.Ensemble(
            20, 1, neuron_type=nengo.Tanh(tau_ref=0.004), max_rates=Uniform(80, 200)
        )
        nengo.Connection(stim, a)
        nengo.Connection(a, b, function=lambda x: x**2 - 0.3, synapse=0.005)
        probes = {
            "a": nengo.Probe(a),
            "a_rates": nengo.Probe(a.neurons),
            "b": nengo.Probe(b, synapse=0.01),
            "b_rates": nengo.Probe(b.neurons),
        }
    return net, probes


@network()
def adaptive():
    """AdaptiveLIF and AdaptiveLIFRate, adaptation probes."""
    with nengo.Network(seed=5) as net:
        stim = nengo.Node(0.8)
        a = nengo.Ensemble(20, 1, neuron_type=nengo.AdaptiveLIF(tau_n=0.05, inc_n=0.1))
        b = nengo.Ensemble(20, 1, neuron_type=nengo.AdaptiveLIFRate(inc_n=0.05))
        nengo.Connection(stim, a)
        nengo.Connection(stim, b, function=lambda x: -x)
        nengo.Connection(a, b, synapse=0.01)
        probes = {
            "a_spikes": nengo.Probe(a.neurons),
            "a_adapt": nengo.Probe(a.neurons, "adaptation"),
            "a_voltage": nengo.Probe(a.neurons, "voltage"),
            "b": nengo.Probe(b, synapse=0.01),
            "b_adapt": nengo.Probe(b.neurons, "adaptation"),
            "b_rates": nengo.Probe(b.neurons),
        }
    return net, probes


@network()
def izhikevich():
    with nengo.Network(seed=6) as net:
        stim = nengo.Node(lambda t: 0.5 + 0.4 * np.sin(10 * t))
        a = nengo.Ensemble(10, 1, neuron_type=nengo.Izhikevich())
        b = nengo.Ensemble(
            10, 1, neuron_type=nengo.Izhikevich(reset_voltage=-55, reset_recovery=4)
        )
        nengo.Connection(stim, a)
        nengo.Connection(a, b, synapse=0.01)
        probes = {
            "a_spikes": nengo.Probe(a.neurons),
            "a_voltage": nengo.Probe(a.neurons, "voltage"),
            "a_recovery": nengo.Probe(a.neurons, "recovery"),
            "a": nengo.Probe(a, synapse=0.02),
            "b_voltage": nengo.Probe(b.neurons, "voltage"),
        }
    return net, probes


@network()
def regular_spiking():
    with nengo.Network(seed=7) as net:
        stim = nengo.Node(lambda t: np.cos(7 * t))
        a = nengo.Ensemble(25, 1, neuron_type=nengo.RegularSpiking(nengo.LIFRate()))
        b = nengo.Ensemble(
            25,
            1,
            neuron_type=nengo.RegularSpiking(nengo.LIFRate(tau_rc=0.03), amplitude=0.5),
        )
        nengo.Connection(stim, a)
        nengo.Connection(a, b, synapse=0.01, function=np.abs)
        probes = {
            "a_spikes": nengo.Probe(a.neurons),
            "a_voltage": nengo.Probe(a.neurons, "voltage"),
            "a": nengo.Probe(a, synapse=0.01),
            "b": nengo.Probe(b, synapse=0.01),
        }
    return net, probes


@network()
def direct_mode():
    """Direct-mode ensembles with functions, mixed with a LIF ensemble."""
    with nengo.Network(seed=8) as net:
        stim = nengo.Node(lambda t: [np.sin(4 * t), np.cos(3 * t)])
        d = nengo.Ensemble(1, 2, neuron_type=nengo.Direct())
        prod = nengo.Ensemble(1, 1, neuron_type=nengo.Direct())
        lif = nengo.Ensemble(30, 1)
        nengo.Connection(stim, d)
        nengo.Connection(d, prod, function=lambda x: x[0] * x[1], synapse=0.005)
        nengo.Connection(prod, lif)
        d2 = nengo.Ensemble(1, 1, neuron_type=nengo.Direct())
        nengo.Connection(lif, d2, function=np.tanh, synapse=0.01)
        probes = {
            "d": nengo.Probe(d),
            "d_input": nengo.Probe(d, "input"),
            "prod": nengo.Probe(prod, synapse=0.01),
            "lif": nengo.Probe(lif, synapse=0.01),
            "d2": nengo.Probe(d2),
        }
    return net, probes


@network(run_time=0.5)
def integrator():
    """Recurrent LIF integrator driven by a Piecewise input."""
    tau = 0.1
    with nengo.Network(seed=9) as net:
        stim = nengo.Node(
            nengo.processes.Piecewise({0: 0, 0.0503: 2, 0.2003: 0, 0.3003: -1})
        )
        a = nengo.Ensemble(50, 1)
        nengo.Connection(stim, a, transform=tau, synapse=tau)
        nengo.Connection(a, a, synapse=tau)
        probes = {
            "stim": nengo.Probe(stim),
            "a": nengo.Probe(a, synapse=0.01),
            "a_spikes": nengo.Probe(a.neurons),
        }
    return net, probes


@network(run_time=0.5)
def oscillator():
    """2-D recurrent oscillator (LIFRate, so no flips) kicked by a Piecewise node."""
    tau, w = 0.1, 2 * np.pi * 3
    with nengo.Network(seed=10) as net:
        kick = nengo.Node(nengo.processes.Piecewise({0: [1, 0], 0.0503: [0, 0]}))
        osc = nengo.Ensemble(50, 2, neuron_type=nengo.LIFRate())
        nengo.Connection(kick, osc)
        nengo.Connection(osc, osc, transform=[[1, -w * tau], [w * tau, 1]], synapse=tau)
        probes = {
            "osc": nengo.Probe(osc, synapse=0.01),
            "osc_input": nengo.Probe(osc, "input"),
        }
    return net, probes


@network(run_time=0.5)
def spiking_oscillator():
    tau, w = 0.1, 2 * np.pi * 2
    with nengo.Network(seed=11) as net:
        kick = nengo.Node(nengo.processes.Piecewise({0: [1, 0], 0.0503: [0, 0]}))
        osc = nengo.Ensemble(60, 2)
        nengo.Connection(kick, osc)
        nengo.Connection(osc, osc, transform=[[1, -w * tau], [w * tau, 1]], synapse=tau)
        probes = {"osc": nengo.Probe(osc, synapse=0.01)}
    return net, probes


@network()
def sparse_transforms():
    """nengo.transforms.Sparse between nodes and between neuron populations."""
    with nengo.Network(seed=12) as net:
        stim = nengo.Node(lambda t: np.sin(np.arange(1, 7) * 3 * t))
        out = nengo.Node(size_in=4)
        nengo.Connection(
            stim,
            out,
            transform=nengo.transforms.Sparse(
                (4, 6),
                indices=[[0, 0], [0, 5], [1, 2], [3, 3], [3, 1], [2, 4]],
                init=[1.0, -0.5, 2.0, 0.3, 1.5, -1.0],
            ),
            synapse=None,
        )
        a = nengo.Ensemble(20, 1)
        b = nengo.Ensemble(15, 1)
        nengo.Connection(stim[0], a)
        rng = np.random.RandomState(3)
        idx = np.array(
            [(i, j) for i in range(15) for j in range(20) if rng.rand() < 0.3]
        )
        nengo.Connection(
            a.neurons,
            b.neurons,
            transform=nengo.transforms.Sparse(
                (15, 20), indices=idx, init=Uniform(-0.01, 0.03)
            ),
            synapse=0.005,
        )
        probes = {
            "out": nengo.Probe(out),
            "b_input": nengo.Probe(b.neurons, "input"),
            "b_spikes": nengo.Probe(b.neurons),
        }
    return net, probes


@network()
def sparse_transforms_scipy():
    """Sparse transforms initialised from scipy.sparse matrices."""
    import scipy.sparse

    with nengo.Network(seed=27) as net:
        stim = nengo.Node(lambda t: np.cos(np.arange(1, 6) * 4 * t))
        out = nengo.Node(size_in=3)
        m = scipy.sparse.csr_matrix(
            ([0.5, -1.0, 2.0, 0.25], ([0, 1, 2, 2], [4, 0, 1, 3])), shape=(3, 5)
        )
        nengo.Connection(stim, out, transform=nengo.transforms.Sparse((3, 5), init=m))
        a = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate())
        b = nengo.Ensemble(10, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(stim[2], a)
        w = scipy.sparse.random(10, 20, density=0.3, random_state=4, format="csr")
        nengo.Connection(
            a.neurons,
            b.neurons,
            transform=nengo.transforms.Sparse((10, 20), init=w * 0.01),
        )
        probes = {
            "out": nengo.Probe(out),
            "b_input": nengo.Probe(b.neurons, "input"),
            "b": nengo.Probe(b, synapse=0.01),
        }
    return net, probes


@network()
def copy_slicing():
    """Copy ops: pre/post slices, index lists, steps, repeated indices on inc."""
    with nengo.Network(seed=13) as net:
        stim = nengo.Node(lambda t: np.sin((np.arange(5) + 1) * 5 * t + np.arange(5)))
        a = nengo.Node(size_in=4)
        b = nengo.Node(size_in=3)
        c = nengo.Node(size_in=6)
        nengo.Connection(stim[1:4], a[:3], synapse=None)
        nengo.Connection(stim[[4, 0]], a[[3, 3]], synapse=None)  # repeated post
        nengo.Connection(stim[::2], b, synapse=None)  # stepped pre slice
        nengo.Connection(stim[[0, 0, 2]], b[[2, 0, 0]], transform=2.0, synapse=None)
        nengo.Connection(a[[3, 1, 1, 0]], c[[5, 0, 5, 2]], synapse=0.01)
        nengo.Connection(b[::-1], c[1:4], transform=[[1, 0, 0], [0, 0, 1], [1, 1, 0]])
        ens = nengo.Ensemble(20, 2)
        nengo.Connection(c[[5, 2]], ens[[1, 0]])
        nengo.Connection(
            stim[[3, 3, 1, 0]], ens.neurons[[0, 3, 3, 7]], transform=[1, 2, -1, 0.5]
        )
        probes = {
            "a": nengo.Probe(a),
            "b": nengo.Probe(b),
            "c": nengo.Probe(c),
            "ens": nengo.Probe(ens, synapse=0.01),
            "ens_input": nengo.Probe(ens.neurons, "input"),
        }
    return net, probes


@network()
def nodes():
    """Constant, f(t), f(t, x), passthrough and size_out=0 nodes."""
    rec = Recorder()
    with nengo.Network(seed=14) as net:
        const = nengo.Node([0.3, -0.2])
        ft = nengo.Node(lambda t: [t, np.sin(20 * t)])
        buf = np.zeros(2)

        def reused_buffer(t):
            # returns the same array object every call (nengo copies the output)
            buf[0] = np.cos(15 * t)
            buf[1] = np.sin(7 * t)
            return buf

        ft_buf = nengo.Node(reused_buffer)
        ftx = nengo.Node(lambda t, x: x * np.cos(5 * t) + t, size_in=2, size_out=2)
        passthrough = nengo.Node(size_in=2)
        sink = nengo.Node(rec, size_in=2, size_out=0)
        nengo.Connection(const, passthrough, synapse=None)
        nengo.Connection(ft, passthrough, synapse=0.005)
        nengo.Connection(ft_buf, passthrough, synapse=None)
        nengo.Connection(passthrough, ftx, synapse=None)
        ens = nengo.Ensemble(20, 2, neuron_type=nengo.LIFRate())
        nengo.Connection(ftx, ens)
        nengo.Connection(ens, sink, synapse=0.01)
        probes = {
            "const": nengo.Probe(const),
            "ft": nengo.Probe(ft),
            "ft_buf": nengo.Probe(ft_buf),
            "ftx": nengo.Probe(ftx),
            "passthrough": nengo.Probe(passthrough),
            "ens": nengo.Probe(ens),
            "sink_calls": rec,
        }
    return net, probes


@network()
def synapses_basic():
    """Synapse None, Lowpass, Alpha on connections and probes."""
    with nengo.Network(seed=15) as net:
        stim = nengo.Node(lambda t: np.sign(np.sin(30 * t)))
        a = nengo.Node(size_in=1)
        b = nengo.Node(size_in=1)
        c = nengo.Node(size_in=1)
        nengo.Connection(stim, a, synapse=None)
        nengo.Connection(stim, b, synapse=nengo.Lowpass(0.02))
        nengo.Connection(stim, c, synapse=nengo.Alpha(0.01))
        ens = nengo.Ensemble(20, 1)
        nengo.Connection(c, ens, synapse=nengo.Alpha(0.005))
        probes = {
            "a": nengo.Probe(a),
            "b": nengo.Probe(b),
            "c": nengo.Probe(c, synapse=nengo.Lowpass(0.005)),
            "ens_alpha": nengo.Probe(ens, synapse=nengo.Alpha(0.01)),
            "stim_lowpass0": nengo.Probe(stim, synapse=nengo.Lowpass(0)),
        }
    return net, probes


@network()
def linear_filters():
    """3rd-order Butterworth, 2nd-order resonator, passthrough (D != 0) filters."""
    num3, den3 = scipy.signal.butter(3, 2 * np.pi * 30, analog=True)
    w0, zeta = 2 * np.pi * 15, 0.3
    resonator = nengo.LinearFilter([w0**2], [1, 2 * zeta * w0, w0**2])
    passthrough = nengo.LinearFilter([1, 0.5], [1, 2], analog=True)  # D = 1
    digital_avg = nengo.LinearFilter([0.5, 0.5], [1, 0], analog=False)  # D = 0.5
    with nengo.Network(seed=16) as net:
        stim = nengo.Node(lambda t: np.sin(40 * t) + (t > 0.1003))
        a = nengo.Node(size_in=1)
        b = nengo.Node(size_in=1)
        c = nengo.Node(size_in=1)
        nengo.Connection(stim, a, synapse=nengo.LinearFilter(num3, den3))
        nengo.Connection(stim, b, synapse=resonator)
        nengo.Connection(stim, c, synapse=passthrough)
        ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(b, ens, synapse=digital_avg)
        probes = {
            "a": nengo.Probe(a),
            "b": nengo.Probe(b),
            "c": nengo.Probe(c),
            "stim_passthrough": nengo.Probe(stim, synapse=passthrough),
            "stim_butter": nengo.Probe(stim, synapse=nengo.LinearFilter(num3, den3)),
            "ens": nengo.Probe(ens, synapse=resonator),
        }
    return net, probes


@network()
def triangle_synapse():
    with nengo.Network(seed=17) as net:
        stim = nengo.Node(lambda t: np.cos(25 * t))
        a = nengo.Node(size_in=1)
        nengo.Connection(stim, a, synapse=nengo.synapses.Triangle(0.01))
        ens = nengo.Ensemble(25, 1)
        nengo.Connection(a, ens, synapse=nengo.synapses.Triangle(0.004))
        probes = {
            "a": nengo.Probe(a),
            "ens": nengo.Probe(ens, synapse=nengo.synapses.Triangle(0.02)),
        }
    return net, probes


def _process_nodes(seeded):
    s = (lambda k: 100 + k) if seeded else (lambda k: None)
    P = nengo.processes
    with nengo.Network(seed=18 if seeded else 19) as net:
        nodes = {
            "white_noise": nengo.Node(
                P.WhiteNoise(Gaussian(0, 0.5), scale=False, seed=s(0)), size_out=2
            ),
            "white_noise_scaled": nengo.Node(
                P.WhiteNoise(Uniform(-1, 1), seed=s(1)), size_out=1
            ),
            "filtered_noise": nengo.Node(
                P.FilteredNoise(
                    synapse=nengo.Alpha(0.01), dist=Gaussian(0, 1), seed=s(2)
                ),
                size_out=2,
            ),
            "brown_noise": nengo.Node(P.BrownNoise(seed=s(3)), size_out=1),
            "white_signal": nengo.Node(
                P.WhiteSignal(0.4, high=20, rms=0.4, seed=s(4)), size_out=3
            ),
            "present_input": nengo.Node(
                P.PresentInput(np.arange(12.0).reshape(4, 3) / 10, 0.0305)
            ),
            "piecewise": nengo.Node(
                P.Piecewise({0: [0.1, 0.2], 0.1003: [0.5, -0.5], 0.2503: [0, 1]})
            ),
            "piecewise_interp": nengo.Node(
                P.Piecewise({0: 0, 0.1003: 1, 0.2003: -1}, interpolation="linear")
            ),
        }
        ens = nengo.Ensemble(30, 3, neuron_type=nengo.LIFRate())
        nengo.Connection(nodes["white_signal"], ens)
        probes = {k: nengo.Probe(v) for k, v in nodes.items()}
        probes["filtered_noise_syn"] = nengo.Probe(
            nodes["filtered_noise"], synapse=0.01
        )
        probes["ens"] = nengo.Probe(ens, synapse=0.01)
    return net, probes


@network()
def process_nodes_seeded():
    return _process_nodes(seeded=True)


@network()
def process_nodes_unseeded():
    """Same processes, seeds drawn from the simulator seed (nengo's rng order)."""
    return _process_nodes(seeded=False)


def _ensemble_noise(seeded):
    s = (lambda k: 200 + k) if seeded else (lambda k: None)
    P = nengo.processes
    with nengo.Network(seed=20 if seeded else 21) as net:
        stim = nengo.Node(0.3)
        a = nengo.Ensemble(20, 1, noise=P.WhiteNoise(Gaussian(0, 0.5), seed=s(0)))
        b = nengo.Ensemble(
            20,
            1,
            neuron_type=nengo.LIFRate(),
            noise=P.FilteredNoise(
                synapse=nengo.Lowpass(0.005), dist=Gaussian(0, 2), seed=s(1)
            ),
        )
        nengo.Connection(stim, a)
        nengo.Connection(a, b)
        probes = {
            "a_input": nengo.Probe(a.neurons, "input"),
            "a_voltage": nengo.Probe(a.neurons, "voltage"),
            "b_input": nengo.Probe(b.neurons, "input"),
            "b": nengo.Probe(b, synapse=0.01),
        }
    return net, probes


@network()
def ensemble_noise_seeded():
    return _ensemble_noise(seeded=True)


# Unseeded processes get their seeds from the simulator rng in nengo's step order.
# With nengo's op-merging optimizer that order can depend on object hashes (two
# nengo.Simulator builds of this network with the same seed give different noise),
# so this network is run with optimize=False in both simulators.
@network(optimize=False)
def ensemble_noise_unseeded():
    return _ensemble_noise(seeded=False)


@network(run_time=0.4)
def sample_every_probes():
    with nengo.Network(seed=22) as net:
        stim = nengo.Node(lambda t: np.sin(10 * t))
        a = nengo.Ensemble(30, 1)
        nengo.Connection(stim, a)
        probes = {
            "stim_5ms": nengo.Probe(stim, sample_every=0.005),
            "a_5ms": nengo.Probe(a, synapse=0.01, sample_every=0.005),
            "a_2.5ms": nengo.Probe(a, synapse=0.01, sample_every=0.0025),
            "a_spikes_2.5ms": nengo.Probe(a.neurons, sample_every=0.0025),
            "a_voltage_5ms": nengo.Probe(a.neurons, "voltage", sample_every=0.005),
            "a_filtered_spikes_3ms": nengo.Probe(
                a.neurons, synapse=0.005, sample_every=0.003
            ),
        }
    return net, probes


@network()
def connection_probes():
    with nengo.Network(seed=23) as net:
        stim = nengo.Node(lambda t: [np.sin(6 * t), 0.5])
        a = nengo.Ensemble(20, 2)
        b = nengo.Ensemble(15, 1)
        nengo.Connection(stim, a)
        c_dec = nengo.Connection(a, b, function=lambda x: x[0] * x[1], synapse=0.01)
        c_neur = nengo.Connection(
            a.neurons,
            b.neurons,
            transform=np.random.RandomState(1).randn(15, 20) * 1e-3,
        )
        c_node = nengo.Connection(stim, b, transform=[[0.3, -0.2]])
        probes = {
            "dec_weights": nengo.Probe(c_dec, "weights"),
            "dec_output": nengo.Probe(c_dec, "output"),
            "dec_input": nengo.Probe(c_dec, "input"),
            "dec_output_syn": nengo.Probe(c_dec, "output", synapse=0.01),
            "neur_weights": nengo.Probe(c_neur, "weights"),
            "neur_output": nengo.Probe(c_neur),
            "node_weights": nengo.Probe(c_node, "weights"),
            "node_output": nengo.Probe(c_node, "output"),
            "b_input": nengo.Probe(b, "input"),
        }
    return net, probes


@network()
def multidim_chain():
    """4-D ensemble, nonlinear multi-dimensional functions, Dense transforms."""
    with nengo.Network(seed=24) as net:
        stim = nengo.Node(lambda t: np.sin(np.array([3, 5, 7, 11]) * t) * 0.8)
        a = nengo.Ensemble(50, 4, radius=1.5)
        b = nengo.Ensemble(40, 2)
        out = nengo.Node(size_in=3)
        nengo.Connection(stim, a)
        nengo.Connection(a, b, function=lambda x: [x[0] * x[1], x[2] - x[3] ** 2])
        nengo.Connection(
            b,
            out,
            transform=nengo.transforms.Dense((3, 2), init=Uniform(-1, 1)),
            synapse=0.02,
        )
        probes = {
            "a": nengo.Probe(a, synapse=0.01),
            "b": nengo.Probe(b, synapse=0.01),
            "out": nengo.Probe(out),
            "b_scaled_encoders": nengo.Probe(b, "scaled_encoders", sample_every=0.05),
        }
    return net, probes


@network()
def rate_neuron_to_neuron():
    """Rate neurons only (no flips in float32): recurrent weights + index lists."""
    with nengo.Network(seed=25) as net:
        stim = nengo.Node(lambda t: [np.sin(9 * t), np.cos(4 * t)])
        a = nengo.Ensemble(30, 2, neuron_type=nengo.LIFRate())
        b = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(tau_rc=0.05))
        nengo.Connection(stim, a)
        rng = np.random.RandomState(11)
        nengo.Connection(
            a.neurons, b.neurons, transform=rng.randn(20, 30) * 2e-3, synapse=0.005
        )
        nengo.Connection(
            b.neurons, b.neurons, transform=-rng.rand(20, 20) * 1e-3, synapse=0.01
        )
        nengo.Connection(
            a.neurons[[0, 5, 5, 9]],
            b.neurons[[1, 1, 2, 19]],
            transform=[0.01, -0.02, 0.005, 0.01],
        )
        nengo.Connection(a.neurons[:5], b, transform=np.ones((1, 5)) * 1e-3)
        probes = {
            "a_rates": nengo.Probe(a.neurons),
            "b_input": nengo.Probe(b.neurons, "input"),
            "b_rates": nengo.Probe(b.neurons, synapse=0.01),
            "b": nengo.Probe(b),
        }
    return net, probes


@network(run_time=0.4)
def mixed_everything():
    """Many features in one network (subnetwork, noise, filters, slices, nodes)."""
    rec = Recorder()
    with nengo.Network(seed=26) as net:
        stim = nengo.Node(
            nengo.processes.WhiteSignal(1, high=8, rms=0.3, seed=5), size_out=2
        )
        with nengo.Network(label="sub") as sub:
            a = nengo.Ensemble(
                30,
                2,
                intercepts=Uniform(-0.5, 0.5),
                noise=nengo.processes.WhiteNoise(Gaussian(0, 0.1), seed=9),
            )
            b = nengo.Ensemble(20, 1, neuron_type=nengo.AdaptiveLIF(tau_n=0.1))
            nengo.Connection(a, b, function=lambda x: x[0] - x[1])
        d = nengo.Ensemble(1, 3, neuron_type=nengo.Direct())
        relay = nengo.Node(size_in=3)
        nengo.Connection(stim, a)
        nengo.Connection(stim[1], d[[0, 2]], transform=[[1], [-1]])
        nengo.Connection(b, d[1], synapse=nengo.Alpha(0.005))
        nengo.Connection(d, relay, synapse=nengo.synapses.Triangle(0.005))
        nengo.Connection(relay[[2, 0]], a, transform=0.2, synapse=0.01)
        sink = nengo.Node(rec, size_in=1, size_out=0)
        nengo.Connection(b, sink)
        c = nengo.Ensemble(
            20, 1, neuron_type=nengo.Izhikevich(), encoders=Choice([[1]])
        )
        nengo.Connection(relay[0], c)
        probes = {
            "a": nengo.Probe(a, synapse=0.01),
            "b": nengo.Probe(b, synapse=0.01, sample_every=0.0025),
            "d": nengo.Probe(d),
            "relay": nengo.Probe(relay),
            "c_voltage": nengo.Probe(c.neurons, "voltage", sample_every=0.005),
            "sink": rec,
        }
    assert sub in net.networks
    return net, probes


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_equivalence(name, dtype):
    factory, run_time, sim_kwargs = NETWORKS[name]
    net, probes = factory()
    spike_probes = add_spike_probes(net)
    all_probes = dict(probes)
    all_probes.update({k: p for k, (p, _) in spike_probes.items()})

    ref = run_reference(net, all_probes, run_time, **sim_kwargs)
    ours = run_ours(net, all_probes, run_time, dtype, **sim_kwargs)

    failures = compare_all(name, ref, ours, all_probes, dtype, DT, spike_probes)
    assert not failures, f"{name}[{dtype}] differs from nengo:\n  " + "\n  ".join(
        failures
    )


def test_network_count():
    assert len(NETWORKS) >= 25


def test_sample_every_trange():
    net, probes = sample_every_probes()
    with nengo.Simulator(net, seed=SIM_SEED, progress_bar=False) as ref:
        ref.run_steps(40)
        ref_t = ref.trange(sample_every=0.0025)
        ref_n = len(ref.data[probes["a_2.5ms"]])
    with nengodl_notebook.Simulator(net, seed=SIM_SEED, progress_bar=False) as ours:
        ours.run_steps(40)
        assert np.allclose(ours.trange(), ref.trange())
        assert np.allclose(ours.trange(sample_every=0.0025), ref_t)
        assert len(ours.data[probes["a_2.5ms"]]) == ref_n == 16


# ---------------------------------------------------------------------------
# in-loop random spiking: compare statistics
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("neuron_type", ["StochasticSpiking", "PoissonSpiking"])
def test_stochastic_rates(neuron_type, dtype):
    n_neurons, run_time, x = 300, 1.0, 0.5
    base = nengo.LIFRate()
    with nengo.Network(seed=30) as net:
        stim = nengo.Node(x)
        ens = nengo.Ensemble(
            n_neurons,
            1,
            neuron_type=getattr(nengo, neuron_type)(base),
            max_rates=Uniform(150, 250),
            intercepts=Uniform(-0.8, 0.2),
            encoders=Choice([[1]]),
        )
        nengo.Connection(stim, ens, synapse=None)
        p = nengo.Probe(ens.neurons)

    with nengo.Simulator(net, seed=SIM_SEED, progress_bar=False) as ref:
        ref.run(run_time)
        ref_spikes = ref.data[p]
        gain, bias = ref.data[ens].gain, ref.data[ens].bias
    with nengodl_notebook.Simulator(
        net, seed=SIM_SEED, progress_bar=False, dtype=dtype
    ) as ours:
        ours.run(run_time)
        our_spikes = np.asarray(ours.data[p])

    assert our_spikes.shape == ref_spikes.shape
    # outputs are spike counts times amplitude / dt
    counts = our_spikes * DT
    assert np.allclose(counts, np.round(counts), atol=1e-3)
    expected = base.rates(np.array([x]), gain, bias).mean()
    ref_rate, our_rate = ref_spikes.mean(), our_spikes.mean()
    assert expected > 100  # enough spikes that 2% is several standard errors
    assert abs(ref_rate - expected) < 0.02 * expected  # sanity check of the test
    assert abs(our_rate - expected) < 0.02 * expected, (our_rate, expected)
    assert abs(our_rate - ref_rate) < 0.02 * ref_rate, (our_rate, ref_rate)
    # per-neuron rates also follow the rate curve (guards against e.g. all
    # neurons getting the mean rate); loose bound, 1 s of Poisson noise per neuron
    per_neuron = our_spikes.mean(axis=0)
    per_neuron_expected = base.rates(np.array([x]), gain, bias).ravel()
    assert np.corrcoef(per_neuron, per_neuron_expected)[0, 1] > 0.9


# ---------------------------------------------------------------------------
# minibatch
# ---------------------------------------------------------------------------


def _minibatch_net(output):
    with nengo.Network(seed=40) as net:
        inp = nengo.Node(output, size_out=2)
        a = nengo.Ensemble(30, 2)
        b = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(inp, a)
        nengo.Connection(a, b, function=lambda x: x[0] * x[1])
        probes = {
            "a": nengo.Probe(a, synapse=0.01),
            "b": nengo.Probe(b),
            "a_spikes": nengo.Probe(a.neurons),
            "a_voltage": nengo.Probe(a.neurons, "voltage", sample_every=0.005),
        }
    return net, inp, probes


def _data_dict(sim, probes):
    return {k: np.asarray(sim.data[p], dtype=np.float64) for k, p in probes.items()}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_minibatch(dtype):
    n_steps, mb = 200, 3
    t = np.arange(1, n_steps + 1) * DT
    data = np.stack(
        [
            np.stack([np.sin(2 * np.pi * f * t), 0.5 * np.cos(2 * np.pi * g * t)], -1)
            for f, g in [(2, 3), (5, 1), (1, 7)]
        ]
    )
    assert data.shape == (mb, n_steps, 2)
    net, inp, probes = _minibatch_net(np.zeros(2))
    spike_probes = {"a_spikes": (probes["a_spikes"], 1.0)}

    with nengodl_notebook.Simulator(
        net, seed=SIM_SEED, progress_bar=False, dtype=dtype, minibatch_size=mb
    ) as sim:
        sim.run(n_steps * DT, data={inp: data})
        batched = _data_dict(sim, probes)
        trange = np.asarray(sim.trange()).reshape(-1, 1)
    for k, p in probes.items():
        n_rows = probe_steps(p.sample_every, DT, n_steps).size
        assert batched[k].shape == (mb, n_rows, p.size_in), k

    failures = []
    for i in range(mb):
        item = {k: v[i] for k, v in batched.items()}
        item["__trange"] = trange

        # our simulator, minibatch_size=1, this item's data
        with nengodl_notebook.Simulator(
            net, seed=SIM_SEED, progress_bar=False, dtype=dtype, minibatch_size=1
        ) as sim:
            sim.run(n_steps * DT, data={inp: data[i : i + 1]})
            # minibatch_size=1 given: probe data keeps its batch axis, as in NengoDL
            single = {k: v[0] for k, v in _data_dict(sim, probes).items()}
            single["__trange"] = np.asarray(sim.trange()).reshape(-1, 1)
        failures += [
            f"item {i} vs our minibatch-1 run: {f}"
            for f in compare_all(
                f"minibatch item {i} vs ours",
                single,
                item,
                probes,
                dtype,
                DT,
                spike_probes,
            )
        ]

        # nengo reference: the same network (same seeds), a Node plays the signal
        ref_net, _, ref_probes = _minibatch_net(
            lambda t, i=i: data[i][int(round(t / DT)) - 1]
        )
        with nengo.Simulator(ref_net, seed=SIM_SEED, progress_bar=False) as ref_sim:
            ref_sim.run(n_steps * DT)
            ref = _data_dict(ref_sim, ref_probes)
            ref["__trange"] = ref_sim.trange().reshape(-1, 1)
        failures += [
            f"item {i} vs nengo: {f}"
            for f in compare_all(
                f"minibatch item {i} vs nengo",
                ref,
                item,
                probes,
                dtype,
                DT,
                spike_probes,
            )
        ]
    assert not failures, f"minibatch[{dtype}]:\n  " + "\n  ".join(failures)
