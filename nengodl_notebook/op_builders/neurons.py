"""Builder for SimNeurons: all ensembles of one neuron type in one group."""

import re

import numpy as np
import tensorflow as tf
from nengo.builder.neurons import SimNeurons

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    gather_rows,
    scatter_rows,
)
from nengodl_notebook.op_builders.neuron_math import (
    TF_NEURON_IMPL,
    expm1_terms,
    log1p_terms,
    neuron_impl_class,
    rate_twin,
)
from nengodl_notebook.user_warnings import warn_user


def neuron_impl(neuron_type):
    """``(param_names, step_fn)`` for a neuron type, or None (Python fallback).

    Subclasses that keep their parent's ``step`` get the parent's implementation.
    """
    return TF_NEURON_IMPL.get(neuron_impl_class(neuron_type))


def per_neuron(ops, name, dtype):
    """A neuron type attribute broadcast to one value per neuron, over all ops."""
    return np.concatenate(
        [
            np.broadcast_to(np.asarray(getattr(op.neurons, name), dtype), op.J.size)
            for op in ops
        ]
    )


@Builder.register(SimNeurons)
class SimNeuronsBuilder(OpBuilder):
    """``output, state = neurons.step(J, state)`` for one neuron type."""

    @staticmethod
    def merge_key(op, ctx):
        if neuron_impl(op.neurons) is None:
            return ("python", id(op))
        return (neuron_impl_class(op.neurons), tuple(sorted(op.state)))

    @classmethod
    def contiguous_signals(cls, ops):
        # outputs, then each state, then the input currents, each kind in op
        # order: one slice write per kind and one slice read of the currents
        names = sorted(ops[0].state)
        bases = {}
        for op in ops:
            bases.setdefault(op.output.base, len(bases))
        # ops whose outputs nengo merged into one base: in that base's order
        ops = sorted(ops, key=lambda op: (bases[op.output.base], op.output.elemoffset))
        return (
            [op.output for op in ops]
            + [op.state[n] for n in names for op in ops]
            + [op.J for op in ops]
        )

    def __new__(cls, ops, ctx):
        if cls is SimNeuronsBuilder and neuron_impl(ops[0].neurons) is None:
            return PythonNeuronsBuilder(ops, ctx)
        return super().__new__(cls)

    def __init__(self, ops, ctx):
        layout = ctx.layout
        ops = sorted(ops, key=lambda op: layout.indices(op.output)[0])  # memory order
        super().__init__(ops, ctx)
        param_names, self.step_fn = neuron_impl(ops[0].neurons)
        self.train_fn = rate_twin(ops[0].neurons, ctx.lif_smoothing)
        self.state_names = sorted(ops[0].state)
        self.J_idx = np.concatenate([layout.indices(op.J) for op in ops])
        self.state_idx = {
            name: np.concatenate([layout.indices(op.state[name]) for op in ops])
            for name in self.state_names
        }
        self.out_idx = np.concatenate([layout.indices(op.output) for op in ops])
        self.params = {n: per_neuron(ops, n, ctx.np_dtype) for n in param_names}
        self.series = self.series_terms()
        self.seed_offset = ctx.new_seed_offset()

    def series_terms(self):
        """Taylor terms the LIF step may use for ``expm1`` and ``log1p`` (see `lif`)."""
        if "tau_rc" not in self.params:
            return {}
        x_max = self.ctx.dt / np.min(self.params["tau_rc"])  # expm1 of >= -x_max
        terms = {"expm1_terms": expm1_terms(x_max, self.ctx.np_dtype)}
        if "voltage" in self.state_names and self.voltages_at_most_one():
            # spike times: log1p of at least -(1 - exp(-x_max))
            terms["log1p_terms"] = log1p_terms(-np.expm1(-x_max), self.ctx.np_dtype)
        return terms

    def build_pre(self, params):
        pre = {
            name: tf.constant(value[:, None], dtype=self.ctx.dtype)
            for name, value in self.params.items()
        }
        return {**pre, **self.series}

    def voltages_at_most_one(self):
        """Whether every voltage starts (and so always stays) at or below 1."""
        if "min_voltage" in self.params and np.max(self.params["min_voltage"]) > 1:
            return False
        return all(
            np.max(op.state["voltage"].initial_value, initial=0) <= 1 for op in self.ops
        )

    def build_step(self, state, pre, step):
        J = gather_rows(state, self.J_idx)
        current = {n: gather_rows(state, idx) for n, idx in self.state_idx.items()}

        def rand(like):
            seed = tf.stack([step.seed + self.seed_offset, tf.cast(step.k, tf.int64)])
            return tf.random.stateless_uniform(tf.shape(like), seed, dtype=like.dtype)

        step_fn = self.train_fn if step.training else self.step_fn
        output, new = step_fn(self.ctx.dt, J, pre, current, rand)
        # one write per signal kind: XLA turns a write of concatenated values
        # into one slow fused loop that recomputes every branch per element
        state = scatter_rows(state, self.out_idx, output, "set")
        for name, value in new.items():
            state = scatter_rows(state, self.state_idx[name], value, "set")
        return state


