"""Gradients of every trainable parameter, and parameter save/load/freeze/views.

1. Analytic gradients (``tf.GradientTape`` over the training forward pass) of the
   loss w.r.t. every trainable scalar agree with central finite differences of the
   public ``sim.loss(..., training=True)``, in float64, for each kind of parameter:
   ensemble encoders, neuron biases, decoded Ensemble->Ensemble and
   Ensemble->Node weights, a Node->Ensemble Dense transform and neuron->neuron
   weights; through a Lowpass synapse over 5 steps (backprop through time), for
   LIF (trained as LIFRate), LIFRate, SpikingRectifiedLinear (as RectifiedLinear)
   and Sigmoid ensembles.
2. ``save_params``/``load_params`` round trip, mismatch errors, no pickle.
3. ``freeze_params`` makes ``nengo.Simulator`` reproduce the trained model.
4. ``sim.data[ens]``/``sim.data[conn]`` show the trained values used by the run.
"""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.ensemble import Neurons
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.signals import PARAMS

MINIBATCH = 2
N_STEPS = 5
EPS = 1e-6
RTOL = 1e-5  # relative error allowed where the gradient is not tiny
GMIN = 1e-4  # |gradient| below this is "tiny" (loss is O(0.1))
ATOL = 1e-9  # allowed absolute error of tiny gradients (round-off of the loss / EPS)

KINDS = (
    "encoders",
    "bias",
    "ens->ens decoded",
    "ens->node decoded",
    "node->ens dense",
    "neurons->neurons",
)


def object_kind(obj, name):
    """Which kind of trainable parameter ``name`` of ``obj`` is (see KINDS)."""
    if name in ("encoders", "bias"):
        return name
    pre, post = obj.pre_obj, obj.post_obj
    if isinstance(pre, nengo.Ensemble):
        if isinstance(post, nengo.Ensemble):
            return "ens->ens decoded"
        return "ens->node decoded"
    if isinstance(pre, nengo.Node) and isinstance(post, nengo.Ensemble):
        return "node->ens dense"
    if isinstance(pre, Neurons) and isinstance(post, Neurons):
        return "neurons->neurons"
    return "other"


def trainable_positions(store):
    """``[(kind, obj, positions in store.trainable)]`` of every trainable signal."""
    found = []
    for obj, name, sig in store.signals:
        idx = store.layout.indices(sig)
        # the trainable vector is params[train_p], then state[train_s]
        if store.layout.kind(sig) == PARAMS:
            train, offset = store.train_p, 0
        else:
            train, offset = store.train_s, len(store.train_p)
        pos = np.searchsorted(train, idx)
        ok = (pos < len(train)) & (train[np.minimum(pos, len(train) - 1)] == idx)
        pos = pos + offset
        if ok.all():
            found.append((object_kind(obj, name), obj, pos))
        else:
            assert not ok.any(), f"{obj} {name}: partly trainable"
    return found


def gradient_network(neuron_type, max_rates=None, seed=3):
    """Small network with one parameter of every kind and a Lowpass synapse."""
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(np.zeros(2), label="inp")
        if max_rates is not None:
            net.config[nengo.Ensemble].max_rates = max_rates
        net.config[nengo.Ensemble].neuron_type = neuron_type
        a = nengo.Ensemble(5, 2, label="a")
        b = nengo.Ensemble(4, 1, label="b")
        c = nengo.Ensemble(3, 1, label="c")
        out = nengo.Node(size_in=2, label="out")
        nengo.Connection(
            inp,
            a,
            transform=nengo.Dense((2, 2), init=[[0.8, 0.3], [-0.2, 0.9]]),
            synapse=None,
        )
        nengo.Connection(
            a, b, function=lambda x: x[0] * x[1] + 0.3, synapse=nengo.Lowpass(0.005)
        )
        # neuron->neuron weights small enough to keep c's currents in range
        nengo.Connection(
            b.neurons, c.neurons, transform=rng.uniform(-0.3, 0.3, (3, 4)), synapse=None
        )
        nengo.Connection(b, out[0], synapse=None)
        nengo.Connection(c, out[1], synapse=None)
        probe = nengo.Probe(out)
        currents = [nengo.Probe(e.neurons, "input", synapse=None) for e in (a, b, c)]
    return net, inp, probe, currents


