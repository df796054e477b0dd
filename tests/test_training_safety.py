"""Issue 13: training loses nothing and is never silently wrong.

1. a failing objective is a ValidationError (probe, objective, chained cause) with
   every parameter unchanged; 2. fresh optimizers reuse the compiled training
   (memory stays flat); 3. a diverging loss warns (and may restore the best
   parameters); 4. parameters the gradient cannot reach are named; 5. the
   parameters after a failure are finite and those the message names; 6. non-finite
   data is refused before training; 7. clear Keras-style API errors.

Small networks (1-D input -> 20 LIFRate neurons -> output, batch 64, minibatch 16).
"""

import gc
import re
import warnings

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.training import NoGradientWarning, TrainingDivergedWarning

BATCH, MB = 64, 16


def make_net(seed=0):
    """inp -> ens -> Dense(1) TensorNode -> probe ``p_out``.

    Trainable: the ensemble (encoders, biases) and the Keras layer.
    """
    keras.utils.set_random_seed(seed)
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable=None)
        net.config[nengo.Connection].trainable = False
        net.inp = nengo.Node([0.0], label="inp")
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="ens")
        nengo.Connection(net.inp, net.ens, synapse=None)
        net.dense = keras.layers.Dense(1, name="dense")
        net.layer = nengo_dl.Layer(net.dense)(net.ens)
        net.p = nengo.Probe(net.layer, synapse=None, label="p_out")
    return net


def make_plain_net(seed=0, weights=True):
    """inp -> ens -> out (no TensorNode); encoders, biases (and weights) trainable.

    Training the weights (decoders of 20 neurons firing at up to 400 Hz) diverges
    with Adam(0.01): ``weights=False`` for tests of something else.
    """
    with nengo.Network(seed=seed) as net:
        if not weights:
            nengo_dl.configure_settings(trainable=False)
            net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0], label="inp")
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="ens")
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, net.ens, synapse=None)
        nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    return net


def make_data(net, seed=0):
    x = np.random.RandomState(seed).uniform(-1, 1, size=(BATCH, 1, 1))
    return {net.inp: x, net.p: 0.5 * x}


def mse(net):
    return {net.p: nengo_dl.obj.mse}


def all_params(sim, net):
    """Copies of every parameter: store, TensorNode weights, and sim.data views."""
    params, state = sim._store.values()
    values = [params.copy(), state.copy()]
    values += [var.numpy().copy() for _, _, var in sim._tensor_vars.weights]
    built = sim.data[net.ens]
    values += [np.array(built.encoders), np.array(built.scaled_encoders)]
    values += [np.array(built.bias)]
    return values


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def assert_finite(values):
    for v in values:
        assert np.all(np.isfinite(v))


class Recorder(keras.callbacks.Callback):
    """Parameters after each reported minibatch, by ``(epoch, batch)``."""

    def __init__(self, sim, net):
        super().__init__()
        self.sim, self.net, self.values = sim, net, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.values[self.epoch, batch] = all_params(self.sim, self.net)


@pytest.fixture
def net():
    return make_net()


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, minibatch_size=MB) as sim:
        yield sim


def still_trains(sim, net):
    history = sim.train(make_data(net), keras.optimizers.Adam(1e-4), mse(net))
    assert np.all(np.isfinite(history))


# -- 1. the objective is checked before any parameter changes --------------------------


def wrong_signature(outputs, targets, weights):
    return tf.reduce_mean(outputs * weights)


def returns_none(outputs, targets):
    tf.reduce_mean(outputs - targets)  # forgot the return


def returns_strings(outputs, targets):
    return tf.constant(["loss"])


def returns_empty(outputs, targets):
    return tf.square(outputs[:, 5:] - targets[:, 5:])  # n_steps is 1: nothing left


def raises_key_error(outputs, targets):
    return {"a": outputs}["loss"]


