"""The op builder interface, its registry, and the gather/scatter helpers they share.

An op builder turns a *group* of nengo operators of one kind into TensorFlow code
for one simulation step. The registry is our own (keyed by nengo operator class,
looked up along the MRO like ``nengo.builder.Builder``), so nengo's global
registry stays untouched.
"""

import contextlib
import threading

import numpy as np
import tensorflow as tf

from nengodl_notebook.tf_private import dynamic_update_slice
from nengodl_notebook.user_warnings import warn_user


class Builder:
    """Registry of op builders, keyed by nengo operator class."""

    builders: dict[type, type] = {}

    @classmethod
    def register(cls, op_class):
        """Decorator registering an `OpBuilder` subclass for ``op_class``."""

        def register_builder(builder_class):
            if op_class in cls.builders:
                warn_user(
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


def inherited_impl(obj, table, methods):
    """The class of ``obj``'s MRO that ``table`` implements, if ``obj`` keeps its maths.

    Like the registry's MRO lookup, for nengo objects (neuron types, processes)
    whose maths we implement per class: a subclass runs its parent's
    implementation unless it overrides one of ``methods`` (those defining the
    maths, e.g. ``"step"``), in which case our code would be wrong for it.

    Parameters
    ----------
    obj : object
    table : container of classes
    methods : tuple of str

    Returns
    -------
    klass : type or None
        The nearest class of the MRO in ``table``, or None when there is none or
        ``type(obj)`` overrides one of ``methods`` below it.
    """
    cls = type(obj)
    for klass in cls.__mro__:
        if klass in table:
            same = all(
                getattr(cls, m, None) is getattr(klass, m, None) for m in methods
            )
            return klass if same else None
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
    def contiguous_signals(cls, ops):
        """Signals this group reads or writes best as one slice, in layout order."""
        return []

    @staticmethod
    def param_reads(op):
        """Signals of ``op`` this builder reads with a `RowReader` (params allowed).

        Elements of other read signals must live in ``state`` when their base
        does (see `make_layout`).
        """
        return []

    @classmethod
    def input_columns(cls, op):
        """Columns of the per-step input array this op reads (0 if none)."""
        return 0

    def key_extra(self):
        """What the program key needs besides this builder's attributes and ops.

        Anything the trace reads elsewhere (see `program_keys`); None when the
        group cannot be described (its programs are then shared by fingerprint).
        """
        return ()

    def build_pre(self, params):
        """Tensors computed once per run, before the time loop."""
        return None

    def build_step(self, state, pre, step):
        """Emit one step of this group; returns the new state tensor."""
        raise NotImplementedError


class SingleOpBuilder(OpBuilder):
    """A builder whose groups hold one op each (``self.op``): nothing to merge.

    For ops that run their own code (Python functions, TensorNodes, nengo
    process steps), where merging would gain nothing.
    """

    @staticmethod
    def merge_key(op, ctx):
        return (id(op),)

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        (self.op,) = ops


#: Index arrays made of at most this many contiguous runs are read and written
#: with slices instead of gathers and scatters.
MAX_RUNS = 8

#: Writes ("set") of less than this fraction of the state stay scatters: XLA
#: copies the whole state for a slice update whose values read the state at
#: other places, which only pays off for large writes (neuron groups).
MIN_SLICE_WRITE = 1 / 16

_tracing = threading.local()


@contextlib.contextmanager
def xla_tracing(enabled):
    """Within this block, op builders emit code for XLA (in-place slice writes)."""
    previous = getattr(_tracing, "xla", False)
    _tracing.xla = bool(enabled)
    try:
        yield
    finally:
        _tracing.xla = previous


def tracing_xla():
    """Whether the code being traced will be compiled by XLA (see `xla_tracing`)."""
    return getattr(_tracing, "xla", False)


@contextlib.contextmanager
def seed_tracing(seed):
    """Within this block, the Simulator's seed (a Python int) is ``seed``.

    For code that needs the seed when traced (random ops seeded by attributes,
    see `SimTensorNodeBuilder`), not as a tensor at run time.
    """
    previous = getattr(_tracing, "seed", 0)
    _tracing.seed = int(seed)
    try:
        yield
    finally:
        _tracing.seed = previous


def tracing_seed():
    """The Simulator's seed while a program is traced (see `seed_tracing`)."""
    return getattr(_tracing, "seed", 0)


def contiguous_runs(idx):
    """Split ``idx`` into increasing runs ``a, a+1, ...``.

    Returns
    -------
    list of ``(position, first_index, length)``
        ``idx[position:position + length] == range(first_index, first_index + length)``.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(idx)]])
    return [(int(a), int(idx[a]), int(b - a)) for a, b in zip(starts, ends)]


def gather_rows(tensor, idx):
    """Rows ``idx`` of ``tensor`` (slices when they form a few contiguous runs)."""
    runs = contiguous_runs(idx)
    if 0 < len(runs) <= MAX_RUNS:
        parts = [tensor[first : first + length] for _, first, length in runs]
        return parts[0] if len(parts) == 1 else tf.concat(parts, axis=0)
    return tf.gather(tensor, tf.constant(np.asarray(idx), dtype=tf.int32))


def _update_slice(state, values, first):
    """``state[first:first + len(values)] = values``, in place under XLA."""
    return dynamic_update_slice(state, values, tf.constant([first, 0], tf.int32))


def scatter_rows(state, idx, values, mode):
    """Write ``values`` into rows ``idx`` of ``state``.

    Parameters
    ----------
    state : tf.Tensor, shape ``(n_state, minibatch)``
    idx : ndarray of int
        Row indices (may repeat when ``mode == "inc"``).
    values : tf.Tensor, shape ``(len(idx), minibatch)`` or ``(len(idx), 1)``
    mode : ``"set"``, ``"update"`` or ``"inc"``

    Notes
    -----
    Under XLA (see `xla_tracing`), a large "set" of distinct indices forming at
    most `MAX_RUNS` contiguous runs is written as slice updates, which XLA fuses
    with the computation of ``values`` (a scatter recomputes shared parts of
    ``values`` per element); otherwise one scatter.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) == 0:
        return state
    values = tf.broadcast_to(values, (len(idx), state.shape[1]))
    runs = contiguous_runs(idx)
    if (
        tracing_xla()
        and mode != "inc"
        and len(idx) >= MIN_SLICE_WRITE * state.shape[0]
        and len(runs) <= MAX_RUNS
        and len(np.unique(idx)) == len(idx)
    ):
        for position, first, length in runs:
            state = _update_slice(state, values[position : position + length], first)
        return state
    indices = tf.constant(idx[:, None], dtype=tf.int32)
    if mode == "inc":
        return tf.tensor_scatter_nd_add(state, indices, values)
    return tf.tensor_scatter_nd_update(state, indices, values)


