"""Step programs shared by a structural key computed before tracing.

A second Simulator whose `program_keys.step_key` matches a stored program runs
that program with its own parameter variables, without a trace of its own; it
must give exactly what it gives alone. Structural changes must change the key,
and the checking mode (``NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS``) must catch a key
that misses a part.
"""

import gc

import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl
from nengodl_notebook import program_keys, step_program, xla_cache
from nengodl_notebook.step_program import SHARED_PROGRAMS


def make_net(
    seed=0,
    neuron_type=None,
    synapse=0.01,
    function=None,
    extra_probe=False,
    trainable=True,
):
    """stim -> a -> b, b probed: each argument changes one part of the structure."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable=trainable)
        stim = nengo.Node(lambda t: np.sin(8 * t))
        a = nengo.Ensemble(30, 1, neuron_type=neuron_type or nengo.LIF())
        b = nengo.Ensemble(30, 1)
        nengo.Connection(stim, a, synapse=None)
        nengo.Connection(a, b, synapse=synapse, function=function)
        net.p = nengo.Probe(b, synapse=0.01)
        if extra_probe:
            nengo.Probe(a)
    return net


@pytest.fixture
def shared(monkeypatch):
    """`SHARED_PROGRAMS`, empty before and after the test; key hits unchecked
    (scripts/run_tests.sh turns checking on: a checked hit traces too)."""
    monkeypatch.delenv(program_keys.CHECK_VARIABLE, raising=False)
    monkeypatch.setattr(xla_cache, "DIRECTORY", None)  # no programs from disk
    SHARED_PROGRAMS.clear()
    yield SHARED_PROGRAMS
    SHARED_PROGRAMS.clear()


def traces(sim):
    """Traces of the Simulator's step program function so far."""
    return sim._program._run.experimental_get_tracing_count()


def alone(Simulator, net, seed=None, steps=100):
    """Probe data of ``net`` run by a Simulator that shares nothing."""
    SHARED_PROGRAMS.clear()
    with Simulator(net, seed=seed) as sim:
        sim.run_steps(steps)
        assert traces(sim) == 1
    SHARED_PROGRAMS.clear()
    return sim.data[net.p]


def key(Simulator, net, **kwargs):
    with Simulator(net, **kwargs) as sim:
        return sim._program.structure_key()


def test_second_simulator_runs_without_a_trace(Simulator, shared):
    net = make_net()
    expected = alone(Simulator, net)
    with Simulator(net) as first:
        first.run_steps(100)
        assert traces(first) == 1
    hits = shared.hits
    with Simulator(net) as second:
        second.run_steps(100)
        assert traces(second) == 0
        assert second.programs_built == 1
        assert shared.hits == hits + 1
        np.testing.assert_array_equal(second.data[net.p], expected)


def test_other_parameters_run_their_own(Simulator, shared):
    """Networks of other seeds: other encoders, gains, biases, decoders."""
    nets = {seed: make_net(seed=seed) for seed in (1, 2)}
    expected = {seed: alone(Simulator, net) for seed, net in nets.items()}
    assert not np.allclose(expected[1], expected[2])
    first = Simulator(nets[1])
    second = Simulator(nets[2])
    assert first._program.structure_key() == second._program.structure_key()
    first.run_steps(100)
    second.run_steps(100)
    assert traces(second) == 0
    np.testing.assert_array_equal(first.data[nets[1].p], expected[1])
    np.testing.assert_array_equal(second.data[nets[2].p], expected[2])
    first.close()
    del first
    gc.collect()
    second.reset()
    second.run_steps(100)  # the shared program, after its first owner closed
    np.testing.assert_array_equal(second.data[nets[2].p], expected[2])


