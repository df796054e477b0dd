"""Probe outputs of a Simulator's model as a TensorFlow function of its inputs.

`ProbeFunction` is what `gradient_check` differentiates and what the layer of
`keras_model` calls: the values of the input Nodes (``(minibatch, n_steps,
size)`` tensors) in, every probe's output (``(minibatch, n_steps, size)``) out.
Each call simulates from the initial state, as ``sim.predict`` does; the
simulator's own state, time and probe data are not touched.
"""

import numpy as np
import tensorflow as tf

from nengodl_notebook.precomputed_inputs import InputPlan, process_rngs


class ProbeFunction:
    """Simulate one minibatch of a Simulator's model (see the module docstring).

    Parameters
    ----------
    parts : training_parts.TrainingParts
        The Simulator's built parts.

    Attributes
    ----------
    nodes : list of nengo.Node
        The input Nodes, in the order of ``network.all_nodes``.
    probes : list of nengo.Probe
        The probes, in the order of ``model.probes``.
    """

    def __init__(self, parts):
        self.parts = parts
        self.nodes = list(parts.node_ops)
        self.probes = list(parts.recorder.probes)
        self._defaults = {}  # n_steps -> default input array

    @property
    def dtype(self):
        """The simulation's tf.DType."""
        return self.parts.context.dtype

    def defaults(self, n_steps):
        """``(n_steps, n_columns, minibatch)`` inputs as the model makes them (its
        Nodes' functions and processes, from a fresh start with the current seed)."""
        parts = self.parts
        key = (n_steps, parts.seed())
        if key not in self._defaults:
            ctx, batch = parts.context, parts.minibatch_size
            plan = InputPlan(
                parts.input_ops, ctx.input_columns, parts.dt, ctx.np_dtype, batch
            )
            plan.reset(process_rngs(parts.step_order, parts.seed(), batch))
            self._defaults = {key: plan.values(0, n_steps, {})}
        return self._defaults[key]

    def inputs(self, node_values, n_steps):
        """The step program's input tensor: the defaults, with the columns of the
        input Nodes replaced by ``node_values`` (one tensor per `nodes` entry)."""
        defaults = self.defaults(n_steps)
        given = {
            self.parts.node_ops[node]: value
            for node, value in zip(self.nodes, node_values)
        }
        pieces = []
        for op, (start, stop) in sorted(
            self.parts.context.input_columns.items(), key=lambda item: item[1]
        ):
            if op in given:
                pieces.append(tf.transpose(given[op], (1, 2, 0)))
            else:
                pieces.append(tf.constant(defaults[:, start:stop], self.dtype))
        if not pieces:
            return tf.zeros((n_steps, 0, self.parts.minibatch_size), self.dtype)
        return tf.concat(pieces, axis=1)

    def outputs(self, inputs, training=False):
        """Every probe's ``(minibatch, n_steps, size)`` output for ``inputs``.

        ``training`` runs spiking neurons as their rate twins (as does the
        ``learning_phase`` setting). For use inside a ``tf.function``.
        """
        parts = self.parts
        parts.tensor_vars.reset()  # TensorNode state from t = 0
        program = parts.program
        _, probes = program.simulate(
            parts.store.initial_state(parts.minibatch_size),
            inputs,
            tf.constant(0, tf.int64),
            tf.constant(parts.seed(), tf.int64),
            parts.store.full(),
            training=training or program.learning_phase,
        )
        return [self._probe_output(probes, p) for p in self.probes]

    def _probe_output(self, probes, probe):
        recorder = self.parts.recorder
        rows = recorder.slices[probe]
        out = tf.transpose(probes[:, rows.start : rows.stop, :], (2, 0, 1))
        period = recorder.period(probe)
        if period != 1:
            steps = np.arange(1, probes.shape[0] + 1)
            out = tf.gather(out, np.flatnonzero(steps % period < 1), axis=1)
        return out

    def __call__(self, node_values, n_steps, training=False):
        """`outputs` of `inputs` (``node_values`` in the order of `nodes`)."""
        return self.outputs(self.inputs(node_values, n_steps), training)