def threshold_of(neuron_type):
    """The current at which the rate curve has a kink (None: smooth)."""
    if isinstance(neuron_type, (nengo.LIF, nengo.LIFRate)):
        return 1.0
    if isinstance(neuron_type, (nengo.RectifiedLinear, nengo.SpikingRectifiedLinear)):
        return 0.0
    return None


@pytest.mark.parametrize(
    "neuron_type, max_rates",
    # outputs of order 1 (through amplitude, low max_rates or Sigmoid's tau_ref)
    # so that gradients w.r.t. all kinds of parameter have comparable sizes
    [
        (nengo.LIF(amplitude=0.01), None),
        (nengo.LIFRate(amplitude=0.01), None),
        (nengo.SpikingRectifiedLinear(), nengo.dists.Uniform(1.0, 2.0)),
        (nengo.Sigmoid(tau_ref=0.5), nengo.dists.Uniform(1.0, 1.8)),
    ],
    ids=["LIF", "LIFRate", "SpikingRectifiedLinear", "Sigmoid"],
)
def test_gradients_match_finite_differences(Simulator, neuron_type, max_rates):
    net, inp, probe, currents = gradient_network(neuron_type, max_rates)
    rng = np.random.RandomState(0)
    data = {
        inp: rng.uniform(-1, 1, size=(MINIBATCH, N_STEPS, 2)),
        probe: rng.uniform(-0.5, 0.5, size=(MINIBATCH, N_STEPS, 2)),
    }
    objective = {probe: nengo_dl.obj.mse}
    sim = Simulator(net, minibatch_size=MINIBATCH, dtype="float64")
    store, trainer = sim._store, sim._trainer
    positions = trainable_positions(store)
    assert sorted({k for k, _, _ in positions}) == sorted(KINDS)
    n_covered = sum(len(p) for _, _, p in positions)
    assert n_covered == store.n_trainable  # every trainable scalar is checked

    # analytic gradient of the same loss as sim.loss(training=True)
    checked = sim._training_data(data, objective)
    objective_list = list(checked.objective.items())
    defaults = trainer.default_inputs(checked.n_steps)
    inputs, targets = trainer.batch_arrays(checked, np.arange(MINIBATCH), defaults)
    with tf.GradientTape() as tape:
        probes = trainer._forward(inputs, training=True)
        loss = tf.add_n(trainer._losses(probes, objective_list, targets))
    grad = tape.gradient(loss, store.trainable).numpy()
    public = sim.loss(data, objective, training=True)
    assert float(loss) == pytest.approx(public, rel=1e-12)

    # no neuron sits at a kink of its rate curve (finite differences would fail)
    threshold = threshold_of(neuron_type)
    if threshold is not None:
        for p in currents:
            J = trainer._probe_output(probes, p).numpy()
            assert np.min(np.abs(J - threshold)) > 1e-3, f"{p}: neuron at the kink"

    # central finite differences of the public loss
    base = store.trainable.numpy().copy()
    fd = np.zeros_like(base)
    try:
        for i in range(len(base)):
            values = base.copy()
            values[i] = base[i] + EPS
            store.trainable.assign(values)
            up = sim.loss(data, objective, training=True)
            values[i] = base[i] - EPS
            store.trainable.assign(values)
            down = sim.loss(data, objective, training=True)
            fd[i] = (up - down) / (2 * EPS)
    finally:
        store.trainable.assign(base)

    report, failures = {}, []
    for kind, obj, pos in positions:
        g, f = grad[pos], fd[pos]
        big = np.abs(g) >= GMIN
        rel = np.abs(g - f) / np.maximum(np.abs(g), 1e-300)
        n_big, worst = report.get(kind, (0, 0.0))
        worst = max(worst, float(np.max(rel[big], initial=0)))
        report[kind] = (n_big + int(big.sum()), worst)
        if np.any(rel[big] > RTOL) or np.any(np.abs(g - f)[~big] > ATOL):
            failures.append(f"{kind} {obj}: analytic {g}, finite differences {f}")
    assert not failures, "\n".join(failures)
    for kind in KINDS:
        n_big, worst = report[kind]
        assert n_big >= 1, f"no entry of kind {kind!r} has a gradient >= {GMIN}"
        assert worst <= RTOL, (kind, worst)


