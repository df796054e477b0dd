"""The planner on models built by nengo's builder, without a Simulator."""

import nengo
import numpy as np
import pytest
from nengo.builder import Model
from nengo.builder.operator import Copy, Operator, Reset, TimeUpdate
from nengo.builder.probe import SimProbe
from nengo.builder.signal import Signal
from nengo.exceptions import BuildError
from nengo.utils.simulator import operator_dependency_graph
from tutorial_nets import build_tutorial_network

from nengodl_notebook.op_builders import Builder, InputBuilder
from nengodl_notebook.op_builders.basic import CopyBuilder
from nengodl_notebook.planner import (
    BuildContext,
    NotSupportedError,
    builder_class,
    dependency_depths,
    group_ops,
    make_layout,
    merge_operators,
    simulated_ops,
    step_order,
)


def built_model(n_copies=1, optimize=True):
    """``(model, dg, copies)``: ``n_copies`` tutorial networks built by nengo."""
    with nengo.Network(seed=0) as net:
        copies = [build_tutorial_network(seed=i) for i in range(n_copies)]
    model = Model(dt=0.001)
    model.build(net)
    dg = operator_dependency_graph(model.operators)
    if optimize:
        merge_operators(model, dg)
    return model, dg, copies


def planned(n_copies=1, optimize=True):
    """``(model, ops, groups)`` of ``n_copies`` tutorial networks."""
    model, _, _ = built_model(n_copies, optimize)
    ops = simulated_ops(model.operators)
    return model, ops, group_ops(ops, BuildContext(None, "float32", 0.001, 1))


def shape(model, groups):
    """Groups as (builder name, op types, op positions in the model)."""
    position = {op: i for i, op in enumerate(model.operators)}
    return [
        (cls.__name__, [type(op).__name__ for op in g], [position[op] for op in g])
        for cls, g in groups
    ]


# -- merge_operators -------------------------------------------------------------------


def test_merge_operators_merges_and_points_model_sig_at_merged_signals():
    unmerged, _, _ = built_model(3, optimize=False)
    model, dg, copies = built_model(3)
    assert len(model.operators) < len(unmerged.operators)
    assert set(dg) == set(model.operators)  # the graph is updated too
    used = {sig.base for op in model.operators for sig in op.all_signals}
    for tn in copies:
        for ens in (tn.square, tn.sin):
            for sig in (model.sig[ens]["encoders"], model.sig[ens.neurons]["bias"]):
                assert sig.base in used, f"{sig} is no signal of the merged ops"
    # the two ensembles of a copy share one neuron update after merging
    n_neurons_ops = sum(type(op).__name__ == "SimNeurons" for op in model.operators)
    assert n_neurons_ops < 2 * len(copies)


def test_merge_operators_is_the_same_in_every_build():
    first, _, _ = built_model(3)
    second, _, _ = built_model(3)

    def summary(model):
        return [
            (type(op).__name__, [s.shape for s in op.all_signals])
            for op in model.operators
        ]

    assert summary(first) == summary(second)


# -- step_order ------------------------------------------------------------------------


def test_step_order_takes_dependents_in_graph_order():
    # small ints iterate in value order in a set: 1 before 3, though 3 comes first
    dg = {5: {1, 3}, 3: {0}, 1: {0}, 0: set(), 4: set()}
    assert step_order(dg) == [5, 4, 3, 1, 0]


def test_step_order_of_a_cycle_is_nengos_error():
    with pytest.raises(BuildError, match="cycles"):
        step_order({1: {2}, 2: {1}})


def test_step_order_is_topological_and_repeatable():
    model, dg, _ = built_model(3)
    order = step_order(dg)
    assert sorted(map(id, order)) == sorted(map(id, dg))
    position = {op: i for i, op in enumerate(order)}
    for op, dependents in dg.items():
        for dep in dependents:
            assert position[op] < position[dep], (op, dep)
    other, other_dg, _ = built_model(3)
    build_index = {op: i for i, op in enumerate(model.operators)}
    other_index = {op: i for i, op in enumerate(other.operators)}
    assert [build_index[op] for op in order] == [
        other_index[op] for op in step_order(other_dg)
    ]


# -- simulated_ops, dependency_depths --------------------------------------------------


def test_simulated_ops_drop_probe_markers_only():
    model, _, _ = built_model()
    ops = simulated_ops(model.operators)
    probes = [op for op in model.operators if isinstance(op, SimProbe)]
    assert probes and not any(isinstance(op, SimProbe) for op in ops)
    assert ops == [op for op in model.operators if op not in probes]


def test_dependency_depths_are_longest_paths():
    model, _, _ = built_model(2, optimize=False)
    ops = simulated_ops(model.operators)
    depth = dependency_depths(ops)
    assert set(depth) == set(ops)
    preds = {op: [] for op in ops}
    for op, dependents in operator_dependency_graph(ops).items():
        for dep in dependents:
            preds[dep].append(op)
    for op in ops:
        expected = 1 + max((depth[p] for p in preds[op]), default=-1)
        assert depth[op] == expected, op
    assert max(depth.values()) >= 5  # input -> square -> sin -> output


