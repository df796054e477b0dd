"""Builders for nengo's online learning rules: PES, BCM, Oja, Voja and RLS.

nengo builds each learning rule as an operator that *updates* a ``delta`` signal
from filtered activities (and an error), plus a ``Copy(delta, target, inc=True)``
that adds the delta to the connection's weights (or the post ensemble's
encoders). The Copy is an ordinary op; here are the delta computations.

Everything a rule reads or writes is written by some op, so it lives in the
state array, which has a minibatch axis: with ``minibatch_size > 1`` each
minibatch item learns on its own copy of the weights. The maths follows
``nengo/builder/learning_rules.py`` operation by operation, so that float64 runs
match ``nengo.Simulator`` to round-off.

A group merges ops of one rule at one dependency depth: each op's delta is
computed on its own (the ops' shapes differ), and all deltas are written at once.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.learning_rules import SimBCM, SimOja, SimPES, SimRLS, SimVoja

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    scatter_rows,
)
from nengodl_notebook.op_builders.linear import positions


class LearningRuleBuilder(OpBuilder):
    """Base of the rule builders: reads named signals, writes the ``updates``.

    Subclasses name the signals they read (``reads``, op attribute names) and
    implement ``delta(op, values, pre)`` returning the new values of the op's
    ``updates`` signals, each ``(size, minibatch)``.
    """

    #: Names of the op attributes (signals) the rule reads.
    reads: tuple[str, ...] = ()

    @classmethod
    def param_reads(cls, op):
        return [getattr(op, name) for name in cls.reads]

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.readers = [
            {
                name: RowReader(
                    ctx, [(getattr(op, name), positions(getattr(op, name)))]
                )
                for name in self.reads
            }
            for op in ops
        ]
        self.out_idx = np.concatenate(
            [ctx.layout.indices(sig) for op in ops for sig in op.updates]
        )

    def build_pre(self, params):
        pres = [
            {name: reader.pre(params) for name, reader in readers.items()}
            for readers in self.readers
        ]
        return pres, self.constants()

    def constants(self):
        """Per-op constant tensors (computed once per run)."""
        return [None] * len(self.ops)

    def build_step(self, state, pre, step):
        pres, constants = pre
        width = state.shape[1]
        outputs = []
        for op, readers, op_pre, const in zip(self.ops, self.readers, pres, constants):
            values = {
                name: tf.broadcast_to(
                    reader.read(state, op_pre[name]), (reader.size, width)
                )
                for name, reader in readers.items()
            }
            outputs.extend(self.delta(op, values, const))
        values = outputs[0] if len(outputs) == 1 else tf.concat(outputs, axis=0)
        return scatter_rows(state, self.out_idx, values, "update")

    def alpha(self, op):
        """``learning_rate * dt`` as nengo computes it (a Python float)."""
        return op.learning_rate * self.ctx.dt


def outer(a, b):
    """Per minibatch item ``np.outer(a, b)``, flattened: ``(m * n, minibatch)``."""
    return tf.reshape(a[:, None, :] * b[None, :, :], (-1, a.shape[-1]))


@Builder.register(SimPES)
class SimPESBuilder(LearningRuleBuilder):
    """``delta = outer(-learning_rate * dt / n_pre * error, pre_filtered)``."""

    reads = ("pre_filtered", "error")

    def delta(self, op, v, const):
        n_neurons = op.pre_filtered.shape[0]
        alpha = -op.learning_rate * self.ctx.dt / n_neurons
        return [outer(alpha * v["error"], v["pre_filtered"])]


@Builder.register(SimBCM)
class SimBCMBuilder(LearningRuleBuilder):
    """``delta = outer(alpha * post * (post - theta), pre)``."""

    reads = ("pre_filtered", "post_filtered", "theta")

    def delta(self, op, v, const):
        post = v["post_filtered"]
        return [outer(self.alpha(op) * post * (post - v["theta"]), v["pre_filtered"])]


@Builder.register(SimOja)
class SimOjaBuilder(LearningRuleBuilder):
    """``delta = -beta * W * (alpha * post**2)[:, None] + outer(alpha * post, pre)``."""

    reads = ("pre_filtered", "post_filtered", "weights")

    def delta(self, op, v, const):
        alpha = self.alpha(op)
        post, pre = v["post_filtered"], v["pre_filtered"]
        n_post, n_pre = op.weights.shape
        post_squared = alpha * post * post
        weights = tf.reshape(v["weights"], (n_post, n_pre, -1))
        forget = tf.reshape(
            -op.beta * weights * post_squared[:, None, :], (n_post * n_pre, -1)
        )
        return [forget + outer(alpha * post, pre)]


@Builder.register(SimVoja)
class SimVojaBuilder(LearningRuleBuilder):
    """``delta = alpha * learning * (scale * outer(post, pre) - post[:, None] * E)``."""

    reads = ("pre_decoded", "post_filtered", "scaled_encoders", "learning_signal")

    def constants(self):
        return [
            tf.constant(np.asarray(op.scale, dtype=self.ctx.np_dtype)[:, None, None])
            for op in self.ops
        ]

    def delta(self, op, v, scale):
        post, pre = v["post_filtered"], v["pre_decoded"]
        n_post, dims = op.scaled_encoders.shape
        encoders = tf.reshape(v["scaled_encoders"], (n_post, dims, -1))
        hebbian = scale * (post[:, None, :] * pre[None, :, :])
        change = hebbian - post[:, None, :] * encoders
        alpha_learning = self.alpha(op) * v["learning_signal"]  # (1, minibatch)
        return [tf.reshape(alpha_learning[:, None, :] * change, (n_post * dims, -1))]


@Builder.register(SimRLS)
class SimRLSBuilder(LearningRuleBuilder):
    """Recursive least squares: updates ``P`` (inverse correlation) and ``delta``.

    With ``Pr = P r`` and ``k = 1 / (1 + r.Pr)``: ``P -= outer(Pr, Pr) k`` and
    ``delta = outer(error, -k Pr)`` (P stays symmetric).
    """

    reads = ("pre_filtered", "error", "inv_gamma")

    def delta(self, op, v, const):
        r, error = v["pre_filtered"], v["error"]
        n = r.shape[0]
        P = tf.reshape(v["inv_gamma"], (n, n, -1))
        Pr = tf.reduce_sum(P * r[None, :, :], axis=1)  # (n, minibatch)
        rPr1 = 1 / (1 + tf.reduce_sum(r * Pr, axis=0, keepdims=True))
        new_P = P - Pr[:, None, :] * (Pr[None, :, :] * rPr1[None])
        delta = error[:, None, :] * (-rPr1[None] * Pr[None, :, :])
        # op.updates is [delta, inv_gamma]
        return [tf.reshape(delta, (-1, r.shape[1])), tf.reshape(new_P, (n * n, -1))]
