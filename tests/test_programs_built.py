"""``Simulator.programs_built``: step programs traced for simulation so far."""

import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl


def input_net():
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, -0.5])
        ens = nengo.Ensemble(20, 2)
        nengo.Connection(stim, ens)
        probe = nengo.Probe(ens, synapse=0.01)
    return net, stim, probe


def random_node_net():
    """A TensorNode with stateful random ops: its programs are traced per seed."""
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0.5, -0.5])
        node = nengo_dl.TensorNode(
            lambda x: x + tf.random.uniform(tf.shape(x)),
            shape_in=(2,),
            pass_time=False,
        )
        nengo.Connection(stim, node, synapse=None)
        nengo.Probe(node)
    return net


def test_new_run_lengths_add_one_each(Simulator):
    net, _, _ = input_net()
    with Simulator(net) as sim:
        assert sim.programs_built == 0
        sim.run_steps(5)
        assert sim.programs_built == 1
        sim.run_steps(5)  # the same length again: the same program
        assert sim.programs_built == 1
        sim.run_steps(7)
        assert sim.programs_built == 2
        sim.step()
        sim.step()
        assert sim.programs_built == 3


def test_data_of_the_same_shape_adds_nothing(Simulator):
    net, stim, probe = input_net()
    with Simulator(net, minibatch_size=2) as sim:
        sim.run_steps(4)
        built = sim.programs_built
        for value in (0.1, -0.7, 0.3):
            data = {stim: np.full((2, 4, 2), value)}
            sim.run_steps(4, data=data)
            sim.run_steps(4, data=data, stateful=False)
        assert sim.programs_built == built
        assert np.all(np.isfinite(sim.data[probe]))


def test_read_only(Simulator):
    net, _, _ = input_net()
    with Simulator(net) as sim:
        with pytest.raises(AttributeError):
            sim.programs_built = 0
        assert sim.programs_built == 0


def test_count_survives_reset(Simulator):
    net, _, _ = input_net()
    with Simulator(net) as sim:
        sim.run_steps(3)
        sim.reset()
        sim.reset(seed=5, include_processes=False)
        assert sim.programs_built == 1
        sim.run_steps(3)  # programs are kept over a reset
        assert sim.programs_built == 1


def test_traces_dropped_by_reset_still_count(Simulator):
    with Simulator(random_node_net(), jit_compile=False) as sim:
        sim.run_steps(3)
        assert sim.programs_built == 1
        sim.reset()  # random ops seeded when traced: a new program per seed
        assert sim.programs_built == 1
        sim.run_steps(3)
        assert sim.programs_built == 2
        sim.reset(seed=3)
        sim.run_steps(3)
        sim.run_steps(3)
        assert sim.programs_built == 3


def test_count_survives_close(Simulator):
    net, _, _ = input_net()
    sim = Simulator(net)
    sim.run_steps(2)
    sim.run_steps(3)
    sim.close()
    assert sim.programs_built == 2
