"""The op builder interface, its registry, and the gather/scatter helpers they share.

An op builder turns a *group* of nengo operators of one kind into TensorFlow code
for one simulation step. The registry is our own (keyed by nengo operator class,
looked up along the MRO like ``nengo.builder.Builder``), so nengo's global
registry stays untouched.
"""

import warnings

import numpy as np
import tensorflow as tf

from nengodl_notebook.signals import STATE


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




class RowReader:
    """Reads a list of element indices that may live in ``state`` or ``params``.

    Parameters
    ----------
    ctx : BuildContext
    parts : list of ``(Signal, ndarray)``
        For each piece, a signal (which says which array holds it) and the flat
        indices to read, in the order wanted.

    Notes
    -----
    Parameter rows are gathered once per run in `pre`; state rows every step in
    `read`. When both kinds occur, one extra gather restores the order.
    """

    def __init__(self, ctx, parts):
        kinds = np.concatenate(
            [np.full(len(idx), ctx.layout.kind(sig) == STATE) for sig, idx in parts]
        ) if parts else np.zeros(0, bool)
        flat = np.concatenate([idx for _, idx in parts]) if parts else np.zeros(0, np.int64)
        self.state_idx = flat[kinds]
        self.param_idx = flat[~kinds]
        self.size = len(flat)
        # position of each wanted element in concat([state rows, param rows])
        order = np.empty(len(flat), dtype=np.int64)
        order[np.flatnonzero(kinds)] = np.arange(len(self.state_idx))
        order[np.flatnonzero(~kinds)] = len(self.state_idx) + np.arange(len(self.param_idx))
        self.order = None if np.all(order == np.arange(len(order))) else order

    @property
    def constant(self):
        """Whether every element is a parameter (constant during a run)."""
        return len(self.state_idx) == 0

    def pre(self, params):
        """Parameter rows, ``(n_param_rows, 1)`` (None if there are none)."""
        if len(self.param_idx) == 0:
            return None
        return gather_rows(params, self.param_idx)[:, None]

    def read(self, state, pre):
        """All rows in the wanted order: ``(n, minibatch)``, or ``(n, 1)`` if constant."""
        if self.constant:
            return pre
        values = gather_rows(state, self.state_idx)
        if pre is not None:
            pre = tf.broadcast_to(pre, (len(self.param_idx), state.shape[1]))
            values = tf.concat([values, pre], axis=0)
        if self.order is not None:
            values = tf.gather(values, tf.constant(self.order, tf.int32))
        return values
