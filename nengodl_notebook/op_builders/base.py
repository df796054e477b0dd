"""The op builder interface, its registry, and the gather/scatter helpers they share.

An op builder turns a *group* of nengo operators of one kind into TensorFlow code
for one simulation step. The registry is our own (keyed by nengo operator class,
looked up along the MRO like ``nengo.builder.Builder``), so nengo's global
registry stays untouched.
"""

import warnings

import numpy as np
import tensorflow as tf

from nengodl_notebook.signals import PARAMS, STATE


class Builder:
    """Registry of op builders, keyed by nengo operator class."""

    builders = {}

    @classmethod
    def register(cls, op_class):
        """Decorator registering an `OpBuilder` subclass for ``op_class``."""

        def register_builder(builder_class):
            if op_class in cls.builders:
                warnings.warn(
                    f"Op builder for {op_class.__name__} is overwritten by "
                    f"{builder_class.__name__}"
                )
            cls.builders[op_class] = builder_class
            return builder_class

        return register_builder

    @classmethod
    def lookup(cls, op):
        """The builder class for ``op`` (MRO lookup), or None if there is none."""
        for klass in type(op).__mro__:
            if klass in cls.builders:
                return cls.builders[klass]
        return None


class OpBuilder:
    """Base class of op builders: one instance builds one group of merged ops.

    Parameters
    ----------
    ops : list of Operator
        Operators of one kind that do not depend on each other.
    ctx : BuildContext
        Layout, dtype, dt, minibatch size and shared resources of the program.

    Notes
    -----
    ``build_pre`` runs once per call of the compiled program, outside the time
    loop (constants and parameter gathers go there); ``build_step`` runs once per
    time step and returns the new state tensor.
    """

    #: Whether the group runs Python code (rules out XLA compilation).
    needs_python = False

    def __init__(self, ops, ctx):
        self.ops = ops
        self.ctx = ctx

    @staticmethod
    def merge_key(op, ctx):
        """Ops with equal keys (same builder) may be merged into one group."""
        return ()

    @classmethod
    def input_columns(cls, op):
        """Columns of the per-step input array this op reads (0 if none)."""
        return 0

    def build_pre(self, params):
        """Tensors computed once per run, before the time loop."""
        return None

    def build_step(self, state, pre, step):
        """Emit one step of this group; returns the new state tensor."""
        raise NotImplementedError


def is_contiguous(idx):
    """Whether an index array is one increasing run ``a, a+1, ..., b``."""
    return len(idx) > 0 and bool(np.all(np.diff(idx) == 1))


def gather_rows(tensor, idx):
    """Rows ``idx`` of ``tensor`` (a slice when the indices are contiguous)."""
    idx = np.asarray(idx, dtype=np.int64)
    if is_contiguous(idx):
        return tensor[int(idx[0]) : int(idx[-1]) + 1]
    return tf.gather(tensor, tf.constant(idx, dtype=tf.int32))


def scatter_rows(state, idx, values, mode):
    """Write ``values`` into rows ``idx`` of ``state``.

    Parameters
    ----------
    state : tf.Tensor, shape ``(n_state, minibatch)``
    idx : ndarray of int
        Row indices (may repeat when ``mode == "inc"``).
    values : tf.Tensor, shape ``(len(idx), minibatch)`` or ``(len(idx), 1)``
    mode : ``"set"``, ``"update"`` or ``"inc"``
    """
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) == 0:
        return state
    values = tf.broadcast_to(values, (len(idx), state.shape[1]))
    indices = tf.constant(idx[:, None], dtype=tf.int32)
    if mode == "inc":
        return tf.tensor_scatter_nd_add(state, indices, values)
    return tf.tensor_scatter_nd_update(state, indices, values)


def read_signal_rows(ctx, sigs, state=None, params=None):
    """Gather the elements of several signals of one kind into one tensor.

    All ``sigs`` must live in the same array. State signals need ``state`` and give
    ``(n, minibatch)``; parameter signals need ``params`` and give ``(n, 1)``.
    """
    idx = np.concatenate([ctx.layout.indices(s) for s in sigs])
    kind = ctx.layout.kind(sigs[0])
    if kind == STATE:
        return gather_rows(state, idx)
    assert kind == PARAMS
    return gather_rows(params, idx)[:, None]


def signal_kind(ctx, sig):
    """``"state"`` or ``"params"``: where ``sig`` lives."""
    return ctx.layout.kind(sig)
