"""The fast planning paths make the same plan as the slow ones they replace.

`merge_pass.MaskedMergePass` against nengo's own ``OpMergePass`` (candidates in
build order, the pass `merge_operators` ran before), `dependents_masks` against
nengo's ``transitive_closure``, the cached LinearFilter steps against nengo's,
and networks that merge a lot against ``nengo.Simulator``.
"""

import nengo
import numpy as np
import pytest
from nengo.builder import Model
from nengo.builder.optimizer import OpMergePass
from nengo.exceptions import BuildError
from nengo.utils.graphs import transitive_closure
from nengo.utils.simulator import operator_dependency_graph
from nengo.utils.stdlib import OrderedSet
from reference import compare_all, run_ours, run_reference

from nengodl_notebook.merge_pass import dependents_masks
from nengodl_notebook.op_builders.processes import linear_filter_step
from nengodl_notebook.planner import merge_operators, merge_with


def views_and_slices():
    """EnsembleArrays read and written through slices, and Node slices."""
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(lambda t: [np.sin(5 * t), np.cos(3 * t), t, -t])
        a = nengo.networks.EnsembleArray(30, 4)
        b = nengo.networks.EnsembleArray(30, 2, ens_dimensions=2)
        nengo.Connection(stim, a.input)
        nengo.Connection(a.output[::2], b.input[:2])
        nengo.Connection(a.output[[3, 1]], b.input[2:], transform=[[0.5, 0], [0, 2]])
        nengo.Connection(b.output[1:3], a.input[:2], synapse=0.02)
        probes = {"a": nengo.Probe(a.output, synapse=0.01)}
        probes["b"] = nengo.Probe(b.output, synapse=0.01)
    return net, probes


def many_ensembles():
    """Twenty small ensembles in a ring: many ops of each kind."""
    with nengo.Network(seed=2) as net:
        stim = nengo.Node(lambda t: np.sin(8 * t))
        ens = [nengo.Ensemble(15, 1) for _ in range(20)]
        nengo.Connection(stim, ens[0])
        for pre, post in zip(ens, ens[1:] + ens[:1]):
            nengo.Connection(pre, post, function=lambda x: 0.9 * x)
        probes = {f"e{i}": nengo.Probe(e, synapse=0.01) for i, e in enumerate(ens)}
    return net, probes


def learning():
    """PES, BCM and Oja on parallel channels (merged learning-rule ops)."""
    with nengo.Network(seed=3) as net:
        stim = nengo.Node(lambda t: [np.sin(6 * t), np.cos(6 * t)])
        probes = {}
        for i, rule in enumerate([nengo.PES(), nengo.BCM(), nengo.Oja()]):
            pre = nengo.Ensemble(40, 2)
            post = nengo.Ensemble(40, 2)
            nengo.Connection(stim, pre)
            if isinstance(rule, nengo.PES):
                conn = nengo.Connection(pre, post, learning_rule_type=rule)
                error = nengo.Node(size_in=2)
                nengo.Connection(post, error)
                nengo.Connection(stim, error, transform=-1)
                nengo.Connection(error, conn.learning_rule)
            else:
                nengo.Connection(
                    pre.neurons,
                    post.neurons,
                    transform=np.full((40, 40), 1e-3),
                    learning_rule_type=rule,
                )
            probes[f"post{i}"] = nengo.Probe(post, synapse=0.01)
    return net, probes


def small_cconv():
    """A 4-d circular convolution (the benchmark's network, smaller)."""
    with nengo.Network(seed=4) as net:
        conv = nengo.networks.CircularConvolution(30, 4)
        nengo.Connection(nengo.Node([0.5, -0.2, 0.1, 0.3]), conv.input_a)
        nengo.Connection(nengo.Node([0.1, 0.4, -0.3, 0.2]), conv.input_b)
        probes = {"out": nengo.Probe(conv.output, synapse=0.01)}
    return net, probes


NETWORKS = [views_and_slices, many_ensembles, learning, small_cconv]


class BuildOrderMergePass(OpMergePass):
    """nengo's pass with candidates in build order (what merge_operators ran)."""

    def __init__(self, dg):
        super().__init__(dg)
        self.might_merge = OrderedSet(dg)


