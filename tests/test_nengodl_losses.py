"""nengo_dl.losses (nan_mse, Regularize) and nengo_dl.callbacks.IsolateState."""

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.callbacks import IsolateState
from nengodl_notebook.losses import Regularize, nan_mse


def _net(neuron_weights=False):
    with nengo.Network(seed=0) as net:
        inp = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(20, 1)
        out = nengo.Node(size_in=1)
        nengo.Connection(inp, ens)
        if neuron_weights:
            rng = np.random.RandomState(1)
            conn = nengo.Connection(
                ens.neurons, ens.neurons, transform=rng.uniform(-1, 1, (20, 20))
            )
        else:
            conn = nengo.Connection(ens, out)
        probe = nengo.Probe(out, synapse=None)
        weights = nengo.Probe(conn, "weights")
    return net, inp, conn, probe, weights


def test_nan_mse_matches_numpy(rng):
    y_pred = rng.randn(3, 4, 2).astype(np.float32)
    y_true = rng.randn(3, 4, 2).astype(np.float32)
    assert np.allclose(nan_mse(y_true, y_pred), np.mean((y_true - y_pred) ** 2))
    y_true[rng.rand(*y_true.shape) < 0.4] = np.nan
    sq = np.where(np.isnan(y_true), 0, (y_true - y_pred) ** 2)
    # NaN targets add zero error; the mean is over all elements (NengoDL's rule)
    assert np.allclose(nan_mse(y_true, y_pred), sq.sum() / sq.size)


def test_nan_mse_gradient_finite(rng):
    y_pred = tf.Variable(rng.randn(2, 5, 3))
    y_true = np.where(rng.rand(2, 5, 3) < 0.5, np.nan, rng.randn(2, 5, 3))
    with tf.GradientTape() as tape:
        loss = nan_mse(y_true, y_pred)
    grad = tape.gradient(loss, y_pred).numpy()
    assert np.isfinite(loss.numpy()) and np.all(np.isfinite(grad))
    assert np.all(grad[np.isnan(y_true)] == 0)
    assert np.all(grad[~np.isnan(y_true)] != 0)


def test_losses_in_plain_keras_model(rng):
    x = rng.randn(32, 3).astype(np.float32)
    y = x @ rng.randn(3, 2).astype(np.float32)
    y[::2, 0] = np.nan
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.05), loss=nan_mse)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, verbose=0)
    assert np.isfinite(before) and model.evaluate(x, y, verbose=0) < 0.5 * before

    x = x.reshape(8, 4, 3)  # outputs (batch, time, size), as a probe's
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), loss=Regularize(order=1))
    expected = np.mean(np.abs(model.predict(x, verbose=0)).sum(axis=-1))
    value = model.evaluate(x, np.zeros((8, 4, 2)), verbose=0)
    assert np.isclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize(
    "order, axis", [(2, None), (1, None), (np.inf, None), (2, 0), (1, 1)]
)
def test_regularize_matches_numpy(rng, order, axis):
    y_pred = rng.randn(2, 3, 4, 5).astype(np.float32)
    if axis is None:
        norms = np.linalg.norm(y_pred.reshape(2, 3, -1), ord=order, axis=-1)
    else:
        norms = np.linalg.norm(y_pred, ord=order, axis=axis + 2)
    value = Regularize(order=order, axis=axis)(None, y_pred)
    assert np.allclose(value, norms.mean(), rtol=1e-5)
    assert np.allclose(Regularize(order, axis)(np.ones(3), y_pred), value)


def test_regularize_bad_arguments():
    with pytest.raises(ValidationError, match="order"):
        Regularize(order=-1)
    with pytest.raises(ValidationError, match="axis"):
        Regularize(axis=1.5)
    with pytest.raises(ValidationError, match="axis 3"):
        Regularize(axis=3)(None, np.ones((2, 3, 4)))


def test_regularize_config_round_trip():
    loss = Regularize.from_config(Regularize(order=np.inf, axis=1).get_config())
    assert loss.order == np.inf and loss.axis == 1


@pytest.mark.filterwarnings("ignore:These trainable parameters get no gradient")
def test_regularize_pulls_weights_to_zero(Simulator):
    net, inp, conn, _, weights = _net(neuron_weights=True)
    with Simulator(net, progress_bar=False) as sim:
        w0 = np.array(sim.data[conn].weights)
        sim.compile(keras.optimizers.SGD(0.1), loss={weights: Regularize()})
        x = np.zeros((1, 3, 1))
        before = sim.evaluate({inp: x}, {weights: None})["loss"]
        assert np.isclose(before, np.linalg.norm(w0), rtol=1e-5)
        sim.fit({inp: x}, {weights: None}, epochs=10)
        w1 = np.array(sim.data[conn].weights)
    # an L2 norm's gradient is w / |w|: every weight shrinks in proportion
    assert np.isclose(np.linalg.norm(w1), np.linalg.norm(w0) - 1.0, rtol=1e-3)
    assert np.allclose(w1, w0 * np.linalg.norm(w1) / np.linalg.norm(w0), atol=1e-5)


def _snapshot(sim, probe):
    return sim.n_steps, sim.time, np.array(sim.data[probe]), sim.trange()


def test_isolate_state_fit_leaves_simulator_unchanged(Simulator):
    net, inp, _, probe, _ = _net()
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(7)
        before = _snapshot(sim, probe)
        sim.compile(keras.optimizers.SGD(1e-4), loss={probe: "mse"})
        callback = IsolateState(sim)

        class RunsTheSimulator(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                sim.run_steps(3)  # would move time on, were it not isolated

        x = np.ones((2, 4, 1))
        sim.fit(
            {inp: x}, {probe: x}, epochs=2, callbacks=[RunsTheSimulator(), callback]
        )
        after = _snapshot(sim, probe)
    assert after[:2] == before[:2] == (7, pytest.approx(7 * sim.dt))
    assert np.array_equal(after[2], before[2]) and np.array_equal(after[3], before[3])


def test_isolate_state_explicit_reset(Simulator):
    net, _, _, probe, _ = _net()
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(3)
        before = _snapshot(sim, probe)
        callback = IsolateState(sim)
        sim.run_steps(4)
        assert sim.n_steps == 7
        callback.reset()
        after = _snapshot(sim, probe)
        sim.run_steps(5)
        continued = np.array(sim.data[probe])[-5:]
    with Simulator(net, progress_bar=False) as ref:
        ref.run_steps(8)
        expected = np.array(ref.data[probe])[-5:]
    assert after[:2] == before[:2]
    assert np.array_equal(after[2], before[2]) and np.array_equal(after[3], before[3])
    # the state went back too: running on continues as if nothing ran between
    assert np.allclose(continued, expected, atol=1e-6)


def test_isolate_state_needs_a_simulator():
    with pytest.raises(ValidationError, match="IsolateState needs"):
        IsolateState(object())