@pytest.mark.parametrize(
    "objective, match, cause",
    [
        (wrong_signature, r"wrong_signature.*TypeError.*missing", TypeError),
        (lambda x: tf.reduce_mean(x, axis=7), r"<lambda>.*dimension 7", Exception),
        (returns_none, r"returns_none.*returned None", None),
        (returns_strings, r"returns_strings.*string", None),
        (returns_empty, r"returns_empty.*empty.*\(16, 0, 1\)", None),
        (raises_key_error, r"raises_key_error.*KeyError", KeyError),
    ],
)
def test_failing_objective_changes_nothing(sim, net, objective, match, cause):
    before = all_params(sim, net)
    with pytest.raises(ValidationError, match="p_out") as info:
        sim.train(make_data(net), keras.optimizers.SGD(0.1), {net.p: objective})
    message = str(info.value)
    assert re.search(match, message, re.S), message
    if cause is None:
        assert info.value.__cause__ is None or not isinstance(
            info.value.__cause__, ValidationError
        )
    else:
        assert isinstance(info.value.__cause__, cause)
    assert_same(all_params(sim, net), before)
    # the same checks in sim.loss, and training still works afterwards
    with pytest.raises(ValidationError, match="p_out"):
        sim.loss(make_data(net), {net.p: objective})
    still_trains(sim, net)


def test_nan_loss_on_first_minibatch_blames_the_objective(sim, net):
    def log_of_negative(outputs, targets):
        return tf.reduce_mean(tf.math.log(-tf.abs(outputs) - 1.0))

    before = all_params(sim, net)
    with pytest.raises(SimulationError, match="p_out.*epoch 0, minibatch 0") as info:
        sim.train(make_data(net), keras.optimizers.SGD(0.1), {net.p: log_of_negative})
    message = str(info.value)
    assert "before any parameter update" in message and "learning rate" not in message
    assert_same(all_params(sim, net), before)


# -- 2. memory: fresh optimizers reuse the compiled training ---------------------------


def rss_mb():
    with open("/proc/self/status") as f:
        return next(
            int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS")
        )


def test_fresh_optimizers_keep_memory_flat(Simulator):
    """30 train calls, each with a new Adam: one compiled program, RSS flat."""
    net = make_plain_net(weights=False)
    data = {k: v[:MB] for k, v in make_data(net).items()}  # one minibatch per call
    with Simulator(net, minibatch_size=MB) as sim:
        sim.train(data, keras.optimizers.Adam(0.01), mse(net))
        sim.train(data, keras.optimizers.Adam(0.02), mse(net))
        gc.collect()
        before = rss_mb()
        for i in range(30):
            sim.train(data, keras.optimizers.Adam(0.001 * (1 + i % 3)), mse(net))
        gc.collect()
        growth = rss_mb() - before
        assert growth < 50, f"RSS grew by {growth:.1f} MB over 30 train calls"
        assert len(sim._trainer._train_fns) == 1


def test_reused_program_follows_each_optimizer(Simulator):
    """Learning rate and state of each optimizer are used (not the first one's)."""
    net = make_plain_net(weights=False)
    data = make_data(net)
    results, store0 = [], None
    for reuse in (False, True):
        with Simulator(net, minibatch_size=MB) as sim:
            if reuse:  # compile with another optimizer of the same kind first
                sim.train(data, keras.optimizers.Adam(0.002), mse(net))
                sim._store.assign(*store0)
            else:
                store0 = tuple(v.copy() for v in sim._store.values())
            opt = keras.optimizers.Adam(0.01)
            sim.train(data, opt, mse(net), n_epochs=2, shuffle=False)
            sim.train(data, opt, mse(net), n_epochs=1, shuffle=False)
            results.append((sim._store.trainable.numpy(), int(opt.iterations.numpy())))
    (a, it_a), (b, it_b) = results
    assert it_a == it_b == 12
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_learning_rate_callback_reaches_the_shared_program(sim, net):
    """A Keras callback changing the learning rate mid-fit is followed."""
    data = make_data(net)
    seen = {}

    class Params(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = all_params(sim, net)

    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 0.01 if epoch == 0 else 0.0
    )
    start = all_params(sim, net)
    sim.compile(keras.optimizers.Adam(0.01), loss={net.p: "mse"})
    sim.fit(data[net.inp], data[net.p], epochs=3, callbacks=[schedule, Params()])
    assert not np.array_equal(seen[0][0], start[0])
    assert_same(seen[1], seen[0])
    assert_same(seen[2], seen[0])
    assert sim.keras.optimizer.learning_rate.numpy() == 0.0
    assert sim.keras.optimizer.iterations.numpy() == 3 * BATCH // MB


