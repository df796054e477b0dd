"""``stateful=True`` for ``predict``/``predict_on_batch``/``evaluate``.

As NengoDL documents: the run starts from the Simulator's current state and
time, and the state at its end is kept (time advances by ``n_steps`` per
minibatch, the minibatches running one after the other). Probe data
(``sim.data``) is not recorded, as with ``stateful=False``.
"""

import numpy as np
import tensorflow as tf


def predict_stateful(sim, checked, probes):
    """``{probe: (batch_size, steps, size)}``, moving ``sim`` on (see module).

    Parameters
    ----------
    sim : nengodl_notebook.Simulator
        Open; its run state, time and input streams advance.
    checked : training_data.TrainingData
    probes : list of nengo.Probe
    """
    trainer = sim._trainer
    outputs = {p: [] for p in probes}
    for idx in checked.batches(False, None):
        overrides = {
            sim._node_ops[node]: values[idx] for node, values in checked.inputs.items()
        }
        values = sim._inputs.values(sim._n_steps, checked.n_steps, overrides)
        state, probed = sim._run_program(tf.constant(values, dtype=sim._ctx.dtype))
        sim._state = state
        sim._n_steps += checked.n_steps
        for p in probes:
            outputs[p].append(np.asarray(trainer._probe_output(probed, p)))
    return {p: np.concatenate(v, axis=0) for p, v in outputs.items()}