class RowReader:
    """Reads a list of elements of signals that may live in ``state`` or ``params``.

    Parameters
    ----------
    ctx : BuildContext
    parts : list of ``(Signal, ndarray)``
        For each piece, a signal and the positions of the elements to read among
        the signal's elements (C order), in the order wanted.

    Notes
    -----
    Parameter rows are gathered once per run in `pre`; state rows every step in
    `read`. When both kinds occur, the rows are concatenated in the wanted order
    (at most `MAX_RUNS` alternations), or else one extra gather restores it.
    """

    def __init__(self, ctx, parts):
        layout = ctx.layout
        kinds = (
            np.concatenate([layout.in_state(sig)[pos] for sig, pos in parts])
            if parts
            else np.zeros(0, bool)
        )
        flat = (
            np.concatenate([layout.indices(sig)[pos] for sig, pos in parts])
            if parts
            else np.zeros(0, np.int64)
        )
        self.state_idx = flat[kinds]
        self.param_idx = flat[~kinds]
        self.size = len(flat)
        # (is_state, length) of the runs of one kind, in the wanted order
        breaks = np.flatnonzero(np.diff(kinds)) + 1
        bounds = np.concatenate([[0], breaks, [len(kinds)]])
        self.pieces = [
            (bool(kinds[a]), int(b - a))
            for a, b in zip(bounds[:-1], bounds[1:])
            if b > a
        ]
        self.order = (
            None  # for many pieces: positions in concat([state rows, param rows])
        )
        if len(self.pieces) > MAX_RUNS:
            self.order = np.empty(len(flat), dtype=np.int32)
            self.order[kinds] = np.arange(len(self.state_idx))
            self.order[~kinds] = len(self.state_idx) + np.arange(len(self.param_idx))

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
        """All rows in the wanted order: ``(n, minibatch)``, ``(n, 1)`` if constant."""
        if self.constant:
            return pre
        if pre is None:
            return gather_rows(state, self.state_idx)
        width = state.shape[1]
        if self.order is None:
            values, n_state, n_param = [], 0, 0
            for is_state, length in self.pieces:
                if is_state:
                    values.append(
                        gather_rows(state, self.state_idx[n_state : n_state + length])
                    )
                    n_state += length
                else:
                    rows = pre[n_param : n_param + length]
                    values.append(tf.broadcast_to(rows, (length, width)))
                    n_param += length
            return tf.concat(values, axis=0)
        values = tf.concat(
            [
                gather_rows(state, self.state_idx),
                tf.broadcast_to(pre, (len(self.param_idx), width)),
            ],
            axis=0,
        )
        return tf.gather(values, tf.constant(self.order))
