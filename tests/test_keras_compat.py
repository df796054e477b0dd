"""The Keras-style API as NengoDL 3.6 documents it: compile (no optimizer,
loss_weights, metrics), x/y forms and names, n_steps, stateful,
predict_on_batch, batch truncation, keep_history, nan_mse in fit."""

import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl


def _two_probe_net(keep_history=None):
    """Input ``a`` (1-D) -> ensemble -> out; probes on out and on the input."""
    with nengo.Network(seed=0) as net:
        if keep_history is not None:
            nengo_dl.configure_settings(keep_history=keep_history)
        a = nengo.Node(np.zeros(1), label="a")
        ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate())
        out = nengo.Node(size_in=1, label="out")
        nengo.Connection(a, ens, synapse=None)
        nengo.Connection(ens, out, synapse=None)
        p_out = nengo.Probe(out, label="p_out")
        p_in = nengo.Probe(a)  # unlabeled: "probe"
    return net, a, p_out, p_in


def _data(batch=4, steps=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, (batch, 1, 1)) * np.ones((batch, steps, 1))
    return x, -x


def test_compile_without_optimizer(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x, y = _data()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(loss={p_out: "mse"})
        out = sim.predict({a: x})[p_out]
        logs = sim.evaluate({a: x}, {p_out: y})
        assert np.isclose(logs["loss"], np.mean((out - y) ** 2), rtol=1e-5)
        with pytest.raises(ValidationError, match="without an optimizer"):
            sim.fit({a: x}, {p_out: y})
        assert sim.evaluate({a: x}, {p_out: y}) == logs  # still usable


def test_loss_weights_and_metric_keys(Simulator):
    net, a, p_out, p_in = _two_probe_net()
    x, y = _data()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        out = sim.predict({a: x})
        mse = {p: np.mean((out[p] - y) ** 2) for p in (p_out, p_in)}
        mae = np.mean(np.abs(out[p_out] - y))
        for weights in ([2.0, 0.5], {p_out: 2.0, "probe": 0.5}):
            sim.compile(
                loss="mse",  # one loss: every probe (NengoDL)
                metrics={"p_out": ["mae", keras.metrics.MeanSquaredError()]},
                loss_weights=weights,
            )
            logs = sim.evaluate(x, [y, y])  # bare x: the only input; y: a list
            assert set(logs) == {
                "loss",
                "p_out_loss",
                "probe_loss",
                "p_out_mae",
                "p_out_mean_squared_error",
            }
            assert np.isclose(logs["p_out_loss"], mse[p_out], rtol=1e-5)
            assert np.isclose(logs["probe_loss"], mse[p_in], rtol=1e-5)
            assert np.isclose(logs["loss"], 2 * mse[p_out] + 0.5 * mse[p_in])
            assert np.isclose(logs["p_out_mae"], mae, rtol=1e-5)
            assert np.isclose(logs["p_out_mean_squared_error"], mse[p_out], rtol=1e-5)


def test_compile_bad_specs(Simulator):
    net, _, p_out, _ = _two_probe_net()
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(ValidationError, match="list of 1 entries.*2 Probes"):
            sim.compile(loss=["mse"])
        with pytest.raises(ValidationError, match="'nope'.*valid names"):
            sim.compile(loss={"nope": "mse"})
        with pytest.raises(ValidationError, match="loss_weights for .* number"):
            sim.compile(loss={p_out: "mse"}, loss_weights={p_out: "x"})
        with pytest.raises(ValidationError, match="no loss"):
            sim.compile(loss={p_out: "mse"}, loss_weights=[1.0, 2.0])


def _classifier(n_classes=10):
    with nengo.Network(seed=1) as net:
        inp = nengo.Node(np.zeros(4), label="inp")
        logits = nengo.Node(size_in=n_classes)
        w = np.random.RandomState(2).uniform(-1, 1, (n_classes, 4))
        nengo.Connection(inp, logits, transform=w, synapse=None)
        p = nengo.Probe(logits, label="logits")
    return net, inp, p


def test_sparse_categorical_matches_keras(Simulator):
    net, inp, p = _classifier()
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (8, 2, 4))
    labels = rng.randint(0, 10, (8, 2, 1))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        sim.compile(
            keras.optimizers.Adam(0.05),
            loss={p: loss},
            metrics={p: "sparse_categorical_accuracy"},
        )
        out = sim.predict({inp: x})[p]
        logs = sim.evaluate({inp: x}, {p: labels})
        expected_loss = float(loss(labels, out))
        expected_acc = float(
            np.mean(keras.metrics.sparse_categorical_accuracy(labels, out))
        )
        assert np.isclose(logs["logits_loss"], expected_loss, rtol=1e-5)
        assert np.isclose(logs["logits_sparse_categorical_accuracy"], expected_acc)
        sim.fit({inp: x}, {p: labels}, epochs=20)
        after = sim.evaluate({inp: x}, {p: labels})
    assert after["loss"] < 0.5 * logs["loss"]
    assert after["logits_sparse_categorical_accuracy"] > expected_acc