def test_release_drops_compiled_programs(sim, net):
    sim.train(make_data(net), keras.optimizers.Adam(0.01), mse(net))
    sim.loss(make_data(net), mse(net))
    sim._trainer.release()
    assert not sim._trainer._train_fns and not sim._trainer._eval_fns
    still_trains(sim, net)


# -- 3. divergence ---------------------------------------------------------------------


def test_diverging_loss_warns_once(Simulator):
    net = make_plain_net()
    with Simulator(net, minibatch_size=MB) as sim:
        start = [v.copy() for v in sim._store.values()]
        with pytest.warns(TrainingDivergedWarning) as record:
            sim.train(make_data(net), keras.optimizers.Adam(1e3), mse(net), n_epochs=3)
        diverged = [
            w for w in record if issubclass(w.category, TrainingDivergedWarning)
        ]
        assert len(diverged) == 1
        message = str(diverged[0].message)
        assert re.search(r"grew from 0\.07\d* .*to \d\.\d+e\+\d\d", message), message
        assert "smaller learning rate" in message
        assert issubclass(TrainingDivergedWarning, UserWarning)
        # a good learning rate: no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error", TrainingDivergedWarning)
            sim._store.assign(*start)
            sim.train(make_data(net), keras.optimizers.Adam(1e-3), mse(net))


def test_divergence_restores_best_parameters(Simulator):
    net = make_plain_net()
    with Simulator(net, minibatch_size=MB) as sim:
        start = all_params(sim, net)
        with pytest.warns(
            TrainingDivergedWarning, match=r"lowest loss \(0\.07.*restored"
        ):
            history = sim.train(
                make_data(net),
                keras.optimizers.Adam(1e3),
                mse(net),
                n_epochs=5,
                restore_best_on_divergence=True,
            )
        assert len(history) == 1  # stopped in the first epoch
        # the best loss was the first minibatch's: the initial parameters
        assert_same(all_params(sim, net), start)
        loss = sim.loss(make_data(net), mse(net), training=True)
        assert loss < 0.1


# -- 4. parameters the gradient does not reach -----------------------------------------


def rounding_net(stop="round"):
    """inp -> a -> TensorNode(round) -> b -> out, probe on out; ensembles trainable."""
    blockers = {"round": tf.round, "stop_gradient": tf.stop_gradient}
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0], label="inp")
        net.a = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="a")
        net.b = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="b")
        net.block = nengo_dl.TensorNode(
            lambda t, x: blockers[stop](4 * x) / 4, size_in=1, label="blocker"
        )
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, net.a, synapse=None)
        nengo.Connection(net.a, net.block, synapse=None)
        nengo.Connection(net.block, net.b, synapse=None)
        nengo.Connection(net.b, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
        net.p_block = nengo.Probe(net.block, synapse=None, label="p_block")
    return net


@pytest.mark.parametrize("stop", ["round", "stop_gradient"])
def test_blocked_parameters_are_named(Simulator, stop):
    net = rounding_net(stop)
    with Simulator(net, minibatch_size=MB) as sim:
        with pytest.warns(NoGradientWarning) as record:
            sim.train(make_data(net), keras.optimizers.Adam(0.01), mse(net))
    messages = [str(w.message) for w in record if w.category is NoGradientWarning]
    assert len(messages) == 1
    message = messages[0]
    assert "get no gradient from the objective" in message
    assert re.search(r"Ensemble .a.> encoders", message), message
    assert re.search(r"Ensemble .a.>> bias", message), message
    assert not re.search(r"Ensemble .b.", message), message
    assert "blocker" in message  # the TensorNode between them and the probe


def test_no_parameter_gets_a_gradient(Simulator):
    net = rounding_net()
    data = {net.inp: make_data(net)[net.inp], net.p_block: make_data(net)[net.p]}
    with Simulator(net, minibatch_size=MB) as sim:
        with pytest.warns(NoGradientWarning, match="changes nothing"):
            sim.train(
                data, keras.optimizers.Adam(0.01), {net.p_block: nengo_dl.obj.mse}
            )


def test_parameters_not_upstream_are_not_named(Simulator):
    """A second output branch outside the objective is expected to get no gradient."""
    with nengo.Network(seed=0) as net:
        net.inp = nengo.Node([0.0], label="inp")
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="ens")
        net.other = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="other")
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, net.ens, synapse=None)
        nengo.Connection(net.inp, net.other, synapse=None)
        nengo.Connection(net.ens, net.out, synapse=None)
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
        nengo.Probe(net.other, synapse=None)
    with Simulator(net, minibatch_size=MB) as sim:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NoGradientWarning)
            sim.train(make_data(net), keras.optimizers.Adam(0.001), mse(net))


