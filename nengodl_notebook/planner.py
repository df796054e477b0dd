"""Planner: order and merge nengo's operators into groups, then lay out the signals.

Operators are placed at their dependency depth (longest path from an op with no
predecessor in nengo's read/write dependency graph). Ops at the same depth are
independent, so ops of the same kind there merge into one group, built by one op
builder. The number of groups grows with the number of op *kinds* and the depth of
the network, not with the number of ensembles. The signal layout comes last
(`make_layout`): the signals each group reads and writes are placed first, in
the group's order, so that it reads and writes them as slices.
"""

from collections import defaultdict

import numpy as np
import tensorflow as tf
from nengo.builder.operator import TimeUpdate
from nengo.builder.probe import SimProbe
from nengo.exceptions import BuildError
from nengo.utils.graphs import reverse_edges, toposort
from nengo.utils.simulator import operator_dependency_graph
from nengo.utils.stdlib import OrderedSet

from nengodl_notebook.merge_pass import MaskedMergePass
from nengodl_notebook.op_builders import Builder, InputBuilder
from nengodl_notebook.precomputed_inputs import is_input_op, op_output
from nengodl_notebook.signals import SignalLayout, base_memory, element_positions


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
            self.input_columns[op] = (
                self.n_input_columns,
                self.n_input_columns + width(op),
            )
            self.n_input_columns += width(op)
        return start, self.n_input_columns

    def record_error(self, error):
        """Keep a Python exception raised inside the TF program, to re-raise it."""
        self.errors.append(error)


def merge_operators(model, dg):
    """Merge ``model``'s operators as ``nengo.builder.optimizer.optimize`` does, but
    the same way in every build.

    Parameters
    ----------
    model : nengo.builder.Model
        Its operators and signals are replaced by the merged ones.
    dg : dict
        The operator dependency graph (``{op: set of dependent ops}``), updated.

    Notes
    -----
    nengo's optimizer tries operators in memory-address order and stops early
    when a pass is slow (wall-clock time), so two builds of one network merge
    differently. Different merges change the signal layout and the order in
    which the step program sums values: float32 Simulators of one network and
    seed then drift apart by round-off (a spike after thousands of steps). The
    passes here are nengo's (views only while they merge, then any operators,
    until a pass merges nothing), without the time limit, with candidates in
    build order; `merge_pass.MaskedMergePass` makes those merges with
    dependents kept as bit masks (nengo's closure, rebuilt each pass, was most
    of the time).
    """
    merge_with(model, MaskedMergePass(dg))


def merge_with(model, merge_pass):
    """Run ``merge_pass`` as `merge_operators` does and update ``model``.

    Views only while a pass merges, then any operators, until a pass merges
    nothing; then ``model``'s signals and operators are the merged ones.
    """
    views_only = True
    while True:
        before = len(merge_pass.dg.forward)
        merge_pass(views_only)
        merged = len(merge_pass.dg.forward) < before
        if not (merged or views_only):
            break
        views_only = merged
    replaced = merge_pass.sig_replacements
    for signals in model.sig.values():
        for name, sig in signals.items():
            while sig in replaced:
                sig = replaced[sig]
            signals[name] = sig
    del model.operators[:]
    for op in merge_pass.dg.forward:
        model.add_op(op)


def step_order(dg):
    """nengo's step order (a topological sort of ``dg``), the same in every build.

    Like ``nengo.utils.graphs.toposort`` (which the nengo Simulator uses), with
    each operator's dependents taken in ``dg``'s order rather than in the order
    of a ``set``. Processes draw their random seeds in this order.

    Parameters
    ----------
    dg : dict
        ``{op: set of dependent ops}``, in build order.

    Returns
    -------
    list of Operator
    """
    position = {op: i for i, op in enumerate(dg)}
    incoming = reverse_edges(dg)
    ready = OrderedSet(op for op in dg if not incoming[op])
    ordered = []
    while ready:
        op = ready.pop()
        ordered.append(op)
        for dependent in sorted(dg[op], key=position.__getitem__):
            incoming[dependent].remove(op)
            if not incoming[dependent]:
                ready.add(dependent)
    if len(ordered) < len(dg):
        return toposort(dg)  # a cycle: nengo's error message
    return ordered


def simulated_ops(operators):
    """The ops the step program runs (probe markers need no code)."""
    return [op for op in operators if not isinstance(op, SimProbe)]


def make_layout(ops, probe_signals, groups=()):
    """Decide which signal elements live in ``state`` and which in ``params``.

    Parameters
    ----------
    ops : list of Operator
    probe_signals : list of Signal
    groups : list of ``(builder class, ops)``, optional
        Merged groups (`group_ops`); the signals each builder class wants
        contiguous (`OpBuilder.contiguous_signals`) are placed first, in order,
        so that the group reads and writes them as slices.

    Notes
    -----
    Bases that some op writes, or that are probed, live in ``state``; the others
    in ``params``. A written base whose other elements are only ever read by
    builders that accept params (`OpBuilder.param_reads`, known from ``groups``)
    keeps those elements in ``params``: nengo's merging may have concatenated
    read-only biases with a written signal.
    """
    state, read, needed = [], [], defaultdict(list)

    def place_in_state(sig):
        state.append(sig.base)
        needed[sig.base].append(element_positions(sig))

    for op in ops:
        if isinstance(op, TimeUpdate):
            place_in_state(op.time)  # the integer step counter is the loop's own
        elif is_input_op(op):
            if op_output(op) is not None:
                place_in_state(op_output(op))
        else:
            for sig in op.sets + op.incs + op.updates:
                place_in_state(sig)
            read.extend(op.reads)
    for sig in probe_signals:
        place_in_state(sig)
    written = set(state)
    param_reads = {
        op: set(cls.param_reads(op)) for cls, group in groups for op in group
    }
    for op in ops:
        if isinstance(op, TimeUpdate) or is_input_op(op):
            continue  # their reads are not simulated (inputs come from the input array)
        for sig in op.reads:
            if sig.base in written and sig not in param_reads.get(op, ()):
                needed[sig.base].append(element_positions(sig))
    masks = {}
    for base in written:
        mask = np.zeros(base_memory(base).size, bool)
        mask[np.concatenate(needed[base])] = True
        if not mask.all():
            masks[base] = mask
    preferred = [
        sig.base
        for cls, group in groups
        for sig in cls.contiguous_signals(group)
        if sig.base in written
    ]
    params = [sig.base for sig in read if sig.base not in written]
    return SignalLayout(preferred + state, params, masks)


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