# -- save_params / load_params ------------------------------------------------------


def small_network(n_neurons=10, extra_ensemble=False, seed=1):
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(lambda t: [np.sin(8 * t), np.cos(5 * t)], label="inp")
        a = nengo.Ensemble(n_neurons, 2, label="a")
        b = nengo.Ensemble(12, 1, label="b")
        out = nengo.Node(size_in=1, label="out")
        nengo.Connection(inp, a)
        nengo.Connection(a, b, function=lambda x: x[0] * x[1])
        nengo.Connection(b, out)
        if extra_ensemble:
            extra = nengo.Ensemble(7, 1, label="extra")
            nengo.Connection(b, extra)
        probe = nengo.Probe(out, synapse=0.01)
        spikes = nengo.Probe(a.neurons)
    return net, inp, probe, spikes


def train_a_bit(sim, inp, probe, n_epochs=2):
    rng = np.random.RandomState(2)
    # 20 steps: the output lies behind synapses (a one-step delay each)
    x = np.tile(rng.uniform(-1, 1, size=(8, 1, 2)), (1, 20, 1))
    sim.train(
        {inp: x, probe: (x[..., :1] * x[..., 1:])},
        tf.keras.optimizers.Adam(0.01),
        objective={probe: nengo_dl.obj.mse},
        n_epochs=n_epochs,
    )


def test_save_load_params_round_trip(Simulator, tmp_path):
    net, inp, probe, spikes = small_network()
    with Simulator(net, minibatch_size=4) as sim:
        before = sim._store.by_object()[0]
        train_a_bit(sim, inp, probe)
        trained = sim._store.by_object()[0]
        for key in trained:  # training changed every parameter array
            assert not np.array_equal(trained[key], before[key]), key
        sim.save_params(tmp_path / "params")
        sim.run_steps(50)
        expected = {p: sim.data[p].copy() for p in (probe, spikes)}

    path = tmp_path / "params.npz"
    assert path.exists()
    with np.load(path, allow_pickle=False) as saved:  # no pickled objects inside
        contents = {k: saved[k] for k in saved.files}
    assert len(contents) > 2
    assert all(isinstance(v, np.ndarray) for v in contents.values())

    with Simulator(net, minibatch_size=4) as sim2:
        sim2.load_params(tmp_path / "params")
        loaded = sim2._store.by_object()[0]
        sim2.run_steps(50)
    # (flat layouts may differ between builds: compare object by object)
    assert loaded.keys() == trained.keys()
    for key in trained:
        assert np.array_equal(loaded[key], trained[key]), key
    # nengo's optimizer may merge operators differently in another build, which
    # changes summation order: equal up to float32 round-off
    for p, values in expected.items():
        assert np.allclose(sim2.data[p], values, rtol=1e-5, atol=1e-5), p

    # ".npz" given explicitly works too
    with Simulator(net, minibatch_size=4) as sim3:
        sim3.load_params(str(path))
        for key, value in sim3._store.by_object()[0].items():
            assert np.array_equal(value, trained[key]), key


