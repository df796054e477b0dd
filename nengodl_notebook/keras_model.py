"""``sim.keras_model``: the simulation as a Keras model to inspect and call.

One `SimulationLayer` runs the Simulator's step program (`probe_function`);
the model's inputs are the input Nodes, ``(batch, n_steps, size_out)``, and its
outputs the probes, ``(batch, n_steps, size_in)``, named after their labels.
``sim.keras_model(x)`` (or ``.predict(x)``) gives what ``sim.predict`` gives:
each minibatch of ``sim.minibatch_size`` items is simulated from the initial
state, so ``batch`` must be a multiple of it. A network without input Nodes has
one input ``"steps"`` of shape ``(batch, n_steps, 0)``, which only says how many
steps to run.

The model is for inspection and calls: its parameters stay the Simulator's
(trained by ``sim.fit``/``sim.train``, not by ``keras_model.fit``), so Keras
lists no weights of its own.
"""

import re

import keras
import tensorflow as tf

from nengodl_notebook.probe_function import ProbeFunction


def _names(objs, default):
    """Unique Keras names from labels (NengoDL style: ``label`` or ``node``)."""
    names, seen = [], {}
    for obj in objs:
        name = re.sub(r"[^A-Za-z0-9_.\-/]", "_", obj.label or default) or default
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}_{count}")
    return names


class SimulationLayer(keras.layers.Layer):
    """A Keras layer running a Simulator's model (see the module docstring).

    Parameters
    ----------
    fn : probe_function.ProbeFunction
    """

    def __init__(self, fn, **kwargs):
        super().__init__(dtype=fn.dtype.name, **kwargs)
        self.fn = fn
        jit = fn.parts.program.jit_compile
        self._forward = tf.function(self._simulate, autograph=False, jit_compile=jit)
        self._backward = tf.function(self._vjp, autograph=False, jit_compile=jit)
        # custom_gradient in a graph: the outer tape never differentiates the
        # XLA function itself (its loop's TensorLists cannot leave XLA)
        self._run = tf.function(self._run_with_gradient, autograph=False)

    def _vjp(self, inputs, output_gradients):
        """Gradients of the outputs with respect to the inputs, in one compiled
        function (a tape outside an XLA function cannot reach inside it)."""
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = self._simulate(*inputs)
        grads = tape.gradient(outputs, inputs, output_gradients=output_gradients)
        return [tf.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]

    def _run_with_gradient(self, *inputs):
        """`_simulate`, compiled, with gradients for the inputs (not for the
        Simulator's parameters, which ``sim.fit`` trains)."""

        @tf.custom_gradient
        def run(*xs):
            def grad(*dys, variables=None):
                dxs = self._backward(list(xs), list(dys))
                return dxs, [None] * len(variables or ())

            return self._forward(*xs), grad

        return run(*inputs)

    def _batch(self, inputs):
        """Static batch size, checked against ``minibatch_size``."""
        batch = inputs[0].shape[0]
        minibatch = self.fn.parts.minibatch_size
        if batch is not None and batch % minibatch:
            raise ValueError(  # Keras re-raises it with the layer's name
                f"keras_model inputs have batch size {batch}, which is not a multiple "
                f"of the Simulator's minibatch_size ({minibatch})"
            )
        return batch

    def _simulate(self, *inputs):
        minibatch = self.fn.parts.minibatch_size
        n_steps = inputs[0].shape[1]
        node_values = inputs if self.fn.nodes else ()

        def one_minibatch(values):
            return tuple(self.fn(values, n_steps))

        batch = inputs[0].shape[0]
        if batch is not None:  # known minibatches: a plain loop (differentiable)
            outs = [
                one_minibatch(tuple(x[i : i + minibatch] for x in node_values))
                for i in range(0, batch, minibatch)
            ]
            return [tf.concat(parts, axis=0) for parts in zip(*outs)]
        grouped = tuple(
            tf.reshape(x, (-1, minibatch, *x.shape[1:])) for x in node_values
        )
        if not grouped:  # no input Nodes: as many minibatches as "steps" has
            n_groups = tf.shape(inputs[0])[0] // minibatch
            outs = tf.map_fn(
                lambda _: one_minibatch(()),
                tf.range(n_groups),
                fn_output_signature=self._signatures(n_steps),
            )
        else:
            outs = tf.map_fn(
                one_minibatch, grouped, fn_output_signature=self._signatures(n_steps)
            )
        return [tf.reshape(out, (-1, *out.shape[2:])) for out in outs]

    def _signatures(self, n_steps):
        return tuple(
            tf.TensorSpec((self.fn.parts.minibatch_size, None, None), self.fn.dtype)
            for _ in self.fn.probes
        )

    def call(self, inputs):
        """Probe outputs ``(batch, n_steps, size)`` for node inputs ``inputs``."""
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self._batch(inputs)
        if inputs[0].shape[1] is None:
            raise ValueError(
                "keras_model needs a known number of steps (inputs' second axis)"
            )
        if tf.executing_eagerly():
            with self.fn.parts.tensor_vars.kept():
                outputs = self._run(*inputs)
        else:
            outputs = self._run(*inputs)
        return [
            tf.ensure_shape(out, (None, self._n_kept(p, inputs[0].shape[1]), p.size_in))
            for out, p in zip(outputs, self.fn.probes)
        ]

    def _n_kept(self, probe, n_steps):
        if n_steps is None:
            return None
        period = self.fn.parts.recorder.period(probe)
        return sum(1 for k in range(1, n_steps + 1) if k % period < 1)

    def compute_output_spec(self, inputs):
        """Symbolic outputs (the simulation runs only on real data)."""
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        batch, n_steps = inputs[0].shape[:2]
        return [
            keras.KerasTensor(
                (batch, self._n_kept(p, n_steps), p.size_in), dtype=self.fn.dtype.name
            )
            for p in self.fn.probes
        ]


def make_keras_model(parts):
    """The ``keras.Model`` of a Simulator (see the module docstring).

    Parameters
    ----------
    parts : training_parts.TrainingParts
    """
    fn = ProbeFunction(parts)
    dtype = fn.dtype.name
    if fn.nodes:
        inputs = [
            keras.Input((None, node.size_out), dtype=dtype, name=name)
            for node, name in zip(fn.nodes, _names(fn.nodes, "node"))
        ]
    else:
        inputs = [keras.Input((None, 0), dtype=dtype, name="steps")]
    outputs = SimulationLayer(fn, name="simulation")(inputs)
    outputs = [
        keras.layers.Identity(name=name, dtype=dtype)(out)
        for out, name in zip(outputs, _names(fn.probes, "probe"))
    ]
    if len(inputs) == 1:  # a single input is called with one array, as in Keras
        inputs = inputs[0]
    return keras.Model(inputs=inputs, outputs=outputs, name="keras_model")
