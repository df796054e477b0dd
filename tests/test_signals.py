"""Signal layout: element positions, the state/params arrays, ``sim.signals``."""

import nengo
import numpy as np
import pytest
import scipy.sparse
from nengo.builder import Model
from nengo.builder.operator import Copy, DotInc, Reset
from nengo.builder.signal import Signal
from tutorial_nets import build_tutorial_network

from nengodl_notebook.planner import (
    BuildContext,
    group_ops,
    make_layout,
    merge_operators,
    simulated_ops,
)
from nengodl_notebook.signals import (
    SignalLayout,
    SignalValues,
    base_memory,
    element_positions,
    sparse_coo,
)

# -- element_positions, base_memory, sparse_coo ---------------------------------------


def test_element_positions_of_views():
    base = Signal(np.arange(12.0).reshape(3, 4), name="base")
    assert np.array_equal(element_positions(base), np.arange(12))
    cases = {
        "row": (base[1], [4, 5, 6, 7]),
        "column": (base[:, 1], [1, 5, 9]),
        "strided block": (base[1:3, ::2], [4, 6, 8, 10]),
        "reshaped": (base.reshape((4, 3)), np.arange(12)),
    }
    for name, (view, expected) in cases.items():
        assert np.array_equal(element_positions(view), expected), name
        assert np.array_equal(
            base_memory(base)[element_positions(view)], view.initial_value.ravel()
        ), name
    vector = Signal(np.arange(5.0))
    assert np.array_equal(element_positions(vector[3:5]), [3, 4])
    assert np.array_equal(element_positions(Signal(np.array(2.0))), [0])


def test_sparse_signals_index_their_nonzero_values():
    dense = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]])
    for value in (
        scipy.sparse.csr_matrix(dense),
        nengo.transforms.SparseMatrix(
            [[0, 1], [1, 0], [1, 2]], [2.0, 3.0, 4.0], (2, 3)
        ),
    ):
        rows, cols, data = sparse_coo(value)
        rebuilt = np.zeros((2, 3))
        rebuilt[rows, cols] = data
        assert np.array_equal(rebuilt, dense), type(value)
        sig = Signal(value)
        assert np.array_equal(element_positions(sig), np.arange(3))
        assert np.array_equal(np.sort(base_memory(sig)), [2.0, 3.0, 4.0])


def test_views_of_a_built_model_read_their_values_from_base_memory():
    with nengo.Network(seed=0) as net:
        build_tutorial_network(seed=0)
        build_tutorial_network(seed=1)
    model = Model(dt=0.001)
    model.build(net)
    merge_operators(
        model, nengo.utils.simulator.operator_dependency_graph(model.operators)
    )
    signals = {sig for op in model.operators for sig in op.all_signals}
    assert any(sig.is_view for sig in signals)  # merging made views with offsets
    for sig in signals:
        if not sig.sparse:
            memory = base_memory(sig.base)[element_positions(sig)]
            assert np.array_equal(memory, np.ravel(sig.initial_value)), sig


# -- SignalLayout ---------------------------------------------------------------------


def signals():
    """Two state bases, one param base, and a base half state (``mixed``)."""
    return {
        "a": Signal(np.array([1.0, 2.0, 3.0]), name="a"),
        "b": Signal(np.array([[4.0], [5.0]]), name="b"),
        "c": Signal(np.array([6.0, 7.0, 8.0, 9.0]), name="c"),
        "mixed": Signal(np.array([10.0, 11.0, 12.0, 13.0, 14.0]), name="mixed"),
    }


def layout_of(sigs):
    mask = np.array([False, False, True, True, False])
    return SignalLayout(
        [sigs["a"], sigs["b"], sigs["mixed"], sigs["a"]],
        [sigs["c"], sigs["a"]],
        {sigs["mixed"]: mask},
    )


def test_bases_occupy_contiguous_rows_in_order():
    sigs = signals()
    layout = layout_of(sigs)
    assert layout.sizes == {"state": 3 + 2 + 2, "params": 4 + 3}
    assert np.array_equal(layout.indices(sigs["a"]), [0, 1, 2])  # listed once
    assert np.array_equal(layout.indices(sigs["b"]), [3, 4])
    assert np.array_equal(layout.indices(sigs["c"]), [0, 1, 2, 3])
    assert layout.kind(sigs["a"]) == "state" and layout.kind(sigs["c"]) == "params"
    assert layout.bases() == [sigs[n] for n in ("a", "b", "mixed", "c")]
    assert sigs["a"][1:] in layout and Signal(np.zeros(1)) not in layout


def test_masked_base_splits_between_state_and_params():
    sigs = signals()
    mixed = sigs["mixed"]
    layout = layout_of(sigs)
    assert list(layout.in_state(mixed)) == [False, False, True, True, False]
    assert layout.kind(mixed[2:4]) == "state" and layout.kind(mixed[0:2]) == "params"
    with pytest.raises(ValueError, match="both the state and the params"):
        layout.kind(mixed)
    assert np.array_equal(layout.indices(mixed[2:4]), [5, 6])  # after a and b
    # the read-only elements follow the param bases, in memory order
    assert np.array_equal(layout.indices(mixed), [4, 5, 5, 6, 6])
    assert np.array_equal(layout.indices(mixed[3:]), [6, 6])  # views too


def test_initial_values_in_layout_order():
    layout = layout_of(signals())
    state = layout.initial_values("state", np.float32)
    assert state.dtype == np.float32
    assert np.array_equal(state, [1, 2, 3, 4, 5, 12, 13])
    assert np.array_equal(
        layout.initial_values("params", np.float64), [6, 7, 8, 9, 10, 11, 14]
    )
    empty = SignalLayout([], [])
    assert empty.initial_values("state", np.float32).shape == (0,)