def test_encoders_of_neurons_only_ensembles_are_not_named(Simulator):
    """Input only at ``.neurons`` (as ``Layer(neuron_type)`` makes): the encoders
    cannot change anything, so their missing gradient is no warning."""
    with nengo.Network(seed=0) as net:
        net.inp = nengo.Node([0.0], label="inp")
        net.ens = nengo.Ensemble(20, 1, neuron_type=nengo.RectifiedLinear())
        net.out = nengo.Node(size_in=1, label="out")
        nengo.Connection(
            net.inp, net.ens.neurons, transform=np.ones((20, 1)), synapse=None
        )
        nengo.Connection(
            net.ens.neurons, net.out, transform=np.ones((1, 20)) / 20, synapse=None
        )
        net.p = nengo.Probe(net.out, synapse=None, label="p_out")
    with Simulator(net, minibatch_size=MB) as sim:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NoGradientWarning)
            sim.train(make_data(net), keras.optimizers.Adam(0.001), mse(net))


# -- 5. after a failure the parameters are finite and those the message names ----------


def test_overflowing_update_is_not_applied(Simulator):
    net = make_plain_net()
    with Simulator(net, minibatch_size=MB) as sim:
        start = all_params(sim, net)
        recorder = Recorder(sim, net)
        with pytest.raises(SimulationError) as info:
            sim.train(
                make_data(net),
                keras.optimizers.SGD(1e38),
                mse(net),
                n_epochs=2,
                callbacks=[recorder],
            )
        message = str(info.value)
        after = all_params(sim, net)
        assert_finite(after)
        assert_finite([v.numpy() for v in sim._trainer.variables()])
        # the minibatch whose update was not applied is the last one reported
        epoch, batch = max(recorder.values)
        assert f"in epoch {epoch}, minibatch {batch}" in message, message
        assert_same(after, recorder.values[epoch, batch])
        if len(recorder.values) > 1:
            epoch, batch = sorted(recorder.values)[-2]
            assert f"after epoch {epoch}, minibatch {batch}" in message, message
            assert_same(after, recorder.values[epoch, batch])
        else:
            assert "unchanged" in message, message
            assert_same(after, start)
        assert "non-finite" in message and "smaller learning rate" in message
        still_trains(sim, net)