def test_dependency_depths_of_a_chain():
    a, b, c = (Signal(np.zeros(1), name=n) for n in "abc")
    ops = [Copy(b, c), Copy(a, b), Reset(a)]  # a is reset, then copied to b, to c
    assert [dependency_depths(ops)[op] for op in ops] == [2, 1, 0]


# -- builder_class, group_ops ----------------------------------------------------------


class SimMystery(Operator):
    """An operator no builder knows."""

    def __init__(self, sig, tag=None):
        super().__init__(tag=tag)
        self.sets, self.incs, self.reads, self.updates = [sig], [], [], []


def test_builder_class_by_mro_and_for_inputs():
    class MyCopy(Copy):
        pass

    a, b = Signal(np.zeros(2)), Signal(np.zeros(2))
    assert builder_class(MyCopy(a, b)) is CopyBuilder
    model, _, _ = built_model()
    ops = simulated_ops(model.operators)
    inputs = [op for op in ops if builder_class(op) is InputBuilder]
    assert [type(op).__name__ for op in inputs] == ["SimProcess"]  # the WhiteSignal
    assert inputs[0].input is None


def test_unsupported_op_names_the_op():
    op = SimMystery(Signal(np.zeros(1)), tag="my mystery op")
    assert Builder.lookup(op) is None
    with pytest.raises(NotSupportedError, match="SimMystery .my mystery op."):
        builder_class(op)
    _, ops, _ = planned()
    with pytest.raises(NotSupportedError, match="SimMystery"):
        group_ops([*ops, op], BuildContext(None, "float32", 0.001, 1))


def test_groups_hold_one_kind_at_one_depth_in_depth_order():
    _, ops, groups = planned(3, optimize=False)
    depth = dependency_depths(ops)
    grouped = [op for _, g in groups for op in g]
    assert sorted(map(id, grouped)) == sorted(map(id, ops))  # each op once
    keys = []
    ctx = BuildContext(None, "float32", 0.001, 1)
    for cls, g in groups:
        assert {builder_class(op) for op in g} == {cls}
        assert len({depth[op] for op in g}) == 1
        assert len({cls.merge_key(op, ctx) for op in g}) == 1
        keys.append((depth[g[0]], cls, cls.merge_key(g[0], ctx)))
    assert len(set(keys)) == len(keys)  # no two groups could have merged
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    # the three copies' ensembles update in one group
    neurons = [g for cls, g in groups if cls.__name__ == "SimNeuronsBuilder"]
    assert [len(g) for g in neurons] == [6]


@pytest.mark.parametrize("optimize", [True, False])
def test_groups_grow_with_op_kinds_not_ensembles(optimize):
    _, ops1, groups1 = planned(1, optimize)
    _, ops5, groups5 = planned(5, optimize)
    assert len(ops5) > 3 * len(ops1)
    assert sorted(cls.__name__ for cls, _ in groups5) == sorted(
        cls.__name__ for cls, _ in groups1
    )


def test_groups_are_the_same_in_every_build():
    first = shape(*planned(3)[::2])
    second = shape(*planned(3)[::2])
    assert first == second


# -- BuildContext, make_layout ---------------------------------------------------------


def test_allocate_input_columns_gives_contiguous_runs():
    ctx = BuildContext(None, "float64", 0.001, 4)
    assert ctx.allocate_input_columns(["ab", "c"], len) == (0, 3)
    assert ctx.allocate_input_columns(["defg"], len) == (3, 7)
    assert ctx.allocate_input_columns([], len) == (7, 7)
    assert ctx.input_columns == {"ab": (0, 2), "c": (2, 3), "defg": (3, 7)}
    assert ctx.n_input_columns == 7


def test_layout_puts_written_and_probed_signals_in_state():
    model, ops, groups = planned()
    probed = [model.sig[p]["in"] for p in model.probes]
    layout = make_layout(ops, probed, groups)
    for sig in probed:
        assert layout.kind(sig) == "state"
    for op in ops:
        if isinstance(op, TimeUpdate) or builder_class(op) is InputBuilder:
            continue
        for sig in op.sets + op.incs + op.updates:
            assert layout.in_state(sig).all(), sig
    ensembles = [obj for obj in model.params if isinstance(obj, nengo.Ensemble)]
    assert len(ensembles) == 2
    for ens in ensembles:
        assert layout.kind(model.sig[ens]["encoders"]) == "params"
        assert layout.kind(model.sig[ens.neurons]["bias"]) == "params"


def test_layout_gives_a_neuron_group_contiguous_rows():
    model, ops, groups = planned(3, optimize=False)
    layout = make_layout(ops, [], groups)
    [(cls, group)] = [(c, g) for c, g in groups if c.__name__ == "SimNeuronsBuilder"]
    rows = np.concatenate([layout.indices(s) for s in cls.contiguous_signals(group)])
    assert np.array_equal(rows, np.arange(rows[0], rows[0] + rows.size))
    assert rows[0] == 0  # placed first
    # without the groups, the layout follows op order: the rows are scattered
    plain = make_layout(ops, [])
    rows = np.concatenate([plain.indices(s) for s in cls.contiguous_signals(group)])
    assert not np.array_equal(rows, np.arange(rows[0], rows[0] + rows.size))