def ensembles_of(op):
    """The ensembles a SimNeurons op simulates, as named by its output signal.

    ``<Ensemble 'a'>``, or ``<Ensemble 'a'>, ..., <Ensemble 'b'>`` for an op nengo's
    optimizer merged from several ensembles (its signal names the first and last).
    """
    name = str(op.output.name)
    found = re.findall(r"<Ensemble [^>]*>", name)
    if not found:
        return name
    return (", ..., " if "..." in name else ", ").join(found)


class PythonNeuronsBuilder(OpBuilder):
    """Fallback for neuron types without a TF implementation: nengo's own ``step``.

    Runs through ``tf.numpy_function`` (one call per step and minibatch item), so
    it is slow and rules out XLA; a warning says so once per type.
    """

    needs_python = True
    _warned: set[type] = set()

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        (self.op,) = ops
        neuron_type = type(self.op.neurons)
        if neuron_type not in self._warned:
            self._warned.add(neuron_type)
            warn_user(
                f"{neuron_type.__name__} has no TensorFlow implementation; it runs "
                "nengo's NumPy step function each time step (slow, no XLA)."
            )
        layout = ctx.layout
        self.state_names = sorted(self.op.state)
        self.J_idx = layout.indices(self.op.J)
        self.state_idx = [layout.indices(self.op.state[n]) for n in self.state_names]
        self.write_idx = np.concatenate(
            [layout.indices(self.op.output)] + self.state_idx
        )

    def _step_numpy(self, J, *states):
        try:
            return self._step_items(J, states)
        except Exception as e:  # re-raised by the Simulator, not lost in TF's error
            e.add_note(
                f"(raised by {type(self.op.neurons).__name__}.step, simulating the "
                f"neurons of {ensembles_of(self.op)})"
            )
            self.ctx.record_error(e)
            raise

    def _step_items(self, J, states):
        """nengo's step for each minibatch item; returns output and states."""
        out = np.zeros_like(J)
        states = [np.array(s) for s in states]
        for b in range(J.shape[1]):
            # views: nengo's step functions write output and state in place
            kwargs = {n: s[:, b] for n, s in zip(self.state_names, states)}
            kwargs.update(self.op.state_extra)
            self.op.neurons.step(self.ctx.dt, J[:, b].copy(), out[:, b], **kwargs)
        return np.concatenate([out] + states, axis=0)

    def build_step(self, state, pre, step):
        J = gather_rows(state, self.J_idx)
        states = [gather_rows(state, idx) for idx in self.state_idx]
        values = tf.numpy_function(self._step_numpy, [J] + states, self.ctx.dtype)
        values = tf.reshape(values, (len(self.write_idx), state.shape[1]))
        return scatter_rows(state, self.write_idx, values, "set")
