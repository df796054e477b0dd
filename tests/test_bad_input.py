"""Bad input gets a clear error naming the object, and the simulator stays usable."""

import nengo
import numpy as np
import pytest
from nengo.exceptions import SimulationError, SimulatorClosed, ValidationError
from unsupported import UnknownNode

import nengodl_notebook


@pytest.fixture
def net():
    with nengo.Network(seed=0) as net:
        net.inpt = nengo.Node([0.3], label="stim")
        net.ens = nengo.Ensemble(10, 1, label="ens")
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inpt, net.ens)
        nengo.Connection(net.ens, net.out)
        net.p = nengo.Probe(net.out, synapse=0.01)
    return net


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, minibatch_size=2) as sim:
        sim.run_steps(10)
        yield sim


def still_usable(sim, net, n_before=10):
    """The failed call changed nothing: same time, and the next run works."""
    assert sim.n_steps == n_before
    assert sim.data[net.p].shape == (2, n_before, 1)
    sim.run_steps(5)
    assert sim.data[net.p].shape == (2, n_before + 5, 1)
    assert np.all(np.isfinite(sim.data[net.p]))


def good(n=10):
    return np.zeros((2, n, 1))


@pytest.mark.parametrize(
    "make_data, match",
    [
        (lambda net: {net.out: good()}, "out.*not an input Node.*size_in=1"),
        (lambda net: {net.ens: good()}, "Ensemble.*can only override.*input Nodes"),
        (
            lambda net: {
                nengo.Node([0], add_to_container=False, label="alien"): good()
            },
            "alien.*not an input Node of this simulator's network",
        ),
        (
            lambda net: {net.inpt: np.zeros((2, 10))},
            "stim.*3 dimensions.*got shape \\(2, 10\\)",
        ),
        (
            lambda net: {net.inpt: np.zeros((3, 10, 1))},
            "stim.*minibatch size 3.*expected 2",
        ),
        (
            lambda net: {net.inpt: np.zeros((2, 9, 1))},
            "stim.*number of steps 9.*expected 10",
        ),
        (
            lambda net: {net.inpt: np.zeros((2, 10, 2))},
            "stim.*size_out\\) 2.*expected 1",
        ),
        (lambda net: {net.inpt: np.full((2, 10, 1), np.nan)}, "stim.*non-finite"),
        (lambda net: {net.inpt: "abc"}, "stim.*numeric array"),
        (lambda net: [1, 2], "data is a list of 2 entries"),
    ],
)
def test_bad_data(sim, net, make_data, match):
    with pytest.raises(ValidationError, match=match):
        sim.run_steps(10, data=make_data(net))
    still_usable(sim, net)


@pytest.mark.parametrize(
    "time, match",
    [
        (-0.1, "non-negative.*got -0.1"),
        ("1s", "number of seconds.*'1s'"),
        (None, "number of seconds"),
        (float("nan"), "finite"),
    ],
)
def test_bad_run_time(sim, net, time, match):
    with pytest.raises(ValidationError, match=match):
        sim.run(time)
    still_usable(sim, net)


def test_bad_step_count(sim, net):
    with pytest.raises(ValidationError, match="integer"):
        sim.run_steps(2.5)
    with pytest.raises(ValidationError, match="non-negative"):
        sim.run_steps(-1)
    still_usable(sim, net)


def test_closed_simulator(net, Simulator):
    sim = Simulator(net)
    sim.run_steps(3)
    sim.close()
    for call in (lambda: sim.run(0.1), lambda: sim.run_steps(1), sim.step, sim.reset):
        with pytest.raises(SimulatorClosed, match="closed"):
            call()
    assert sim.data[net.p].shape == (3, 1)  # data stays readable


def test_unsupported_parts_are_named(net, Simulator):
    with net:
        UnknownNode(np.zeros(2), label="mystery")
    with pytest.raises(
        nengodl_notebook.NotSupportedError, match="SimUnknown.*not supported"
    ):
        Simulator(net)


def test_python_node_errors_are_raised_and_sim_recovers(Simulator):
    state = {"fail": False}

    def flaky(t, x):
        if state["fail"]:
            return np.nan
        return x

    with nengo.Network(seed=0) as net:
        stim = nengo.Node(0.5)
        node = nengo.Node(flaky, size_in=1, label="flaky")
        nengo.Connection(stim, node, synapse=None)
        p = nengo.Probe(node)
    with pytest.warns(UserWarning, match="numpy_function"):
        sim = Simulator(net)
    with sim:
        sim.run_steps(3)
        state["fail"] = True
        with pytest.raises(SimulationError, match="flaky.*non-finite"):
            sim.run_steps(3)
        state["fail"] = False
        assert sim.n_steps == 3
        sim.run_steps(2)
        assert sim.data[p].shape == (5, 1)


def test_bad_constructor_arguments(net):
    with pytest.raises(ValidationError, match="dtype.*float16"):
        nengodl_notebook.Simulator(net, dtype="float16")
    with pytest.raises(ValidationError, match="minibatch_size.*0"):
        nengodl_notebook.Simulator(net, minibatch_size=0)