@pytest.mark.parametrize(
    "other, message",
    [
        ({"n_neurons": 11}, "a"),  # shape mismatch, names the ensemble
        ({"extra_ensemble": True}, "parameter arrays"),  # count mismatch
    ],
    ids=["n_neurons", "extra_ensemble"],
)
def test_load_params_into_other_network(Simulator, tmp_path, other, message):
    net, inp, probe, _ = small_network()
    with Simulator(net, minibatch_size=4) as sim:
        train_a_bit(sim, inp, probe, n_epochs=1)
        sim.save_params(tmp_path / "params")

    other_net = small_network(**other)[0]
    with Simulator(other_net) as sim2:
        values = sim2._store.values()
        ens = other_net.ensembles[0]
        encoders = sim2.data[ens].encoders.copy()
        with pytest.raises(ValidationError) as excinfo:
            sim2.load_params(tmp_path / "params")
        text = str(excinfo.value)
        if "n_neurons" in other:
            # names the mismatching object and both shapes
            assert "<Ensemble 'a'>" in text, text
            assert "(10, 2)" in text and "(11, 2)" in text, text
        else:
            counts = (len(sim._store.signals), len(sim2._store.signals))
            assert counts[0] != counts[1]
            assert message in text, text
            assert str(counts[0]) in text and str(counts[1]) in text, text
        # nothing changed
        after = sim2._store.values()
        for i in range(2):
            assert np.array_equal(after[i], values[i])
        assert np.array_equal(sim2.data[ens].encoders, encoders)
        assert sim2._store.changed == []  # no parameter was assigned


# -- freeze_params --------------------------------------------------------------------


def freeze_network(seed=5):
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(lambda t: [np.sin(6 * t), 0.5 * np.cos(9 * t)], label="inp")
        a = nengo.Ensemble(20, 2, neuron_type=nengo.LIFRate(), label="a")
        b = nengo.Ensemble(15, 2, neuron_type=nengo.LIFRate(), label="b")
        c = nengo.Ensemble(10, 1, neuron_type=nengo.LIFRate(), label="c")
        out = nengo.Node(size_in=2, label="out")
        nengo.Connection(
            inp, a, transform=nengo.Dense((2, 2), init=[[0.9, 0.2], [-0.3, 1.0]])
        )
        # function plus a Dense transform changing the dimension (1 -> 2)
        nengo.Connection(
            a,
            b,
            function=lambda x: [x[0] * x[1]],
            transform=nengo.Dense((2, 1), init=[[1.0], [-0.5]]),
        )
        nengo.Connection(a, c, function=lambda x: x[0] ** 2, synapse=0.01)
        nengo.Connection(
            b.neurons, c.neurons, transform=rng.uniform(-5e-4, 5e-4, (10, 15))
        )
        nengo.Connection(b, out, function=np.tanh, synapse=None)
        nengo.Connection(c, out[0], transform=0.5)
        # (no decoded-output probe of a trained ensemble: nengo solves probe
        # decoders again for the frozen ensemble, so those would differ)
        probes = [
            nengo.Probe(out, synapse=0.01),
            nengo.Probe(b.neurons),
            nengo.Probe(c.neurons, "input"),
        ]
    return net, inp, probes


