"""The training API: trainable settings, sim.train/loss, callbacks, Keras-style API.

Small networks (1-D input Node -> Ensemble -> Node, mostly ``n_steps=1``, batch 64,
minibatch 16) so each test takes a few seconds.
"""

import re

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

import nengodl_notebook
import nengodl_notebook as nengo_dl
from nengodl_notebook.config import trainable_objects

BATCH, MB = 64, 16
N_BATCHES = BATCH // MB


def make_net(configure=True, n_neurons=30, seed=0):
    """inp -> ens -> out, synapse=None, probe ``p`` (label ``p_out``) on out.

    With ``configure``: tutorial cell 12 (everything frozen but Ensembles).
    """
    with nengo.Network(seed=seed) as net:
        if configure:
            nengo_dl.configure_settings(trainable=False)
            net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0], label="inp")
        net.ens = nengo.Ensemble(n_neurons, 1, neuron_type=nengo.LIFRate(), label="ens")
        net.out = nengo.Node(size_in=1, label="out")
        net.c_in = nengo.Connection(net.inp, net.ens, synapse=None)
        net.c_out = nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    return net


def make_data(net, n_steps=1, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, size=(BATCH, n_steps, 1))
    return {net.inp: x, net.p: 0.5 * x}


def mse_obj(net):
    return {net.p: nengo_dl.obj.mse}


def store_values(sim):
    """Copies of all current parameter values (params, state0) of the store."""
    params, state = sim._store.values()
    return params.copy(), state.copy()


def assert_store_equal(a, b):
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def still_usable(sim, net):
    """run_steps, loss and a valid train all work after a failed call."""
    before = sim.n_steps
    sim.run_steps(5)
    assert sim.n_steps == before + 5
    assert np.all(np.isfinite(sim.data[net.p]))
    data = make_data(net)
    loss = sim.loss(data, mse_obj(net))
    assert np.isfinite(loss)
    history = sim.train(data, tf.keras.optimizers.Adam(0.01), mse_obj(net), n_epochs=1)
    assert len(history) == 1 and np.isfinite(history[0])


# -- 1. configure_settings and trainable resolution -----------------------------------


def test_tutorial_cell_12_settings():
    net = make_net()
    resolved = trainable_objects(net)
    assert resolved[net.ens] is True
    assert resolved[net.ens.neurons] is True  # biases follow their ensemble
    assert resolved[net.c_in] is False
    assert resolved[net.c_out] is False


def test_no_configure_settings_means_everything_trainable():
    net = make_net(configure=False)
    assert all(trainable_objects(net).values())


def test_per_instance_overrides():
    net = make_net()
    with net:
        ens2 = nengo.Ensemble(10, 1, label="ens2")
        c2 = nengo.Connection(net.ens, ens2)
    net.config[ens2].trainable = False  # instance beats class default True
    net.config[c2].trainable = True  # instance beats class default False
    resolved = trainable_objects(net)
    assert resolved[net.ens] is True and resolved[net.ens.neurons] is True
    assert resolved[ens2] is False and resolved[ens2.neurons] is False
    assert resolved[c2] is True
    assert resolved[net.c_out] is False


def test_innermost_network_wins():
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        outer_ens = nengo.Ensemble(10, 1, label="outer")
        with nengo.Network() as sub:
            nengo_dl.configure_settings(trainable=True)
            inner_ens = nengo.Ensemble(10, 1, label="inner")
            inner_conn = nengo.Connection(inner_ens, inner_ens)
            with nengo.Network() as subsub:
                nengo_dl.configure_settings(trainable=False)
                deep_ens = nengo.Ensemble(10, 1, label="deep")
        outer_conn = nengo.Connection(outer_ens, inner_ens)
    # the parent's setting of an inner object loses against the inner class default
    net.config[inner_ens].trainable = False
    resolved = trainable_objects(net)
    assert resolved[outer_ens] is False and resolved[outer_conn] is False
    assert resolved[inner_ens] is True and resolved[inner_ens.neurons] is True
    assert resolved[inner_conn] is True
    assert resolved[deep_ens] is False
    # ... but the inner network's own instance setting wins
    sub.config[inner_ens].trainable = False
    assert trainable_objects(net)[inner_ens] is False
    assert subsub in sub.networks