# -- SignalValues ---------------------------------------------------------------------


def signal_values(sigs, minibatch_size):
    layout = layout_of(sigs)
    batch = minibatch_size or 1
    params = layout.initial_values("params", np.float64)
    state = layout.initial_values("state", np.float64)[:, None] * np.arange(
        1, batch + 1
    )
    return SignalValues(layout, lambda: (state, params), np.float32, minibatch_size)


def test_signal_values_read_state_and_params():
    sigs = signals()
    values = signal_values(sigs, None)
    assert values[sigs["b"]].shape == (2, 1) and values[sigs["b"]].dtype == np.float32
    assert np.array_equal(values[sigs["b"]], [[4.0], [5.0]])
    assert np.array_equal(values[sigs["c"][1:3]], [7.0, 8.0])
    assert np.array_equal(values[sigs["mixed"]], [10, 11, 12, 13, 14])
    assert len(values) == 4 and set(values) == set(sigs.values())
    with pytest.raises(KeyError):
        values[Signal(np.zeros(1))]


def test_signal_values_with_a_minibatch():
    sigs = signals()
    values = signal_values(sigs, 3)
    assert np.array_equal(values[sigs["a"]], [[1, 2, 3], [2, 4, 6], [3, 6, 9]])
    # params broadcast over the minibatch; the state part differs per item
    assert np.array_equal(
        values[sigs["mixed"]],
        [[10, 11, 12, 13, 14], [10, 11, 24, 26, 14], [10, 11, 36, 39, 14]],
    )
    assert values[sigs["c"]].shape == (4,)  # params: no minibatch axis


def test_integer_signals_keep_their_dtype():
    step = Signal(np.array(0, dtype=np.int64), name="step")
    layout = SignalLayout([step], [])
    values = SignalValues(
        layout, lambda: (np.array([[7.0]]), np.zeros(0)), np.float32, None
    )
    assert values[step].dtype == np.int64 and values[step] == 7


# -- make_layout: read-only parts of written bases ------------------------------------


def merged_model():
    """A base of read-only "biases" [1, 2, 3] followed by two written elements.

    Like nengo's merging of biases with a written signal. Ops read the read-only
    part alone, the whole base (mixed), and a view straddling both parts.
    """
    model = Model(dt=0.001)
    base = Signal(np.array([1.0, 2.0, 3.0, 0.0, 0.0]), name="merged")
    const, written = base[0:3], base[3:5]
    out = {
        name: Signal(np.zeros(n), name=name)
        for name, n in (("const", 3), ("whole", 5), ("straddle", 2), ("dot", 2))
    }
    model.add_op(Reset(written, 5.0))
    model.add_op(Copy(const, out["const"]))
    model.add_op(Copy(base, out["whole"]))
    model.add_op(Copy(base[2:4], out["straddle"]))
    model.add_op(Reset(out["dot"]))
    weights = Signal(
        np.array([[1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0, 1.0]]), name="weights"
    )
    model.add_op(DotInc(weights, base, out["dot"]))
    return model, base, out


def test_make_layout_keeps_read_only_parts_of_a_written_base_in_params():
    model, base, out = merged_model()
    ops = simulated_ops(model.operators)
    groups = group_ops(ops, BuildContext(None, "float64", 0.001, 1))
    layout = make_layout(ops, [], groups)
    assert list(layout.in_state(base)) == [False, False, False, True, True]
    assert all(layout.kind(sig) == "state" for sig in out.values())
    # without the groups, no reader is known to accept params: the base is state
    assert make_layout(ops, []).in_state(base).all()


def test_read_only_part_of_a_written_base_lives_in_params(Simulator):
    model, base, out = merged_model()
    with Simulator(None, model=model, optimize=False) as sim:
        layout = sim._ctx.layout
        assert list(layout.in_state(base)) == [False, False, False, True, True]
        assert layout.kind(base[0:3]) == "params" and layout.kind(base[3:5]) == "state"
        with pytest.raises(ValueError, match="both the state and the params"):
            layout.kind(base)
        sim.step()
        values = {name: sim.signals[sig] for name, sig in out.items()}
        merged = sim.signals[base]
    ref_model, ref_base, ref_out = merged_model()
    with nengo.Simulator(
        None, model=ref_model, optimize=False, progress_bar=False
    ) as ref:
        ref.step()
        for name, sig in ref_out.items():
            assert np.allclose(values[name], ref.signals[sig]), name
        assert np.allclose(merged, ref.signals[ref_base])
    assert np.allclose(values["whole"], [1, 2, 3, 5, 5])
    assert np.allclose(values["dot"], [1 + 3 + 5, 2 + 5])


def test_split_base_reads_per_minibatch_item(Simulator):
    model, base, out = merged_model()
    with Simulator(None, model=model, optimize=False, minibatch_size=3) as sim:
        sim.step()
        assert sim.signals[base].shape == (3, 5)
        assert np.allclose(sim.signals[base], [[1, 2, 3, 5, 5]] * 3)
        assert np.allclose(sim.signals[out["straddle"]], [[3, 5]] * 3)


def test_tutorial_biases_stay_out_of_the_state(Simulator):
    # nengo's merging once was random: in some builds the two ensembles' biases
    # shared a base with a node's written output. Either way the state holds no bias.
    tn = build_tutorial_network(n_neurons=1000)
    with Simulator(tn.net) as sim:
        layout = sim._ctx.layout
        for ens in (tn.square, tn.sin):
            assert layout.kind(sim.model.sig[ens.neurons]["bias"]) == "params"
        # outputs, voltages, refractory times and input currents of 2000 neurons
        assert layout.sizes["state"] < 4 * 2000 + 50