def test_freeze_params_reproduced_by_nengo(Simulator):
    net, inp, probes = freeze_network()
    rng = np.random.RandomState(4)
    x = np.tile(rng.uniform(-1, 1, size=(16, 1, 2)), (1, 20, 1))  # synapses: >1 step
    target = np.stack([x[..., 0] * x[..., 1], np.sin(x[..., 0])], axis=-1)
    with Simulator(net, minibatch_size=8, dtype="float64", seed=7) as sim:
        before = sim._store.values()[0].copy()
        sim.train(
            {inp: x, probes[0]: target},
            tf.keras.optimizers.Adam(0.02),
            objective={probes[0]: nengo_dl.obj.mse},
            n_epochs=3,
        )
        assert np.max(np.abs(sim._store.values()[0] - before)) > 1e-3
        sim.run(0.3)  # every minibatch item sees the same (Node function) input
        ours = {p: sim.data[p][0] for p in probes}

    sim.freeze_params(net)
    with nengo.Simulator(net, seed=7, progress_bar=False) as ref:
        ref.run(0.3)
    for p in probes:
        assert ours[p].shape == ref.data[p].shape
        scale = max(1.0, np.max(np.abs(ref.data[p])))
        err = np.max(np.abs(ours[p] - ref.data[p])) / scale
        assert err < 1e-5, (p, err)

    # the frozen network in our simulator, untrained, gives the same again
    with Simulator(net, dtype="float64", seed=7) as frozen:
        frozen.run(0.3)
    for p in probes:
        scale = max(1.0, np.max(np.abs(ref.data[p])))
        assert np.max(np.abs(frozen.data[p] - ref.data[p])) / scale < 1e-5, p


# -- sim.data views -------------------------------------------------------------------


def lif_rates(J, tau_rc=0.02, tau_ref=0.002):
    """nengo.LIFRate's rate curve."""
    rates = np.zeros_like(J)
    on = J > 1
    rates[on] = 1 / (tau_ref + tau_rc * np.log1p(1 / (J[on] - 1)))
    return rates


def test_sim_data_shows_trained_values(Simulator):
    with nengo.Network(seed=2) as net:
        nengo_dl.configure_settings(trainable=None)
        inp = nengo.Node([0.0, 0.0], label="inp")
        a = nengo.Ensemble(10, 2, neuron_type=nengo.LIFRate(), label="a")
        b = nengo.Ensemble(8, 1, neuron_type=nengo.LIFRate(), label="b")
        frozen = nengo.Ensemble(6, 2, neuron_type=nengo.LIFRate(), label="frozen")
        out = nengo.Node(size_in=1, label="out")
        c_in = nengo.Connection(
            inp, a, synapse=None, transform=nengo.Dense((2, 2), init=np.eye(2))
        )
        c_ab = nengo.Connection(a, b, function=lambda x: x[0] * x[1], synapse=None)
        c_out = nengo.Connection(b, out, synapse=None)
        c_frozen = nengo.Connection(inp, frozen, synapse=None)
        c_frozen_out = nengo.Connection(
            frozen, out, function=lambda x: 0 * x[0], synapse=None
        )
        net.config[frozen].trainable = False
        net.config[c_frozen_out].trainable = False
        p_out = nengo.Probe(out, synapse=None)
        p_a_in = nengo.Probe(a.neurons, "input", synapse=None)
        p_a = nengo.Probe(a.neurons, synapse=None)
        p_b = nengo.Probe(b.neurons, synapse=None)
        p_f = nengo.Probe(frozen.neurons, synapse=None)

    trainable = [a, b, c_in, c_ab, c_out]
    fixed = [frozen, c_frozen_out]
    with Simulator(net, minibatch_size=4, dtype="float64") as sim:
        before = {obj: sim.data[obj] for obj in trainable + fixed + [c_frozen]}
        rng = np.random.RandomState(3)
        x = rng.uniform(-1, 1, size=(8, 1, 2))
        sim.train(
            {inp: x, p_out: x[..., :1] * x[..., 1:]},
            tf.keras.optimizers.Adam(0.005),
            objective={p_out: nengo_dl.obj.mse},
            n_epochs=3,
        )
        after = {obj: sim.data[obj] for obj in before}

        for ens in (a, b):
            for attr in ("encoders", "scaled_encoders", "bias"):
                new, old = getattr(after[ens], attr), getattr(before[ens], attr)
                assert not np.allclose(new, old), (ens, attr)
            # gain and radius unchanged; encoders consistent with scaled_encoders
            assert np.array_equal(after[ens].gain, before[ens].gain)
            assert np.allclose(
                after[ens].encoders * after[ens].gain[:, None] / ens.radius,
                after[ens].scaled_encoders,
            )
        for conn in (c_in, c_ab, c_out):
            assert not np.allclose(after[conn].weights, before[conn].weights), conn
        for obj in fixed:  # not trainable: nengo's exact values
            for attr in ("weights", "encoders", "scaled_encoders", "bias"):
                if hasattr(before[obj], attr):
                    assert np.array_equal(
                        getattr(after[obj], attr), getattr(before[obj], attr)
                    ), (obj, attr)
        # c_frozen (trainable) is a Node->Ensemble connection without a transform:
        # nothing to train, nothing changed
        assert getattr(after[c_frozen], "weights", None) is None or np.array_equal(
            after[c_frozen].weights, before[c_frozen].weights
        )

        # the run uses exactly these values
        sim.run_steps(3, data={inp: np.tile(x[:4, :1], (1, 3, 1))})
        xs = x[:4, 0]  # (4, 2)
        J = sim.data[p_a_in][:, -1]  # (4, 10)
        ea = after[a]
        expected_J = (xs @ after[c_in].weights.T) @ ea.scaled_encoders.T + ea.bias
        assert np.allclose(J, expected_J, atol=1e-10)
        out = sim.data[p_out][:, -1]  # (4, 1)
        expected_out = (
            sim.data[p_b][:, -1] @ after[c_out].weights.T
            + sim.data[p_f][:, -1] @ after[c_frozen_out].weights.T
        )
        assert np.allclose(out, expected_out, atol=1e-10)
        b_in = sim.data[p_a][:, -1] @ after[c_ab].weights.T  # decoded value into b
        eb = after[b]
        rates_b = lif_rates(b_in @ eb.scaled_encoders.T + eb.bias)
        assert np.allclose(sim.data[p_b][:, -1], rates_b, atol=1e-8)

    # a closed simulator still shows the trained values
    assert np.array_equal(sim.data[a].encoders, after[a].encoders)