def test_innermost_network_wins_in_training(Simulator):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        net.inp = nengo.Node([0.0], label="inp")
        outer = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="outer")
        with nengo.Network():
            nengo_dl.configure_settings(trainable=True)
            net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="inner")
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, outer, synapse=None)
        nengo.Connection(outer, net.ens, synapse=None)
        nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    with Simulator(net, minibatch_size=MB) as sim:
        outer0 = sim.data[outer].scaled_encoders.copy()
        inner0 = sim.data[net.ens].scaled_encoders.copy()
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.05), mse_obj(net), n_epochs=1
        )
        # (up to float32 rounding: bit-for-bit is test_untrainable_objects_...)
        assert np.allclose(sim.data[outer].scaled_encoders, outer0, rtol=1e-6, atol=0)
        assert not np.allclose(sim.data[net.ens].scaled_encoders, inner0, atol=1e-4)


def test_neurons_false_freezes_biases_only(Simulator):
    net = make_net()
    net.config[net.ens.neurons].trainable = False
    resolved = trainable_objects(net)
    assert resolved[net.ens] is True and resolved[net.ens.neurons] is False
    with Simulator(net, minibatch_size=MB) as sim:
        enc0 = np.array(sim.data[net.ens].scaled_encoders)
        bias0 = np.array(sim.data[net.ens].bias)
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.05), mse_obj(net), n_epochs=2
        )
        assert not np.allclose(sim.data[net.ens].scaled_encoders, enc0, atol=1e-4)
        assert np.array_equal(sim.data[net.ens].bias, bias0)


def test_configure_settings_outside_network():
    assert not nengo.Network.context
    with pytest.raises(ValidationError, match="inside a 'with network:' block"):
        nengo_dl.configure_settings(trainable=False)


def test_configure_settings_unknown_setting():
    with nengo.Network():
        with pytest.raises(
            ValidationError, match="Unknown setting 'banana'.*trainable"
        ):
            nengo_dl.configure_settings(banana=3)


# -- 2. non-trainable objects are untouched --------------------------------------------


def frozen_net():
    """inp -> a (trainable) -> b (frozen instance) -> out; connections frozen."""
    with nengo.Network(seed=1) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0], label="inp")
        net.a = nengo.Ensemble(30, 1, neuron_type=nengo.LIFRate(), label="a")
        net.b = nengo.Ensemble(30, 1, neuron_type=nengo.LIFRate(), label="b")
        net.out = nengo.Node(size_in=1, label="out")
        net.conns = [
            nengo.Connection(net.inp, net.a, synapse=None, transform=[[1.0]]),
            nengo.Connection(net.a, net.b, synapse=None),
            nengo.Connection(net.b, net.out, synapse=None),
        ]
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    net.config[net.b].trainable = False
    return net


def test_untrainable_parameters_unchanged_in_store(Simulator):
    net = frozen_net()
    with Simulator(net, minibatch_size=MB) as sim:
        store = sim._store
        before = store_values(sim)
        fixed0 = store.fixed.numpy().copy()
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.05), mse_obj(net), n_epochs=2
        )
        after = store_values(sim)
        assert np.array_equal(store.fixed.numpy(), fixed0)
        assert np.array_equal(after[0][store.fixed_p], before[0][store.fixed_p])
        assert not np.array_equal(after[0][store.train_p], before[0][store.train_p])
        for obj, name, sig in store.signals:
            changed = not np.array_equal(
                store.signal_value(sig, before), store.signal_value(sig, after)
            )
            expected = obj in (net.a, net.a.neurons)
            assert changed == expected, (obj, name)


