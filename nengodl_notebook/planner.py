"""Planner: lay out the signals, then order and merge nengo's operators into groups.

Operators are placed at their dependency depth (longest path from an op with no
predecessor in nengo's read/write dependency graph). Ops at the same depth are
independent, so ops of the same kind there merge into one group, built by one op
builder. The number of groups grows with the number of op *kinds* and the depth of
the network, not with the number of ensembles.
"""

from collections import defaultdict

import numpy as np
import tensorflow as tf
from nengo.builder.operator import TimeUpdate
from nengo.builder.probe import SimProbe
from nengo.exceptions import BuildError
from nengo.utils.graphs import toposort
from nengo.utils.simulator import operator_dependency_graph

from nengodl_notebook.inputs import is_input_op, op_output
from nengodl_notebook.op_builders import Builder, InputBuilder
from nengodl_notebook.signals import SignalLayout


class NotSupportedError(BuildError):
    """A model part this simulator does not run (yet)."""


class BuildContext:
    """What op builders share: layout, dtype, dt, minibatch size and resources.

    Parameters
    ----------
    layout : SignalLayout
    dtype : str
        ``"float32"`` or ``"float64"``.
    dt : float
    minibatch_size : int
    lif_smoothing : float or None
        SoftLIF smoothing of LIF gradients in training.
    """

    def __init__(self, layout, dtype, dt, minibatch_size, lif_smoothing=None):
        # layout may be None while ops are grouped, and set before builders are made
        self.layout = layout
        self.lif_smoothing = lif_smoothing
        self.np_dtype = np.dtype(dtype)
        self.dtype = tf.as_dtype(dtype)
        self.dt = dt
        self.minibatch_size = minibatch_size
        self.python_processes = []
        self.input_columns = {}
        self.n_input_columns = 0
        self.errors = []
        self._n_seeds = 0

    def new_seed_offset(self):
        """A distinct integer per random group, mixed into the random seed."""
        self._n_seeds += 1
        return self._n_seeds * 7919

    def allocate_input_columns(self, ops, width):
        """Give ``ops`` one contiguous run of input columns; returns its bounds."""
        start = self.n_input_columns
        for op in ops:
            self.input_columns[op] = (self.n_input_columns, self.n_input_columns + width(op))
            self.n_input_columns += width(op)
        return start, self.n_input_columns

    def record_error(self, error):
        """Keep a Python exception raised inside the TF program, to re-raise it."""
        self.errors.append(error)


def simulated_ops(operators):
    """The ops the step program runs (probe markers need no code)."""
    return [op for op in operators if not isinstance(op, SimProbe)]


def make_layout(ops, probe_signals, groups=()):
    """Decide which base signals live in ``state`` and which in ``params``.

    Parameters
    ----------
    ops : list of Operator
    probe_signals : list of Signal
    groups : list of ``(builder class, ops)``, optional
        Merged groups (`group_ops`); the signals each builder class wants
        contiguous (`OpBuilder.contiguous_signals`) are placed first, in order,
        so that the group reads and writes them as slices.
    """
    state, read = [], []
    for op in ops:
        if isinstance(op, TimeUpdate):
            state.append(op.time.base)  # the integer step counter is the loop's own
        elif is_input_op(op):
            if op_output(op) is not None:
                state.append(op_output(op).base)
        else:
            state.extend(s.base for s in op.sets + op.incs + op.updates)
            read.extend(s.base for s in op.reads)
    state.extend(s.base for s in probe_signals)
    written = set(state)
    preferred = [
        sig.base
        for cls, group in groups
        for sig in cls.contiguous_signals(group)
        if sig.base in written
    ]
    params = [b for b in read if b not in written]
    return SignalLayout(preferred + state, params)


def builder_class(op):
    """The op builder class for ``op``; raises NotSupportedError if none."""
    if is_input_op(op):
        return InputBuilder
    cls = Builder.lookup(op)
    if cls is None:
        raise NotSupportedError(
            f"{type(op).__name__} ({op.tag or op}) is not supported yet by "
            "nengodl_notebook"
        )
    return cls


def dependency_depths(ops):
    """Depth of each op in nengo's dependency graph (0 for ops with no inputs)."""
    dg = operator_dependency_graph(ops)
    preds = defaultdict(list)
    for op, dependents in dg.items():
        for dep in dependents:
            preds[dep].append(op)
    depth = {}
    for op in toposort(dg):
        depth[op] = 1 + max((depth[p] for p in preds[op]), default=-1)
    return depth


def group_ops(ops, ctx):
    """Merge ``ops`` into groups, in execution order.

    Returns
    -------
    list of ``(builder class, ops)``
        Running the groups in order performs one time step.
    """
    depth = dependency_depths(ops)
    groups = {}
    for op in sorted(ops, key=lambda o: depth[o]):
        cls = builder_class(op)
        key = (depth[op], cls, cls.merge_key(op, ctx))
        groups.setdefault(key, []).append(op)
    return [(cls, group) for (_, cls, _), group in groups.items()]


def build_groups(groups, ctx):
    """One op builder per group (``ctx.layout`` must be set)."""
    return [cls(group, ctx) for cls, group in groups]
