"""nengo's operator-merging pass with reachability kept as integer bit masks.

`MaskedMergePass` makes exactly the merges of ``nengo.builder.optimizer``'s
``OpMergePass`` (candidates taken in build order, see `planner.merge_operators`).
nengo recomputes, at the start of every pass, each operator's transitive
dependents as a hashed ``FrozenOrderedSet``; on networks of a thousand operators
that is most of the merging time. Here each live operator gets one bit, and its
dependents are one Python ``int``: the closure is a few big-integer ORs per edge,
and the pass's questions ("does ``op`` depend on anything merged?", "is ``op2``
a dependent of the ops being merged?") are one AND each.
"""

import numpy as np
from nengo.builder.neurons import SimNeurons
from nengo.builder.operator import Copy, DotInc, ElementwiseInc
from nengo.builder.optimizer import OpInfo, OpMergePass, OpMerger, OpsToMerge
from nengo.rc import rc
from nengo.utils.graphs import toposort
from nengo.utils.stdlib import OrderedSet

#: The op types nengo's pass tries first, in its order.
FIRST_TYPES = (ElementwiseInc, Copy, DotInc, SimNeurons)


def dependents_masks(forward):
    """Each op's transitive dependents in ``forward``, as a bit mask.

    Parameters
    ----------
    forward : dict
        ``{op: set of ops depending on op}``, acyclic.

    Returns
    -------
    bit : dict
        ``{op: 1 << i}``, ``i`` the op's position in ``forward``.
    reach : dict
        ``{op: OR of the bits of every op depending on op, directly or not}``.
    """
    bit = {op: 1 << i for i, op in enumerate(forward)}
    n_incoming = dict.fromkeys(forward, 0)
    for dependents in forward.values():
        for dep in dependents:
            n_incoming[dep] += 1
    order = [op for op, n in n_incoming.items() if n == 0]
    for op in order:  # grows while iterated: Kahn's topological sort
        for dep in forward[op]:
            n_incoming[dep] -= 1
            if n_incoming[dep] == 0:
                order.append(dep)
    if len(order) < len(forward):
        toposort(forward)  # a cycle: raises nengo's BuildError
    reach = {}
    for op in reversed(order):
        mask = 0
        for dep in forward[op]:
            mask |= reach[dep] | bit[dep]
        reach[op] = mask
    return bit, reach


class MaskedOpsToMerge(OpsToMerge):
    """The ops being merged into one, their dependents kept as a bit mask."""

    def __init__(self, initial_op, bit, reach):
        # not OpsToMerge.__init__: it copies the dependents into a set
        self.bit, self.reach = bit, reach
        self.ops = [initial_op]
        self.optype = type(initial_op)
        self.opinfo = OpInfo()
        self.all_signals = set(initial_op.all_signals)
        self.ops_mask = bit[initial_op]
        self.all_dependents = reach[initial_op]

    def add(self, op):
        """Add ``op`` to the ops merged."""
        self.ops.append(op)
        self.all_signals.update(op.all_signals)
        self.ops_mask |= self.bit[op]
        self.all_dependents |= self.reach[op]


class MaskedMergePass(OpMergePass):
    """nengo's merge pass (build-order candidates) with bit-mask reachability.

    Parameters
    ----------
    dg : dict
        The operator dependency graph, ``{op: set of dependent ops}``.
    """

    def __init__(self, dg):
        super().__init__(dg)
        self.might_merge = OrderedSet(dg)
        self.bit, self.reach = {}, {}
        self.merged_mask = self.merged_dependents_mask = 0

    def __call__(self, only_merge_ops_with_view):
        """Run one pass; ``only_merge_ops_with_view`` as in nengo."""
        self.bit, self.reach = dependents_masks(self.dg.forward)
        self.only_merge_ops_with_view = only_merge_ops_with_view
        self.merged_mask = self.merged_dependents_mask = 0
        self.opinfo.clear()
        self.perform_merges()

    def perform_merges(self):
        """Merge ops type by type (nengo's order); a non-view merge ends the pass."""
        by_type = {}
        for op in self.might_merge:
            by_type.setdefault(type(op), []).append(op)
        later = [t for t in by_type if t not in FIRST_TYPES]
        for optype in [t for t in FIRST_TYPES if t in by_type] + later:
            if OpMerger.is_type_mergeable(optype):
                self.perform_merges_for_subset(by_type[optype])
            if not self.only_merge_ops_with_view and self.merged_mask:
                break

    def _blocked(self, op):
        """Whether ``op`` was merged, or depends on or is a dependent of a merge."""
        bit = self.bit[op]
        return bool(
            (self.merged_mask & bit)
            or (self.merged_dependents_mask & bit)
            or (self.reach[op] & self.merged_mask)
        )

    def _mergeable(self, op, tomerge):
        """``OpMerger.is_mergeable`` with the dependency checks on masks."""
        if (
            type(op) is not tomerge.optype
            or tomerge.all_dependents & self.bit[op]
            or self.reach[op] & tomerge.ops_mask
            or self._blocked(op)
        ):
            return False
        merger = OpMerger.mergers[tomerge.optype]
        return (
            tomerge.check_signals(tomerge.last_op, op)
            and merger.check_signals(op, tomerge)
            and merger.is_mergeable(tomerge.last_op, op)
        )

    def perform_merges_for_view_subset(self, subset):
        """Merge runs of ops in ``subset`` (one view base) whose views follow on."""
        # nengo's sort (same dtype and algorithm: ties fall the same way)
        offsets = np.array(
            [self.opinfo.get(op).v_offset for op in subset], dtype=rc.float_dtype
        )
        order = np.argsort(offsets)
        offsets = offsets[order]
        ops = [subset[i] for i in order]
        for i, op in enumerate(ops):
            if self._blocked(op):
                continue
            tomerge = MaskedOpsToMerge(op, self.bit, self.reach)
            end = offsets[i] + self.opinfo.get(op).v_size
            start = np.searchsorted(offsets, end, side="left")
            for op2 in ops[start:]:
                if tomerge.not_sequential(op2):
                    break  # sorted by offset: no later op follows on either
                if self.merged_mask & self.bit[op2]:
                    continue
                if self._mergeable(op2, tomerge):
                    tomerge.add(op2)
            if len(tomerge.ops) > 1:
                self.merge(tomerge)
            elif self.only_merge_ops_with_view:
                self.might_merge.remove(op)

    def merge(self, tomerge):
        """Merge ``tomerge.ops`` (nengo's merge, with the masks updated)."""
        merged_op, merged_sig = OpMerger.merge(tomerge.ops)
        self.dg.merge(tomerge.ops, merged_op)
        self.might_merge.difference_update(tomerge.ops)
        self.might_merge.add(merged_op)
        self.merged_mask |= tomerge.ops_mask
        self.merged_dependents_mask |= tomerge.all_dependents
        for op in tomerge.ops:
            # ops sharing a signal with a merged op wait for the next pass
            for sig in op.all_signals:
                for other in self.sig2ops[sig]:
                    self.merged_mask |= self.bit.get(other, 0)
        self.resolve_views_on_replaced_signals(merged_sig)
        self.sig_replacements.update(merged_sig)
        self.replace_op_signals(merged_sig)
        self.update_signal_indexing(merged_op, merged_sig)