def test_untrainable_objects_bit_for_bit_unchanged_in_sim_data(Simulator):
    net = frozen_net()
    with Simulator(net, minibatch_size=MB) as sim:
        conn_w = [np.array(sim.data[c].weights) for c in net.conns]
        b = sim.data[net.b]
        b0 = {
            k: np.array(getattr(b, k)) for k in ("encoders", "scaled_encoders", "bias")
        }
        a0 = {
            k: np.array(getattr(sim.data[net.a], k))
            for k in ("scaled_encoders", "bias")
        }
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.05), mse_obj(net), n_epochs=2
        )
        # untrainable ones did not change, bit for bit
        for c, w in zip(net.conns, conn_w):
            assert np.array_equal(sim.data[c].weights, w), c
        for k, v in b0.items():
            assert np.array_equal(getattr(sim.data[net.b], k), v), k
        # trainable ones changed
        for k, v in a0.items():
            assert not np.allclose(getattr(sim.data[net.a], k), v, atol=1e-5), k


# -- 3. training reduces the loss, and the simulation uses the trained parameters -----


def test_training_reduces_loss_and_run_uses_trained_params(Simulator):
    net = make_net()
    data = make_data(net)
    x16 = data[net.inp][:MB]
    with Simulator(net, minibatch_size=MB) as sim:
        before = sim.loss(data, mse_obj(net))
        assert isinstance(before, float)
        sim.run_steps(1, data={net.inp: x16})
        out_before = np.array(sim.data[net.p])
        history = sim.train(
            data, tf.keras.optimizers.Adam(0.05), mse_obj(net), n_epochs=3
        )
        assert len(history) == 3 and history[-1] < history[0]
        after = sim.loss(data, mse_obj(net))
        assert after < 0.9 * before

        sim.reset(include_trainable=False)
        sim.run_steps(1, data={net.inp: x16})
        out_after = np.array(sim.data[net.p])
        assert out_after.shape == (MB, 1, 1)
        assert not np.allclose(out_after, out_before, atol=1e-4)
        # trained output is closer to the target
        target = data[net.p][:MB]
        assert np.mean((out_after - target) ** 2) < np.mean((out_before - target) ** 2)

        built = sim.model.params[net.ens]  # nengo's built values
        trained = sim.data[net.ens]
        assert not np.allclose(
            trained.scaled_encoders, built.scaled_encoders, atol=1e-4
        )
        assert not np.allclose(trained.bias, built.bias, atol=1e-4)
        # sim.data's trained parameters are those the simulation used
        current = x16[:, 0] @ np.asarray(trained.scaled_encoders).T + trained.bias
        n = net.ens.n_neurons  # gain and bias are already in `current`:
        rates = net.ens.neuron_type.rates(current, np.ones(n), np.zeros(n))
        expected = rates @ np.asarray(sim.data[net.c_out].weights).T
        assert np.allclose(out_after[:, 0], expected, rtol=1e-3, atol=1e-4)


# -- 4. bad input ----------------------------------------------------------------------


@pytest.fixture
def net():
    return make_net()


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, minibatch_size=MB) as sim:
        yield sim


def alien_probe():
    with nengo.Network():
        node = nengo.Node([0.0], label="alien_node")
        return nengo.Probe(node, label="alien_probe")


