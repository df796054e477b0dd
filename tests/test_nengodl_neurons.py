"""NengoDL 3.6's neuron types: SoftLIFRate, LeakyReLU, SpikingLeakyReLU.

Each runs in ``nengo.Simulator`` (their NumPy step) and in ours (the TensorFlow
twin in ``op_builders/neuron_math.py``) with the same numbers; their rates
follow the formulas; training a SpikingLeakyReLU ensemble uses LeakyReLU.
"""

import warnings

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError
from reference import DT, add_spike_probes, compare_all, run_ours, run_reference

import nengodl_notebook as nengo_dl
from nengodl_notebook import neurons
from nengodl_notebook.op_builders import neuron_math
from nengodl_notebook.op_builders.neurons import neuron_impl

TYPES = {
    "soft_lif_rate": lambda: neurons.SoftLIFRate(sigma=0.5, tau_rc=0.03),
    "leaky_relu": lambda: neurons.LeakyReLU(negative_slope=0.2, amplitude=0.5),
    "spiking_leaky_relu": lambda: neurons.SpikingLeakyReLU(negative_slope=0.4),
}


def varying_net(neuron_type):
    """A 3 Hz sine (reaching currents far below threshold) into 20 neurons."""
    with nengo.Network(seed=4) as net:
        inp = nengo.Node(lambda t: 1.5 * np.sin(2 * np.pi * 3 * t))
        ens = nengo.Ensemble(20, 1, neuron_type=neuron_type, max_rates=[100] * 20)
        nengo.Connection(inp, ens, synapse=None)
        probes = {
            "neurons": nengo.Probe(ens.neurons),
            "decoded": nengo.Probe(ens, synapse=0.01),
        }
        if "voltage" in neuron_type.state:
            probes["voltage"] = nengo.Probe(ens.neurons, "voltage")
    return net, probes


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(TYPES))
def test_same_as_nengo(name, dtype):
    net, probes = varying_net(TYPES[name]())
    spike_probes = add_spike_probes(net)
    probes.update({k: p for k, (p, _) in spike_probes.items()})
    ref = run_reference(net, probes, 0.4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = run_ours(net, probes, 0.4, dtype)
    assert not [w for w in caught if "no TensorFlow implementation" in str(w.message)]
    failures = compare_all(name, ref, ours, probes, dtype, DT, spike_probes)
    assert not failures, "\n".join(failures)
    assert np.ptp(ref["decoded"]) > 1  # the probes carry a signal
    if name != "soft_lif_rate":
        assert ref["neurons"].min() < 0  # negative rates or spikes were compared


@pytest.mark.parametrize("name", list(TYPES))
def test_tensorflow_implementation_is_used(name):
    neuron_type = TYPES[name]()
    assert neuron_impl(neuron_type) is not None  # not the NumPy fallback
    assert neuron_math.neuron_impl_class(neuron_type) is type(neuron_type)


SOFT_LIF_PARAMS = ("sigma", "tau_rc", "tau_ref", "amplitude")


def soft_lif_formula(J, sigma, tau_rc, tau_ref, amplitude):
    z = sigma * np.log1p(np.exp((J - 1) / sigma))
    return amplitude / (tau_ref + tau_rc * np.log1p(1 / z))


def test_soft_lif_rate_curve():
    nt = neurons.SoftLIFRate(sigma=0.2, tau_rc=0.05, tau_ref=0.003, amplitude=2)
    J = np.linspace(-1, 4, 501)
    got = nt.rates(J, 1.0, 0.0)[:, 0]
    assert np.allclose(got, soft_lif_formula(J, 0.2, 0.05, 0.003, 2), rtol=1e-12)
    assert np.all(np.diff(got) > 0) and got[0] > 0  # smooth, positive below 1
    # far above threshold, and with little smoothing, it is LIFRate
    lif = nengo.LIFRate(tau_rc=0.05, tau_ref=0.003, amplitude=2)
    big = np.array([20.0, 100.0])
    assert np.allclose(nt.rates(big, 1.0, 0.0), lif.rates(big, 1.0, 0.0), rtol=1e-3)
    sharp = neurons.SoftLIFRate(sigma=1e-4, tau_rc=0.05, tau_ref=0.003, amplitude=2)
    away = np.abs(J - 1) > 0.05  # the smoothing's width, not the LIF's kink
    diff = sharp.rates(J, 1.0, 0.0) - lif.rates(J, 1.0, 0.0)
    assert np.max(np.abs(diff[away])) < 0.1  # of rates up to 115 Hz


def test_soft_lif_rate_extremes_tf_matches_numpy_with_finite_gradient():
    nt = neurons.SoftLIFRate(sigma=0.5)
    J = np.array([-1e6, -30.0, -9.0, -8.0, 0.0, 1.0, 1.01, 5.0, 15.0, 17.0, 1e6])
    want = nt.rates(J, 1.0, 0.0)[:, 0]
    assert np.all(np.isfinite(want)) and np.all(want >= 0)
    p = {k: tf.constant(getattr(nt, k), tf.float64) for k in SOFT_LIF_PARAMS}
    Jt = tf.constant(J)
    with tf.GradientTape() as tape:
        tape.watch(Jt)
        got, _ = neuron_math.soft_lif_rate(DT, Jt, p, {}, None)
    assert np.allclose(got.numpy(), want, rtol=1e-13, atol=0)
    grad = tape.gradient(got, Jt).numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad >= 0)
    assert grad[5] > 0  # no kink at threshold