@pytest.mark.parametrize(
    "changed, options",
    [
        ({"neuron_type": nengo.LIF(tau_rc=0.03)}, {}),
        ({"neuron_type": nengo.LIF(tau_ref=0.001)}, {}),
        ({"neuron_type": nengo.RectifiedLinear()}, {}),
        ({"neuron_type": nengo.SpikingRectifiedLinear()}, {}),
        ({"synapse": 0.02}, {}),
        ({"synapse": nengo.Alpha(0.01)}, {}),
        ({"synapse": None}, {}),
        ({"extra_probe": True}, {}),
        ({"trainable": False}, {}),
        ({}, {"minibatch_size": 2}),
        ({}, {"dtype": "float64"}),
        ({}, {"dt": 0.002}),
        ({}, {"jit_compile": False}),
    ],
)
def test_structural_changes_change_the_key(Simulator, changed, options):
    reference = key(Simulator, make_net())
    assert reference is not None
    other = key(Simulator, make_net(**changed), **options)
    assert other != reference


def test_parameter_values_do_not_change_the_key(Simulator):
    """Encoders, gains, biases and decoders (so an ensemble's connection
    function) are variables, not part of the key."""
    reference = key(Simulator, make_net(seed=1))
    assert key(Simulator, make_net(seed=2)) == reference
    assert key(Simulator, make_net(seed=1, function=np.square)) == reference


def test_tensor_nodes_have_no_key(Simulator):
    with nengo.Network(seed=0) as net:
        node = nengo_dl.TensorNode(lambda t, x: x * 2, shape_in=(1,))
        nengo.Connection(nengo.Node([0.5]), node)
        nengo.Probe(node)
    assert key(Simulator, net) is None


def test_checking_mode_catches_an_incomplete_key(Simulator, shared, monkeypatch):
    monkeypatch.setattr(
        step_program, "step_key", lambda program, store: (("broken", "0"),)
    )
    monkeypatch.setenv(program_keys.CHECK_VARIABLE, "1")
    with Simulator(make_net()) as sim:
        sim.run_steps(10)
    with Simulator(make_net(synapse=0.05)) as sim:
        with pytest.raises(program_keys.ProgramKeyMismatch, match="broken"):
            sim.run_steps(10)


def test_checking_mode_catches_a_dropped_part(Simulator, shared, monkeypatch):
    """dt left out of the context part: rate neurons read it only when traced."""
    parts = program_keys.context_parts
    monkeypatch.setattr(
        program_keys, "context_parts", lambda ctx: parts(ctx)[:1] + parts(ctx)[2:]
    )
    monkeypatch.setenv(program_keys.CHECK_VARIABLE, "1")
    with nengo.Network(seed=0) as net:  # no synapse: no filter constants of dt
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.RectifiedLinear())
        nengo.Connection(nengo.Node([0.5]), ens, synapse=None)
        nengo.Probe(ens, synapse=None)
    with Simulator(net, dt=0.001) as sim:
        sim.run_steps(10)
    with Simulator(net, dt=0.002) as sim:
        with pytest.raises(program_keys.ProgramKeyMismatch, match="context"):
            sim.run_steps(10)


def test_checking_mode_passes_a_complete_key(Simulator, shared, monkeypatch):
    monkeypatch.setenv(program_keys.CHECK_VARIABLE, "1")
    net = make_net()
    with Simulator(net, seed=1) as sim:
        sim.run_steps(10)
    with Simulator(net, seed=2) as sim:
        sim.run_steps(10)
        assert traces(sim) == 1  # traced to check, and the check passed


def test_serials_of_freed_objects_are_not_reused():
    def make():
        return lambda x: x

    numbers = set()
    for _ in range(50):
        fn = make()
        numbers.add(program_keys.serial(fn))
        assert program_keys.serial(fn) in numbers
        del fn
        gc.collect()
    assert len(numbers) == 50


def test_undescribable_objects_raise():
    describe = program_keys.Describer(None)
    with pytest.raises(program_keys.Undescribable, match="Variable"):
        describe(tf.Variable(1.0))
    with pytest.raises(program_keys.Undescribable, match="Node"):
        describe(nengo.Node([1.0], add_to_container=False))  # Params not in vars()