def nan_obj(outputs, targets):
    return tf.math.log(-tf.ones((), outputs.dtype)) * tf.reduce_mean(outputs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            lambda net: {
                "data": {
                    net.inp: np.zeros((BATCH, 1, 1)),
                    net.p: np.zeros((BATCH, 1, 2)),
                }
            },
            r"target data for <Probe \"p_out\".*shape \(batch_size, n_steps, 1\)"
            r".*\(64, 1, 2\)",
        ),
        (
            lambda net: {
                "data": {
                    net.inp: np.zeros((BATCH, 1, 1)),
                    net.p: np.zeros((BATCH, 2, 1)),
                }
            },
            r"(p_out|inp).*\(batch_size, n_steps\).*all arrays must agree",
        ),
        (
            lambda net: {
                "data": {net.inp: np.zeros((50, 1, 1)), net.p: np.zeros((50, 1, 1))}
            },
            "Batch size 50.*not a multiple of.*minibatch_size 16",
        ),
        (lambda net: {"n_epochs": 0}, "n_epochs must be a positive integer.*got 0"),
        (lambda net: {"n_epochs": "3"}, "n_epochs must be a positive integer.*got '3'"),
        (lambda net: {"n_epochs": 2.5}, "n_epochs must be a positive integer"),
        (
            lambda net: {"objective": {alien_probe(): nengo_dl.obj.mse}},
            "alien_probe.*not a Probe of this simulator's network",
        ),
        (
            lambda net: {"data": {net.inp: np.zeros((BATCH, 1, 1))}},
            'objective for <Probe "p_out".*needs targets',
        ),
        (
            lambda net: {"objective": {net.p: "nonsense"}},
            "p_out.*Unknown objective 'nonsense'",
        ),
        (lambda net: {"objective": {}}, "objective must be a non-empty dict"),
        (
            lambda net: {"optimizer": tf.compat.v1.train.RMSPropOptimizer(0.01)},
            "RMSPropOptimizer.*TensorFlow 1.*Keras optimizer"
            ".*tf.keras.optimizers.RMSprop",
        ),
        (lambda net: {"optimizer": "adam"}, "Keras optimizer"),
    ],
)
def test_bad_train_arguments(sim, net, kwargs, match):
    args = {
        "data": make_data(net),
        "optimizer": tf.keras.optimizers.Adam(0.01),
        "objective": mse_obj(net),
        "n_epochs": 1,
    }
    args.update(kwargs(net))
    before = store_values(sim)
    with pytest.raises(ValidationError, match=match):
        sim.train(**args)
    assert_store_equal(store_values(sim), before)
    still_usable(sim, net)


def test_bad_loss_arguments(sim, net):
    data = make_data(net)
    data[net.p] = np.zeros((BATCH, 1, 3))
    with pytest.raises(ValidationError, match=r"p_out.*\(64, 1, 3\)"):
        sim.loss(data, mse_obj(net))
    with pytest.raises(ValidationError, match="p_out.*needs targets"):
        sim.loss({net.inp: data[net.inp]}, mse_obj(net))
    still_usable(sim, net)


def test_nothing_trainable(Simulator):
    net = make_net(configure=False)
    with net:
        nengo_dl.configure_settings(trainable=False)
    with Simulator(net, minibatch_size=MB) as sim:
        with pytest.raises(
            ValidationError, match="Nothing in this network is trainable"
        ):
            sim.train(make_data(net), tf.keras.optimizers.Adam(0.01), mse_obj(net))
        sim.run_steps(5)
        assert sim.data[net.p].shape == (MB, 5, 1)


def test_nan_loss_on_first_step(sim, net):
    before = store_values(sim)
    with pytest.raises(SimulationError, match="p_out.*epoch 0, minibatch 0"):
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.01), {net.p: nan_obj}, n_epochs=2
        )
    assert_store_equal(store_values(sim), before)
    assert np.allclose(
        sim.data[net.ens].scaled_encoders,
        sim.model.params[net.ens].scaled_encoders,
        rtol=1e-6,
        atol=0,
    )
    still_usable(sim, net)


