"""Subclasses of nengo's neuron types and synapses: the parent's TensorFlow maths
when they inherit its maths, nengo's own step functions (with a warning) when not."""

import warnings

import nengo
import numpy as np
import pytest


class MyLIF(nengo.LIF):
    """Same maths as LIF."""


class MyRectifiedLinear(nengo.RectifiedLinear):
    """Same maths as RectifiedLinear."""


class MyAdaptiveLIF(nengo.AdaptiveLIF):
    """Same maths as AdaptiveLIF (a subclass of a subclass of LIF)."""


class MyLowpass(nengo.Lowpass):
    """Same maths as Lowpass."""


class DoubledLIF(nengo.LIF):
    """LIF whose output is doubled: a ``step`` of its own."""

    def step(self, dt, J, output, voltage, refractory_time):
        super().step(dt, J, output, voltage, refractory_time)
        output *= 2


class HalvedLowpass(nengo.Lowpass):
    """Lowpass whose output is halved: a ``make_step`` of its own."""

    def make_step(self, shape_in, shape_out, dt, rng, state):
        step = super().make_step(shape_in, shape_out, dt, rng, state)
        return lambda t, x: 0.5 * step(t, x)


class MyWhiteSignal(nengo.processes.WhiteSignal):
    """Same signal as WhiteSignal."""


def subclass_net(neuron_types, synapse, seed=0):
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(MyWhiteSignal(1.0, high=5, rms=0.5))
        probes = [nengo.Probe(stim)]
        for neuron_type in neuron_types:
            ens = nengo.Ensemble(20, 1, neuron_type=neuron_type)
            nengo.Connection(stim, ens, synapse=synapse)
            probes.append(nengo.Probe(ens.neurons))
            probes.append(nengo.Probe(ens, synapse=synapse))
    return net, probes


def assert_matches_nengo(Simulator, net, probes, t=0.2):
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(t)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim = Simulator(net, dtype="float64")
    with sim:
        sim.run(t)
    for p in probes:
        np.testing.assert_allclose(sim.data[p], ref.data[p], rtol=0, atol=1e-8)
    return sim, [str(w.message) for w in caught]


def test_subclasses_with_parent_maths_run_in_tensorflow(Simulator):
    net, probes = subclass_net(
        [MyLIF(), MyRectifiedLinear(), MyAdaptiveLIF(tau_n=0.05, inc_n=0.1)],
        MyLowpass(0.01),
    )
    sim, messages = assert_matches_nengo(Simulator, net, probes)
    assert not [m for m in messages if "no TensorFlow implementation" in m], messages
    assert not sim._program.uses_python
    assert sim._program.jit_compile
    assert sim._inputs.time_only  # MyWhiteSignal: the precomputed fast path


@pytest.mark.parametrize(
    "neuron_type", [DoubledLIF(), MyLIF()], ids=["DoubledLIF", "MyLIF"]
)
def test_subclasses_with_own_maths_run_nengos_step(Simulator, neuron_type):
    net, probes = subclass_net([neuron_type], HalvedLowpass(0.01))
    sim, messages = assert_matches_nengo(Simulator, net, probes)
    fallbacks = [m for m in messages if "no TensorFlow implementation" in m]
    assert any(m.startswith("HalvedLowpass") for m in fallbacks), messages
    doubled = any(m.startswith("DoubledLIF") for m in fallbacks)
    assert doubled == (type(neuron_type) is DoubledLIF), messages
    assert sim._program.uses_python and not sim._program.jit_compile


def test_rate_twin_of_subclass_is_parents(Simulator):
    from nengodl_notebook.op_builders.neuron_math import rate_twin

    assert rate_twin(MyLIF()).__name__ == rate_twin(nengo.LIF()).__name__
    assert rate_twin(MyRectifiedLinear()) is rate_twin(nengo.RectifiedLinear())
    assert rate_twin(MyAdaptiveLIF()) is rate_twin(nengo.AdaptiveLIF())
    assert rate_twin(DoubledLIF()) is None


class ReversedWhiteSignal(nengo.processes.WhiteSignal):
    """WhiteSignal played backwards: a ``make_step`` of its own (same names inside)."""

    def make_step(self, shape_in, shape_out, dt, rng, state):
        forward = super().make_step(shape_in, shape_out, dt, rng, state)
        signal = np.array(
            [forward(k * dt) for k in range(int(round(self.period / dt)))]
        )

        def step_whitesignal(t):
            return signal[-int(round(t / dt)) % len(signal)]

        return step_whitesignal


@pytest.mark.parametrize("process", [MyWhiteSignal, ReversedWhiteSignal])
def test_white_signal_subclasses(Simulator, process):
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(process(0.1, high=10))
        p = nengo.Probe(stim)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run(0.15)
    with Simulator(net, dtype="float64") as sim:
        sim.run(0.15)
    np.testing.assert_allclose(sim.data[p], ref.data[p], rtol=0, atol=1e-12)
    assert sim._inputs.time_only == (process is MyWhiteSignal)  # precomputed table