def nengo_merges(model, dg):
    """`merge_operators` as it was: nengo's passes until one merges nothing."""
    merge_with(model, BuildOrderMergePass(dg))


def merged_plan(net, merge):
    """Op kinds and signal geometry after ``merge``, bases numbered in order."""
    model = Model(dt=0.001)
    model.build(net)
    merge(model, operator_dependency_graph(model.operators))
    bases = {}
    plan = []
    for op in model.operators:
        for sig in op.all_signals:
            base = bases.setdefault(sig.base, len(bases))
            offset = sig.elemoffset if sig.is_view else None
            plan.append((type(op).__name__, base, sig.shape, offset, sig.strides))
    return plan, len(model.operators)


@pytest.mark.parametrize("factory", NETWORKS, ids=lambda f: f.__name__)
def test_masked_pass_makes_nengos_merges(factory):
    net, _ = factory()
    _, n_unmerged = merged_plan(net, lambda model, dg: None)
    ours, n_ours = merged_plan(net, merge_operators)
    nengos, n_nengos = merged_plan(net, nengo_merges)
    assert n_ours < 0.7 * n_unmerged  # these networks merge a lot
    assert n_ours == n_nengos
    assert ours == nengos


def random_dag(rng, n=60, p=0.08):
    """``{node: set of later nodes}``: edges only forward, so no cycles."""
    return {i: {j for j in range(i + 1, n) if rng.random() < p} for i in range(n)}


def test_dependents_masks_are_nengos_transitive_closure():
    rng = np.random.default_rng(0)
    for _ in range(5):
        dag = random_dag(rng)
        order = list(rng.permutation(len(dag)))
        dag = {int(k): dag[k] for k in order}  # build order not topological
        bit, reach = dependents_masks(dag)
        closure = transitive_closure(dag)
        for node in dag:
            assert {m for m in dag if reach[node] & bit[m]} == set(closure[node])


def test_dependents_masks_raise_nengos_error_on_a_cycle():
    with pytest.raises(BuildError, match="cycles"):
        dependents_masks({0: {1}, 1: {2}, 2: {0}, 3: set()})


@pytest.mark.parametrize(
    "synapse",
    [nengo.Lowpass(0.005), nengo.Alpha(0.01), nengo.LinearFilter([1], [0.02, 1])],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cached_linear_filter_step_is_nengos(synapse, dtype):
    with nengo.Network() as net:
        a, b = nengo.Node([1, 2]), nengo.Node(size_in=2)
        nengo.Connection(a, b, synapse=synapse)
    model = Model(dt=0.001)
    model.build(net)
    (op,) = [o for o in model.operators if hasattr(o, "process")]
    state = synapse.make_state((2,), (2,), 0.001, dtype=dtype)
    expected = synapse.make_step((2,), (2,), 0.001, rng=None, state=state)
    for _ in range(2):  # computed, then cached
        step = linear_filter_step(op, 0.001, dtype)
        assert type(step) is type(expected)
        for name in "ABCD":
            assert np.array_equal(getattr(step, name), getattr(expected, name))


def test_linear_filter_overriding_its_maths_is_not_cached():
    class Slower(nengo.Lowpass):
        def _get_ss(self, dt):
            A, B, C, D = super()._get_ss(dt)
            return A, 0.5 * B, C, D

    steps = []
    for synapse in [nengo.Lowpass(0.01), Slower(0.01)]:
        with nengo.Network() as net:
            nengo.Connection(nengo.Node([1]), nengo.Node(size_in=1), synapse=synapse)
        model = Model(dt=0.001)
        model.build(net)
        (op,) = [o for o in model.operators if hasattr(o, "process")]
        steps.append(linear_filter_step(op, 0.001, np.float64))
    assert np.allclose(steps[1].B, 0.5 * steps[0].B)


@pytest.mark.parametrize("factory", NETWORKS, ids=lambda f: f.__name__)
def test_merged_networks_match_nengo(factory):
    net, probes = factory()
    ref = run_reference(net, probes, 0.3)
    ours = run_ours(net, probes, 0.3, "float64")
    assert not compare_all(factory.__name__, ref, ours, probes, "float64", 0.001)
