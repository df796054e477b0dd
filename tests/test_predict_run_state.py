"""Stateless ``predict`` puts back the whole run state, as ``run(stateful=False)``."""

import keras
import nengo
import numpy as np

import nengodl_notebook as nengo_dl


def test_stateless_predict_keeps_random_layers_where_they_were(Simulator):
    """A Keras Dropout layer active in simulation (``learning_phase=True``) draws
    from a seed generator: a stateless predict leaves it as it was."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(learning_phase=True)
        stim = nengo.Node(np.ones(20))
        node = nengo_dl.TensorNode(
            keras.layers.Dropout(0.5), shape_in=(20,), pass_time=False
        )
        nengo.Connection(stim, node, synapse=None)
        probe = nengo.Probe(node)
    with Simulator(net) as sim:
        sim.run_steps(2)
        first = sim.predict(n_steps=3, stateful=False)[probe]
        second = sim.predict(n_steps=3, stateful=False)[probe]
        assert np.any(first == 0) and np.any(first != 0)  # dropout is active
        np.testing.assert_array_equal(first, second)
        sim.run_steps(3, stateful=False)
        np.testing.assert_array_equal(sim.data[probe][-3:], first[0])