def test_runtime_error_mid_chunk_restores_chunk_start(Simulator):
    """An op failing in a compiled chunk: the chunk's earlier steps are undone."""
    net = make_plain_net()
    counter = tf.Variable(0, dtype=tf.int32)

    def fails_at_step_3(outputs, targets):
        n = counter.assign_add(1)
        ok = tf.gather(tf.ones(3, outputs.dtype), tf.minimum(n, 3) - 1 + (n // 3) * 9)
        return tf.reduce_mean(tf.square(outputs - targets)) * ok

    with Simulator(net, minibatch_size=MB, jit_compile=False) as sim:
        start = all_params(sim, net)
        sim._trainer.chunk.size = 64
        with pytest.raises(SimulationError, match="unchanged") as info:
            sim.train(
                make_data(net),
                keras.optimizers.SGD(0.1),
                {net.p: fails_at_step_3},
                n_epochs=2,
            )
        assert "epoch 0" in str(info.value)
        assert isinstance(info.value.__cause__, tf.errors.OpError)
        assert_same(all_params(sim, net), start)


# -- 6. non-finite data is refused before training -------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_targets_refused(sim, net, value):
    data = make_data(net)
    data[net.p][37, 0, 0] = value
    before = all_params(sim, net)

    def custom_mse(outputs, targets):
        return tf.reduce_mean(tf.square(outputs - targets))

    with pytest.raises(ValidationError, match=r"p_out.*non-finite.*\(37, 0, 0\)"):
        sim.train(data, keras.optimizers.SGD(0.1), {net.p: custom_mse})
    with pytest.raises(ValidationError, match=r"p_out.*\(37, 0, 0\)"):
        sim.loss(data, {net.p: custom_mse})
    assert_same(all_params(sim, net), before)


def test_nan_targets_stay_dont_care_for_obj_mse(sim, net):
    data = make_data(net)
    data[net.p][37, 0, 0] = np.nan
    history = sim.train(data, keras.optimizers.Adam(0.01), mse(net))
    assert np.all(np.isfinite(history))
    data[net.p][37, 0, 0] = np.inf  # inf is not "don't care"
    with pytest.raises(ValidationError, match=r"p_out.*\(37, 0, 0\)"):
        sim.train(data, keras.optimizers.SGD(0.1), mse(net))


def test_non_finite_inputs_refused_with_index(sim, net):
    data = make_data(net)
    data[net.inp][5, 0, 0] = -np.inf
    with pytest.raises(ValidationError, match=r"inp.*non-finite.*-inf.*\(5, 0, 0\)"):
        sim.train(data, keras.optimizers.SGD(0.1), mse(net))


def test_fit_refuses_nan_targets(sim, net):
    data = make_data(net)
    y = data[net.p].copy()
    y[3, 0, 0] = np.nan
    sim.compile(keras.optimizers.SGD(0.1), loss={net.p: "mse"})
    before = all_params(sim, net)
    with pytest.raises(ValidationError, match=r"p_out.*\(3, 0, 0\)"):
        sim.fit(data[net.inp], y)
    assert_same(all_params(sim, net), before)


# -- 7. Keras-style API messages -------------------------------------------------------


def test_unknown_keras_loss_name(sim, net):
    with pytest.raises(ValidationError, match=r"p_out.*'msee'") as info:
        sim.compile(keras.optimizers.Adam(0.01), loss={net.p: "msee"})
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ValidationError, match=r"p_out.*'accuracyy'"):
        sim.compile(
            keras.optimizers.Adam(0.01),
            loss={net.p: "mse"},
            metrics={net.p: ["mae", "accuracyy"]},
        )


@pytest.mark.parametrize(
    "validation_data",
    [np.zeros((BATCH, 1, 1)), (np.zeros((BATCH, 1, 1)),), "x", [1, 2, 3]],
)
def test_fit_bad_validation_data(sim, net, validation_data):
    data = make_data(net)
    sim.compile(keras.optimizers.Adam(0.01), loss={net.p: "mse"})
    before = all_params(sim, net)
    with pytest.raises(
        ValidationError, match=r"validation_data must be a tuple \(x, y\)"
    ):
        sim.fit(data[net.inp], data[net.p], validation_data=validation_data)
    assert_same(all_params(sim, net), before)


def test_fit_good_validation_data_still_works(sim, net):
    data = make_data(net)
    sim.compile(keras.optimizers.Adam(0.01), loss={net.p: "mse"})
    history = sim.fit(
        data[net.inp],
        data[net.p],
        epochs=2,
        validation_data=(data[net.inp], data[net.p]),
    )
    assert len(history.history["val_loss"]) == 2