def test_accuracy_follows_the_loss(Simulator):
    net, inp, p = _classifier()
    x = np.random.RandomState(4).uniform(-1, 1, (4, 1, 4))
    with Simulator(net, progress_bar=False) as sim:
        out = sim.predict({inp: x})[p]
        labels = np.argmax(out, axis=-1)[..., None]  # all correct
        sim.compile(
            loss={p: keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
            metrics=["accuracy"],
        )
        assert sim.evaluate({inp: x}, {p: labels})["logits_accuracy"] == 1.0


def test_names_and_input_forms(Simulator):
    with nengo.Network(seed=0) as net:
        a = nengo.Node(np.zeros(1), label="a")
        b = nengo.Node(np.zeros(2), label="A")  # the same name, case ignored
        c = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        for node in (a, b[0], c):
            nengo.Connection(node, out, synapse=None)
        p = nengo.Probe(out, label="my probe")
        q = nengo.Probe(out)
    with Simulator(net, progress_bar=False) as sim:
        names = [sim.get_name(o) for o in (a, b, c, p, q)]
        assert names == ["a", "A_1", "node", "my_probe", "probe"]
        with pytest.raises(ValidationError, match="not an input Node"):
            sim.get_name(out)
        xs = [np.full((1, 2, 1), 1.0), np.full((1, 2, 2), 2.0), np.full((1, 2, 1), 4.0)]
        by_node = sim.predict(dict(zip((a, b, c), xs)))[p]
        assert np.allclose(by_node, 7.0)
        assert np.array_equal(sim.predict(dict(zip(names, xs)))[p], by_node)
        assert np.array_equal(sim.predict(xs)[p], by_node)
        with pytest.raises(ValidationError, match="single array.*3 input Nodes"):
            sim.predict(xs[0])
        with pytest.raises(ValidationError, match="'b'.*valid names"):
            sim.predict({"b": xs[1]})


def test_n_steps(Simulator):
    net, a, p_out, _ = _two_probe_net()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        out = sim.predict(n_steps=5)[p_out]
        assert out.shape == (2, 5, 1)
        sim.run_steps(5)
        assert np.allclose(out, sim.data[p_out], atol=1e-6)
        sim.reset()
        with pytest.raises(ValidationError, match="n_steps=4 but the input data has 3"):
            sim.predict({a: np.zeros((2, 3, 1))}, n_steps=4)
        with pytest.raises(ValidationError, match="x or n_steps"):
            sim.predict()


def test_stateful_predict_continues_a_run(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x = np.linspace(-1, 1, 8)[None, :, None]
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(8, data={a: x})
        whole = np.array(sim.data[p_out])
        sim.reset()
        first = sim.predict({a: x[:, :4]}, stateful=True)[p_out]
        assert sim.n_steps == 4 and len(sim.data[p_out]) == 0
        peek = sim.predict({a: x[:, 4:]})[p_out]  # stateful=False: from step 4
        assert sim.n_steps == 4
        second = sim.predict({a: x[:, 4:]}, stateful=True)[p_out]
        assert sim.n_steps == 8
    assert np.allclose(np.concatenate([first, second], axis=1)[0], whole, atol=1e-6)
    assert np.array_equal(peek, second)


def test_predict_on_batch(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x, _ = _data(batch=2)
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        assert np.array_equal(sim.predict_on_batch(x)[p_out], sim.predict(x)[p_out])
        with pytest.raises(ValidationError, match="batch size 4.*minibatch_size is 2"):
            sim.predict_on_batch(np.zeros((4, 3, 1)))


def test_batch_not_a_multiple_of_minibatch(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x, y = _data(batch=5)
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        with pytest.warns(UserWarning, match=r"\(5\) is not evenly divisible.*\(2\)"):
            out = sim.predict({a: x})[p_out]
        assert out.shape == (4, 3, 1)
        sim.compile(keras.optimizers.SGD(0.0), loss={p_out: "mse"})
        with pytest.warns(UserWarning, match="truncated to the first 4"):
            logs = sim.evaluate({a: x}, {p_out: y})
        assert np.isclose(logs["loss"], np.mean((out - y[:4]) ** 2), rtol=1e-5)
        with pytest.raises(ValidationError, match=r"\(1\) is less than.*\(2\)"):
            sim.predict({a: x[:1]})


def test_keep_history_false(Simulator):
    x, y = _data()
    full_net, a0, p0, _ = _two_probe_net()
    with Simulator(full_net, progress_bar=False) as sim:
        full = sim.predict({a0: x})[p0]
    net, a, p_out, p_in = _two_probe_net(keep_history=False)
    net.config[p_in].keep_history = True  # a probe's own setting wins
    with Simulator(net, progress_bar=False) as sim:
        out = sim.predict({a: x})
        assert out[p_out].shape == (4, 1, 1) and out[p_in].shape == (4, 3, 1)
        assert np.allclose(out[p_out], full[:, -1:], atol=1e-6)
        sim.compile(keras.optimizers.Adam(1e-3), loss={p_out: "mse"})
        before = sim.evaluate({a: x}, {p_out: y[:, -1:]})["loss"]
        assert np.isclose(before, np.mean((out[p_out] - y[:, -1:]) ** 2), rtol=1e-5)
        sim.fit({a: x}, {p_out: y[:, -1:]}, epochs=20)
        assert sim.evaluate({a: x}, {p_out: y[:, -1:]})["loss"] < before


def test_nan_mse_fit_with_nan_padded_targets(Simulator):
    """Only the last two steps have targets; the error there goes down."""
    net, a, p_out, _ = _two_probe_net()
    x = np.linspace(-1, 1, 8)[:, None, None] * np.ones((8, 5, 1))
    y = np.full((8, 5, 1), np.nan)
    y[:, -2:] = -x[:, -2:]

    def error(sim):
        out = sim.predict({a: x})[p_out]
        return np.mean((out[:, -2:] - y[:, -2:]) ** 2)

    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        sim.compile(keras.optimizers.Adam(1e-3), loss={p_out: nengo_dl.losses.nan_mse})
        before = error(sim)
        logs = sim.evaluate({a: x}, {p_out: y})
        assert np.isclose(logs["loss"], before * 2 / 5, rtol=1e-5)  # mean over all
        history = sim.fit({a: x}, {p_out: y}, epochs=30)
        after = error(sim)
        assert np.all(np.isfinite(history.history["loss"]))
        sim.compile(keras.optimizers.Adam(1e-3), loss={p_out: "mse"})
        with pytest.raises(ValidationError, match="nan at index"):
            sim.fit({a: x}, {p_out: y})  # other losses still need finite targets
    assert after < 0.2 * before


def test_fit_stateful_refused_and_stateful_setting(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x, y = _data()
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(keras.optimizers.SGD(0.0), loss={p_out: "mse"})
        refused = r"fit\(stateful=True\) is not supported"
        with pytest.raises(ValidationError, match=refused):
            sim.fit({a: x}, {p_out: y}, stateful=True)
    with net:
        nengo_dl.configure_settings(stateful=False)
    with Simulator(net, progress_bar=False) as sim:
        with pytest.warns(UserWarning, match="Ignoring stateful=True"):
            sim.predict({a: x}, stateful=True)
        assert sim.n_steps == 0


def test_run_steps_data_by_name_list_or_array(Simulator):
    net, a, p_out, _ = _two_probe_net()
    x = np.linspace(-1, 1, 4)[None, :, None]
    results = []
    with Simulator(net, progress_bar=False) as sim:
        for data in ({a: x}, {"a": x}, [x], x):
            sim.reset()
            sim.run_steps(4, data=data)
            results.append(np.array(sim.data[p_out]))
        with pytest.raises(ValidationError, match="'b'.*valid names.*'a'"):
            sim.run_steps(4, data={"b": x})
    assert all(np.array_equal(r, results[0]) for r in results[1:])
    assert not np.allclose(results[0], 0)


def test_fit_history_has_probe_losses_and_metrics(Simulator):
    net, a, p_out, p_in = _two_probe_net()
    x, y = _data()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(
            keras.optimizers.SGD(0.0),  # no change: the logs equal evaluate's
            loss={p_out: "mse", p_in: "mse"},
            loss_weights={p_in: 3.0},
            metrics={p_out: "mae"},
        )
        expected = sim.evaluate({a: x}, {p_out: y, p_in: y})  # rate neurons: same
        history = sim.fit(
            {a: x}, {p_out: y, p_in: y}, epochs=2, validation_data=({a: x}, [y, y])
        ).history
    assert set(history) == set(expected) | {f"val_{k}" for k in expected}
    for key, value in expected.items():
        assert np.allclose(history[key], value, rtol=1e-5), key
        assert np.allclose(history[f"val_{key}"], value, rtol=1e-5), key