def test_leaky_relu_rates_and_gain_bias():
    nt = neurons.LeakyReLU(negative_slope=0.1, amplitude=3)
    J = np.array([-5.0, -1.0, 0.0, 2.0])
    assert np.array_equal(nt.rates(J, 1.0, 0.0)[:, 0], 3 * np.array([-0.5, -0.1, 0, 2]))
    gain, bias = nt.gain_bias(np.array([100.0]), np.array([0.5]))
    assert np.allclose(gain, 200) and np.allclose(bias, -100)
    assert np.allclose(nt.max_rates_intercepts(gain, bias), ([100], [0.5]))
    spiking = neurons.SpikingLeakyReLU(negative_slope=0.1, amplitude=3)
    assert np.array_equal(spiking.rates(J, 1.0, 0.0), nt.rates(J, 1.0, 0.0))


def test_spiking_leaky_relu_spike_count_is_the_rate():
    nt = neurons.SpikingLeakyReLU(negative_slope=0.25, amplitude=0.5)
    J = np.array([-100.0, -30.0, 0.0, 7.0, 250.0])
    voltage = np.zeros_like(J)
    output = np.zeros_like(J)
    total = np.zeros_like(J)
    for _ in range(1000):  # one second
        nt.step(DT, J, output, voltage)
        total += output * DT
    # amplitude * (-25, -7.5, 0, 7, 250) spikes, to within one spike
    want = 0.5 * np.array([-25.0, -7.5, 0, 7, 250])
    assert np.all(np.abs(total - want) <= 0.5)
    assert np.all(np.abs(voltage) < 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: neurons.SoftLIFRate(sigma=0),
        lambda: neurons.SoftLIFRate(sigma=-1.0),
        lambda: neurons.SoftLIFRate(tau_rc=0),
        lambda: neurons.LeakyReLU(negative_slope=-0.1),
        lambda: neurons.LeakyReLU(amplitude=0),
        lambda: neurons.SpikingLeakyReLU(negative_slope=-1),
        lambda: neurons.SpikingLeakyReLU(negative_slope="steep"),
    ],
)
def test_bad_parameters_raise(make):
    with pytest.raises(ValidationError):
        make()


def test_training_spiking_leaky_relu_uses_the_rate_twin(Simulator):
    # only the ensemble (encoders, gains, biases) trains: a loss drop needs a
    # gradient through the neurons, which spikes (a floor) would not give
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
        inp = nengo.Node([0.0])
        ens = nengo.Ensemble(30, 1, neuron_type=neurons.SpikingLeakyReLU())
        out = nengo.Node(size_in=1)
        nengo.Connection(inp, ens, synapse=None)
        nengo.Connection(ens, out, synapse=None)  # decoders frozen
        probe = nengo.Probe(out, synapse=None)
    x = np.random.RandomState(0).uniform(-1, 1, size=(64, 1, 1))
    data = {inp: x, probe: 0.5 * x}
    assert neuron_math.rate_twin(ens.neuron_type) is neuron_math.leaky_relu
    with Simulator(net, minibatch_size=16) as sim:
        history = sim.train(
            data, tf.keras.optimizers.Adam(0.5), {probe: nengo_dl.obj.mse}, n_epochs=5
        )
    assert history[-1] < 0.95 * history[0]


def test_neuron_types_are_also_top_level_names():
    """NengoDL 3 code writes ``nengo_dl.SoftLIFRate`` as well as the module path."""
    for name in ("SoftLIFRate", "LeakyReLU", "SpikingLeakyReLU"):
        assert getattr(nengo_dl, name) is getattr(neurons, name)
        assert name in nengo_dl.__all__