@pytest.mark.parametrize("scipy_init", [False, True])
def test_trained_sparse_transform_data_and_freeze(Simulator, scipy_init):
    """A trained nengo.Sparse transform keeps its structure in ``sim.data``
    (was: a flat array of the non-zero values), and ``freeze_params`` writes it
    back so that ``nengo.Simulator`` reproduces the trained output (was: refused)."""
    import scipy.sparse

    rows, cols, init = [0, 1], [0, 2], [0.5, -1.0]
    if scipy_init:
        transform = nengo.Sparse(
            (2, 3), init=scipy.sparse.csr_matrix((init, (rows, cols)), shape=(2, 3))
        )
    else:
        transform = nengo.Sparse(
            (2, 3), indices=np.stack([rows, cols], axis=1), init=init
        )
    with nengo.Network(seed=0) as net:
        inp = nengo.Node([1.0, 0.5, -0.5])
        out = nengo.Node(size_in=2)
        conn = nengo.Connection(inp, out, transform=transform, synapse=None)
        probe = nengo.Probe(out)
    x = np.tile([[[1.0, 0.5, -0.5]]], (2, 1, 1))
    with Simulator(net, minibatch_size=2) as sim:
        sim.compile(tf.keras.optimizers.SGD(0.1), loss="mse")
        sim.fit({inp: x}, {probe: np.zeros((2, 1, 2))}, epochs=3, verbose=0)
        weights = sim.data[conn].weights
        dense = weights.toarray() if scipy.sparse.issparse(weights) else None
        if dense is None:
            dense = np.zeros((2, 3))
            dense[tuple(np.asarray(weights.indices).T)] = weights.data
        assert dense[0, 1] == 0 and not np.isclose(dense[0, 0], 0.5)
        trained = sim.predict({inp: x})[probe][0, -1]
        sim.freeze_params(net)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(1)
    np.testing.assert_allclose(ref.data[probe][-1], trained, rtol=1e-5)
    np.testing.assert_allclose(trained, dense @ [1.0, 0.5, -0.5], rtol=1e-5)