def test_nan_loss_mid_training_keeps_last_finite_step(sim, net):
    counter = tf.Variable(0, dtype=tf.int32)

    def explode_after_3_steps(outputs, targets):
        n = counter.assign_add(1)
        loss = tf.reduce_mean(tf.square(outputs - targets))
        sign = tf.cast(n <= 3, outputs.dtype) * 2 - 1
        return loss * tf.sqrt(sign)  # sqrt(-1) = NaN from the 4th step on

    recorded = {}

    class Recorder(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            recorded[batch] = store_values(sim)

    initial = store_values(sim)
    with pytest.raises(SimulationError, match="p_out.*epoch 0, minibatch 3"):
        sim.train(
            make_data(net),
            tf.keras.optimizers.Adam(0.05),
            {net.p: explode_after_3_steps},
            n_epochs=2,
            callbacks=[Recorder()],
        )
    # minibatch 3 is reported too (its NaN step was not applied)
    assert sorted(recorded) == [0, 1, 2, 3]
    assert not np.array_equal(recorded[2][0], initial[0])
    assert_store_equal(recorded[3], recorded[2])
    assert_store_equal(store_values(sim), recorded[2])
    assert np.all(np.isfinite(sim._store.trainable.numpy()))
    still_usable(sim, net)


def test_chunked_training_equals_one_by_one(net):
    """Minibatches run in compiled chunks give what one call per minibatch gives."""

    class PerBatch(keras.callbacks.Callback):  # a batch hook: chunks of one
        def __init__(self):
            super().__init__()
            self.batches, self.iterations = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append((self.epoch, batch))
            self.iterations.append(int(self.model.optimizer.iterations))

    class Chunked(PerBatch):
        async_safe = True  # its batch hook may run after the chunk

    results = {}
    for callback in (PerBatch(), Chunked()):
        with nengo_dl.Simulator(net, minibatch_size=MB, progress_bar=False) as sim:
            history = sim.train(
                make_data(net),
                tf.keras.optimizers.Adam(0.01),
                mse_obj(net),
                n_epochs=8,
                callbacks=[callback],
            )
            results[type(callback)] = (
                history,
                store_values(sim),
                sim._trainer.chunk.size,
                callback.iterations,
            )
        # every minibatch reported once, in order, either way
        assert callback.batches == [(e, b) for e in range(8) for b in range(N_BATCHES)]
    steps = list(range(1, 8 * N_BATCHES + 1))
    assert results[PerBatch][3] == steps  # each hook right after its step
    assert results[Chunked][3] != steps  # hooks after the chunk's last step
    assert all(i >= n for i, n in zip(results[Chunked][3], steps))
    (h1, v1, _, _), (h2, v2, chunk, _) = results[PerBatch], results[Chunked]
    assert chunk > 1  # the chunked run did run several minibatches per call
    assert np.allclose(h1, h2, rtol=1e-5, atol=1e-7)
    assert np.allclose(v1[0], v2[0], rtol=1e-4, atol=1e-6)
    assert np.allclose(v1[1], v2[1], rtol=1e-4, atol=1e-6)


def test_nan_inside_a_chunk_stops_at_that_minibatch(sim, net):
    """A non-finite step inside a compiled chunk: earlier steps kept, none after."""
    counter = tf.Variable(0, dtype=tf.int32)

    def explode_after_6_steps(outputs, targets):
        n = counter.assign_add(1)
        loss = tf.reduce_mean(tf.square(outputs - targets))
        return loss * tf.sqrt(tf.cast(n <= 6, outputs.dtype) * 2 - 1)

    sim._trainer.chunk.size = 64  # all minibatches of an epoch in one call
    with pytest.raises(SimulationError, match="p_out.*epoch 1, minibatch 2"):
        sim.train(
            make_data(net),
            tf.keras.optimizers.SGD(0.05),
            {net.p: explode_after_6_steps},
            n_epochs=3,
        )
    chunked = store_values(sim)

    # reference: the same training one minibatch per call, values after step 6
    recorded = {}

    class Recorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            recorded[(self.epoch, batch)] = store_values(ref)

    counter.assign(0)
    with nengo_dl.Simulator(net, minibatch_size=MB, progress_bar=False) as ref:
        with pytest.raises(SimulationError, match="epoch 1, minibatch 2"):
            ref.train(
                make_data(net),
                tf.keras.optimizers.SGD(0.05),
                {net.p: explode_after_6_steps},
                n_epochs=3,
                callbacks=[Recorder()],
            )
    assert max(recorded) == (1, 2)  # reported, not applied
    assert_store_equal(recorded[(1, 2)], recorded[(1, 1)])
    assert np.allclose(chunked[0], recorded[(1, 1)][0], rtol=1e-5, atol=1e-7)
    assert np.allclose(chunked[1], recorded[(1, 1)][1], rtol=1e-5, atol=1e-7)
    assert np.all(np.isfinite(sim._store.trainable.numpy()))
    still_usable(sim, net)


# -- 5. objectives without targets -----------------------------------------------------


def test_objective_without_target(sim, net):
    data = {net.inp: make_data(net)[net.inp], net.p: None}

    def power(outputs):
        return tf.reduce_mean(outputs**2)

    before = sim.loss(data, {net.p: power})
    sim.train(data, tf.keras.optimizers.Adam(0.05), {net.p: power}, n_epochs=3)
    after = sim.loss(data, {net.p: power})
    assert after < 0.9 * before


def test_mean_rate_regulariser(Simulator):
    net = make_net()
    with net:
        p_rates = nengo.Probe(net.ens.neurons, synapse=None, label="rates")
    data = {net.inp: make_data(net)[net.inp], p_rates: None}
    with Simulator(net, minibatch_size=MB) as sim:
        before = sim.loss(data, {p_rates: nengo_dl.obj.mean_rate})
        sim.train(
            data,
            tf.keras.optimizers.Adam(0.5),
            {p_rates: nengo_dl.obj.mean_rate},
            n_epochs=3,
        )
        after = sim.loss(data, {p_rates: nengo_dl.obj.mean_rate})
        named = sim.loss(data, {p_rates: "mean_rate"})
    assert after < 0.9 * before
    assert named == pytest.approx(after)


# -- 6. progress and callbacks ---------------------------------------------------------


def test_training_summary_line(capsys):
    net = make_net()
    with nengodl_notebook.Simulator(net, minibatch_size=MB) as sim:
        capsys.readouterr()
        history = sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.01), mse_obj(net), n_epochs=2
        )
        out = capsys.readouterr().out
        match = re.search(r"Training finished in 0:00:\d\d \(loss: ([0-9.]+)\)", out)
        assert match, out
        assert float(match.group(1)) == pytest.approx(history[-1], abs=1e-4)
        # progress_bar=False on the call silences it
        sim.train(
            make_data(net),
            tf.keras.optimizers.Adam(0.01),
            mse_obj(net),
            progress_bar=False,
        )
        assert capsys.readouterr().out == ""


