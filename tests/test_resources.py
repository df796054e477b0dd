"""Resources and errors: memory after close, repeatable numbers, errors raised
inside the compiled loop (issue 13, points 6 and 7)."""

import gc
import weakref

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, SimulatorClosed

import nengodl_notebook
from nengodl_notebook import TensorNode


def rss_mb():
    """Resident memory of this process (MB), after a garbage collection."""
    gc.collect()
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


def chain_network(n_neurons=20):
    """The tutorial's chain: WhiteSignal -> x**2 -> sin -> output."""
    with nengo.Network(seed=0) as net:
        inp = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        square = nengo.Ensemble(n_neurons, 1)
        sin = nengo.Ensemble(n_neurons, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(inp, square)
        nengo.Connection(square, sin, function=np.square)
        nengo.Connection(sin, out, function=np.sin)
        probe = nengo.Probe(out, synapse=0.01)
    return net, probe


# -- A: close() releases ---------------------------------------------------------------


def test_memory_flat_over_closed_simulators(Simulator):
    """30 ``with Simulator(net) as sim: sim.run(0.1)`` keep memory within 50 MB.

    Before: each closed Simulator left ~8 MB behind (its XLA program, kept by
    TensorFlow's compilation cache, and its traced graph, kept by TensorFlow's
    gradient registry): +230 MB.
    """
    net, probe = chain_network()
    with Simulator(net) as sim:  # the first compile, and TensorFlow's own caches
        sim.run(0.1)
    start = rss_mb()
    for _ in range(30):
        with Simulator(net) as sim:
            sim.run(0.1)
    assert sim.data[probe].shape == (100, 1)
    del sim
    assert rss_mb() - start < 50


def test_close_frees_programs_of_a_kept_simulator(Simulator):
    """A closed Simulator that is still referenced frees its traced programs;
    its probe data stays readable and running raises."""
    net, probe = chain_network()
    sim = Simulator(net, jit_compile=False)
    sim.run(0.1)
    programs = [weakref.ref(p) for p in sim._program._programs.values()]
    assert programs and all(p() is not None for p in programs)
    sim.close()
    gc.collect()
    assert all(p() is None for p in programs)
    assert sim.data[probe].shape == (100, 1)
    with pytest.raises(SimulatorClosed):
        sim.run(0.1)


def test_closed_simulator_is_collected(Simulator):
    """Nothing outside keeps a closed Simulator alive (no global references)."""
    net, _ = chain_network()
    with Simulator(net) as sim:
        sim.run(0.01)
    ref = weakref.ref(sim)
    del sim
    gc.collect()
    assert ref() is None


# -- B: repeatable numbers -------------------------------------------------------------


def recurrent_network():
    """300 LIF neurons in a ring, each ensemble summing three inputs."""
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(5, high=5, rms=0.5), size_out=2)
        ens = [nengo.Ensemble(75, 2) for _ in range(4)]
        for i, e in enumerate(ens):
            nengo.Connection(stim, e)
            nengo.Connection(ens[i - 1], e, transform=0.5, synapse=0.01)
            nengo.Connection(ens[i - 2], e, function=np.square, synapse=0.005)
        probes = [nengo.Probe(e, synapse=0.01) for e in ens]
        probes += [nengo.Probe(e.neurons) for e in ens]
    return net, probes


def test_float32_instances_identical(Simulator):
    """Five float32 Simulators of one network and seed give identical numbers.

    Before: nengo's operator merging (which tries operators in memory-address
    order) made each Simulator lay out and sum signals in its own order; most
    runs had instances differing by round-off from the first steps on.
    """
    net, probes = recurrent_network()
    results = []
    for _ in range(5):
        with Simulator(net) as sim:
            sim.run(2.0)
        results.append(np.concatenate([sim.data[p] for p in probes], axis=1))
    for i, result in enumerate(results[1:], start=1):
        differ = np.flatnonzero(np.any(result != results[0], axis=1))
        assert len(differ) == 0, f"instance {i} differs from step {differ[:1] + 1}"


# -- C: errors inside the compiled loop ---------------------------------------------


