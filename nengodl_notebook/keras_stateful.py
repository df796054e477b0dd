"""``predict``/``evaluate`` runs that start from the Simulator's current state.

As NengoDL documents ``stateful``: a run starts from the Simulator's current
state and time (after ``sim.run``, where that left off); with
``stateful=True`` the state at its end is kept (time advances by ``n_steps``
per minibatch, the minibatches running one after the other), with
``stateful=False`` everything (state, time, input streams, TensorNode state)
is put back. Probe data (``sim.data``) is not recorded either way.
"""

import numpy as np
import tensorflow as tf


def predict_from_current(sim, checked, probes, keep):
    """``{probe: (batch_size, steps, size)}`` from ``sim``'s current state.

    Parameters
    ----------
    sim : nengodl_notebook.Simulator
        Open; with ``keep`` its run state, time and input streams advance.
    checked : training_data.TrainingData
    probes : list of nengo.Probe
    keep : bool
        ``stateful``: keep the state at the end (else the run state from
        before, `Simulator.get_run_state`, is put back).
    """
    before = None if keep else sim.get_run_state(include_probes=False)
    try:
        return _run(sim, checked, probes)
    finally:
        if before is not None:
            sim.set_run_state(before)


def _run(sim, checked, probes):
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
            outputs[p].append(np.asarray(sim._trainer._probe_output(probed, p)))
    return {p: np.concatenate(v, axis=0) for p, v in outputs.items()}