def test_no_output_without_progress_bar(Simulator, capsys):
    net = make_net()
    with Simulator(net, minibatch_size=MB) as sim:
        sim.train(
            make_data(net), tf.keras.optimizers.Adam(0.01), mse_obj(net), n_epochs=2
        )
        sim.loss(make_data(net), mse_obj(net))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


class CountingCallback(keras.callbacks.Callback):
    """Keras callback recording the arguments of each hook."""

    HOOKS = (
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_end",
        "on_epoch_end",
        "on_train_end",
    )

    def __init__(self):
        super().__init__()
        self.calls = {k: [] for k in self.HOOKS}

    def on_train_begin(self, logs=None):
        self.calls["on_train_begin"].append(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self.calls["on_epoch_begin"].append(epoch)

    def on_train_batch_end(self, batch, logs=None):
        self.calls["on_train_batch_end"].append((batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls["on_epoch_end"].append((epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.calls["on_train_end"].append(dict(logs))


def test_callback_events(sim, net):
    cb = CountingCallback()
    history = sim.train(
        make_data(net),
        tf.keras.optimizers.Adam(0.01),
        mse_obj(net),
        n_epochs=2,
        callbacks=[cb],
    )
    calls = cb.calls
    assert len(calls["on_train_begin"]) == 1
    assert cb.params == {"epochs": 2, "steps": N_BATCHES, "verbose": 0}
    assert calls["on_epoch_begin"] == [0, 1]
    batches = calls["on_train_batch_end"]
    assert [b for b, _ in batches] == list(range(N_BATCHES)) * 2
    assert all(np.isfinite(logs["loss"]) for _, logs in batches)
    assert [e for e, _ in calls["on_epoch_end"]] == [0, 1]
    for e in range(2):
        # as in Keras: batch logs hold the epoch's running mean; the last is the epoch's
        last = batches[(e + 1) * N_BATCHES - 1][1]["loss"]
        assert calls["on_epoch_end"][e][1]["loss"] == pytest.approx(last)
        assert calls["on_epoch_end"][e][1]["loss"] == pytest.approx(history[e])
    assert calls["on_train_end"] == [{"loss": history[-1]}]


def test_stop_training_from_callback(sim, net):
    class Stopper(CountingCallback):
        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)
            if batch == 2:
                self.model.stop_training = True

    cb = Stopper()
    optimizer = tf.keras.optimizers.Adam(0.01)
    history = sim.train(
        make_data(net), optimizer, mse_obj(net), n_epochs=3, callbacks=[cb]
    )
    assert len(cb.calls["on_train_batch_end"]) == 3
    assert int(optimizer.iterations) == 3  # stopped right after minibatch 2
    assert len(history) == 1
    assert len(cb.calls["on_epoch_end"]) == 1
    assert cb.model.stop_training is True
    # the sim stays usable, and the next train runs in full
    sim.run_steps(5)
    assert sim.data[net.p].shape == (MB, 5, 1)
    cb2 = CountingCallback()
    history = sim.train(
        make_data(net),
        tf.keras.optimizers.Adam(0.01),
        mse_obj(net),
        n_epochs=2,
        callbacks=[cb2],
    )
    assert len(history) == 2
    assert len(cb2.calls["on_train_batch_end"]) == 2 * N_BATCHES
    assert cb2.model.stop_training is False


def test_old_dict_callbacks_refused(sim, net):
    class Old:  # the dict-based protocol of earlier versions
        def on_epoch_end(self, info):
            pass

    with pytest.raises(ValidationError, match=r"callbacks\[0\].*keras.callbacks"):
        sim.train(
            make_data(net),
            tf.keras.optimizers.Adam(0.01),
            mse_obj(net),
            callbacks=[Old()],
        )


def test_keyboard_interrupt_in_callback(sim, net):
    recorded = {}

    class Interrupter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            recorded[batch] = store_values(sim)
            if batch == 2:
                raise KeyboardInterrupt

    initial = store_values(sim)
    with pytest.raises(KeyboardInterrupt):
        sim.train(
            make_data(net),
            tf.keras.optimizers.Adam(0.05),
            mse_obj(net),
            n_epochs=2,
            callbacks=[Interrupter()],
        )
    assert sorted(recorded) == [0, 1, 2]
    assert not np.array_equal(recorded[2][0], initial[0])
    assert_store_equal(store_values(sim), recorded[2])
    # sim.data shows the parameters after the last completed step
    enc_sig = next(s for o, n, s in sim._store.signals if o is net.ens)
    assert np.array_equal(
        sim.data[net.ens].scaled_encoders, sim._store.signal_value(enc_sig, recorded[2])
    )
    still_usable(sim, net)


# -- 7. Keras-style API ----------------------------------------------------------------


@pytest.fixture
def xy(net):
    data = make_data(net)
    return {net.inp: data[net.inp]}, {net.p: data[net.p]}


def test_fit_evaluate_predict(sim, net, xy):
    x, y = xy
    sim.compile(tf.keras.optimizers.Adam(0.05), loss={net.p: "mse"})
    before = sim.evaluate(x, y)
    assert isinstance(before, dict) and "loss" in before
    history = sim.fit(x=x, y=y, epochs=3)
    losses = history.history["loss"]
    assert len(losses) == 3
    assert losses[-1] < losses[0]
    after = sim.evaluate(x, y)
    assert after["loss"] < before["loss"]
    out = sim.predict(x=x)
    assert set(out) == {net.p}
    assert out[net.p].shape == (BATCH, 1, 1)
    assert np.all(np.isfinite(out[net.p]))
    assert np.mean((out[net.p] - y[net.p]) ** 2) == pytest.approx(
        after["loss"], rel=1e-3
    )


def test_fit_early_stopping(sim, net, xy):
    x, y = xy
    sim.compile(tf.keras.optimizers.Adam(0.01), loss={net.p: "mse"})
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    history = sim.fit(x=x, y=y, epochs=5, callbacks=[stopper])
    assert len(history.history["loss"]) == 2


def test_fit_custom_callback_and_validation(sim, net, xy):
    x, y = xy

    class LogRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.logs = []
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1

        def on_epoch_end(self, epoch, logs=None):
            self.logs.append((epoch, dict(logs)))

    rng = np.random.RandomState(5)
    x_val = rng.uniform(-1, 1, size=(32, 1, 1))
    sim.compile(tf.keras.optimizers.Adam(0.01), loss={net.p: "mse"})
    recorder = LogRecorder()
    history = sim.fit(
        x=x,
        y=y,
        epochs=2,
        callbacks=[recorder],
        validation_data=({net.inp: x_val}, {net.p: 0.5 * x_val}),
    )
    assert [e for e, _ in recorder.logs] == [0, 1]
    assert all("loss" in logs and "val_loss" in logs for _, logs in recorder.logs)
    assert recorder.batches == 2 * N_BATCHES
    assert len(history.history["val_loss"]) == 2
    assert history.history["loss"] == [logs["loss"] for _, logs in recorder.logs]


def test_fit_evaluate_before_compile(sim, net, xy):
    x, y = xy
    with pytest.raises(ValidationError, match="sim.compile"):
        sim.fit(x=x, y=y, epochs=1)
    with pytest.raises(ValidationError, match="sim.compile"):
        sim.evaluate(x, y)
    still_usable(sim, net)


# -- 8. backprop through time ----------------------------------------------------------


def test_train_through_time(Simulator):
    """Only the input weight is trainable, and the objective only looks at the last
    steps, when the input is already zero: the weight only reaches the loss through
    the synapse's and the recurrent connection's state from earlier steps."""
    n_steps = 20
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        net.inp = nengo.Node([0.0], label="inp")
        ens = nengo.Ensemble(30, 1, neuron_type=nengo.LIFRate(), label="ens")
        net.out = nengo.Node(size_in=1, label="out")
        c_in = nengo.Connection(
            net.inp, ens, transform=[[1.0]], synapse=nengo.Lowpass(0.01)
        )
        nengo.Connection(ens, ens, transform=0.3, synapse=nengo.Lowpass(0.01))
        nengo.Connection(ens, net.out, synapse=nengo.Lowpass(0.01))
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    net.config[c_in].trainable = True

    rng = np.random.RandomState(0)
    v = rng.uniform(-1, 1, size=(BATCH, 1, 1))
    x = np.zeros((BATCH, n_steps, 1))
    x[:, :10] = v
    data = {net.inp: x, net.p: np.tile(-0.5 * v, (1, n_steps, 1))}

    def last_steps_mse(outputs, targets):
        return tf.reduce_mean(tf.square(outputs[:, -5:] - targets[:, -5:]))

    with Simulator(net, minibatch_size=MB) as sim:
        w0 = np.array(sim.data[c_in].weights)
        before = sim.loss(data, {net.p: last_steps_mse})
        sim.train(
            data, tf.keras.optimizers.Adam(0.1), {net.p: last_steps_mse}, n_epochs=3
        )
        after = sim.loss(data, {net.p: last_steps_mse})
        w1 = np.array(sim.data[c_in].weights)
    assert w1.item() < w0.item() - 0.1  # pushed towards the negative target
    assert after < 0.8 * before


def test_fit_validation_loss_stays_the_loss_with_metrics(Simulator):
    """Metrics must not replace the loss in later epochs' validation."""
    import keras as _keras

    net = make_net()
    data = make_data(net)
    x = {net.inp: data[net.inp]}
    y = {net.p: data[net.p]}
    with Simulator(net, minibatch_size=MB) as sim:
        sim.compile(
            _keras.optimizers.SGD(0.0), loss={net.p: "mse"}, metrics={net.p: "mae"}
        )
        history = sim.fit(x, y, epochs=2, validation_data=(x, y))
    losses, maes = (
        history.history["val_loss"],
        history.history[
            [k for k in history.history if k.startswith("val_") and k.endswith("_mae")][
                0
            ]
        ],
    )
    assert np.allclose(losses[0], losses[1]) and not np.allclose(losses[1], maes[1])