class FailingNeurons(nengo.neurons.RectifiedLinear):
    """A neuron type without a TensorFlow implementation that fails in its step."""

    def step(self, dt, J, output):
        raise KeyError("my neurons failed")


def failing_neurons_network():
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([0.5])
        ens = nengo.Ensemble(5, 1, neuron_type=FailingNeurons(), label="failing")
        nengo.Connection(inp, ens.neurons, transform=np.ones((5, 1)))
        probe = nengo.Probe(ens.neurons)
    return net, inp, probe


@pytest.mark.filterwarnings("ignore:.*has no TensorFlow implementation")
@pytest.mark.filterwarnings("ignore:This model has Python functions")
def test_neuron_step_error_is_the_users(Simulator):
    """An exception in a custom neuron type's step arrives as itself, with a note
    naming the neuron type and the ensemble (not TensorFlow's 44-line trace)."""
    net, _, _ = failing_neurons_network()
    with Simulator(net) as sim:
        with pytest.raises(KeyError, match="my neurons failed") as info:
            sim.run_steps(3)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "FailingNeurons.step" in notes and "<Ensemble 'failing'>" in notes


@pytest.mark.filterwarnings("ignore:.*has no TensorFlow implementation")
@pytest.mark.filterwarnings("ignore:This model has Python functions")
def test_neuron_step_error_in_training(Simulator):
    """Training chains the neuron type's own exception."""
    net, inp, probe = failing_neurons_network()
    data = {inp: np.ones((2, 3, 1)), probe: np.zeros((2, 3, 5))}
    objective = {probe: nengodl_notebook.obj.mse}
    with Simulator(net, minibatch_size=2) as sim:
        with pytest.raises(SimulationError) as info:
            sim.train(data, keras.optimizers.SGD(0.1), objective=objective)
        assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.filterwarnings("ignore:.*has no TensorFlow implementation")
@pytest.mark.filterwarnings("ignore:This model has Python functions")
def test_neuron_step_error_in_loss_and_predict(Simulator):
    """sim.loss and sim.predict re-raise the neuron type's own exception."""
    net, inp, probe = failing_neurons_network()
    data = {inp: np.ones((2, 3, 1)), probe: np.zeros((2, 3, 5))}
    with Simulator(net, minibatch_size=2) as sim:
        with pytest.raises(KeyError, match="my neurons failed"):
            sim.loss(data, objective={probe: nengodl_notebook.obj.mse})
        with pytest.raises(KeyError, match="my neurons failed"):
            sim.predict({inp: np.ones((2, 3, 1))})


def asserting_network():
    """A TensorNode asserting ``x < 0.5`` fed with ``t`` (fails from 0.5 s on)."""

    def checked(t, x):
        tf.debugging.assert_less(x, 0.5)
        return x

    with nengo.Network(seed=0) as net:
        inp = nengo.Node(lambda t: t)
        node = TensorNode(checked, shape_in=(1,), shape_out=(1,), label="checker")
        nengo.Connection(inp, node, synapse=None)
        probe = nengo.Probe(node)
    return net, probe


def test_tensor_node_assertion_raises(Simulator):
    """A failing tf.debugging assertion in a TensorNode raises, naming the node,
    with default settings (XLA would drop it: the model runs without XLA)."""
    net, probe = asserting_network()
    with pytest.warns(UserWarning, match="XLA drops the assertions"):
        sim = Simulator(net)
    with sim:
        assert not sim._program.jit_compile
        sim.run(0.4)
        with pytest.raises(SimulationError, match="<TensorNode 'checker'>.*assertion"):
            sim.run(0.2)
        assert sim.data[probe].shape == (400, 1)


@pytest.mark.filterwarnings("ignore:.*XLA drops the assertions")
def test_tensor_node_assertion_with_xla_requested(Simulator):
    """jit_compile=True keeps XLA: the assertion is not checked (as warned)."""
    net, probe = asserting_network()
    with Simulator(net, jit_compile=True) as sim:
        assert sim._program.jit_compile
        sim.run(0.6)
    assert sim.data[probe].max() > 0.5
