"""Keras callbacks in ``sim.train`` and ``sim.fit`` (see training_callbacks.py).

Every test runs through both APIs. One small Simulator (20 neurons, ``n_steps=1``,
4 minibatches per epoch) serves the whole file, so that its compiled training
programs are reused; no test depends on the parameters it starts from.
"""

import csv

import keras
import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

import nengodl_notebook as nengo_dl

BATCH, MB = 64, 16
N_BATCHES = BATCH // MB
APIS = ("train", "fit")


@pytest.fixture(scope="module")
def net():
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
        net.inp = nengo.Node([0.0], label="inp")
        ens = nengo.Ensemble(20, 1, neuron_type=nengo.LIFRate(), label="ens")
        out = nengo.Node(size_in=1, label="out")
        nengo.Connection(net.inp, ens, synapse=None)
        nengo.Connection(ens, out, synapse=None)
        net.p = nengo.Probe(out, synapse=None, label="p_out")
    return net


@pytest.fixture(scope="module")
def sim(net):
    with nengo_dl.Simulator(net, minibatch_size=MB, progress_bar=False) as sim:
        yield sim


def mse(outputs, targets):
    return tf.reduce_mean(tf.square(outputs - targets))


def train(api, sim, net, callbacks, epochs=2, objective=mse, optimizer=None):
    """Train with ``sim.train`` or ``sim.fit``; the mean loss of each epoch.

    ``objective(outputs, targets)`` is passed to ``fit`` as a Keras loss; ``fit``
    gets validation data, unless the objective is not the mse.
    """
    optimizer = optimizer or keras.optimizers.Adam(0.01)
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(BATCH, 1, 1))
    if api == "train":
        return sim.train(
            {net.inp: x, net.p: 0.5 * x},
            optimizer,
            {net.p: objective},
            n_epochs=epochs,
            callbacks=callbacks,
        )
    loss = "mse" if objective is mse else lambda y, y_pred: objective(y_pred, y)
    sim.compile(optimizer, loss={net.p: loss})
    history = sim.fit(
        {net.inp: x},
        {net.p: 0.5 * x},
        epochs=epochs,
        callbacks=callbacks,
        validation_data=(
            ({net.inp: x[:MB]}, {net.p: 0.5 * x[:MB]}) if objective is mse else None
        ),
    )
    return history.history["loss"]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


class Recorder(keras.callbacks.Callback):
    """Every hook's arguments, in order, and the weights at each epoch's end."""

    def __init__(self):
        super().__init__()
        self.events, self.weights = [], []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", dict(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("batch_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, dict(logs)))
        self.weights.append(self.model.get_weights())

    def on_train_end(self, logs=None):
        self.events.append(("train_end", dict(logs)))


@pytest.mark.parametrize("api", APIS)
def test_plain_callback_gets_kerass_arguments(api, sim, net):
    recorder = Recorder()
    optimizer = keras.optimizers.Adam(0.01)
    losses = train(api, sim, net, [recorder], optimizer=optimizer)
    assert recorder.params == {"epochs": 2, "steps": N_BATCHES, "verbose": 0}
    assert recorder.model.optimizer is optimizer
    expected = ["train_begin"]
    for epoch in range(2):
        expected.append(("epoch_begin", epoch))
        for batch in range(N_BATCHES):  # a batch hook: one minibatch per chunk
            expected += [("batch_begin", batch), ("batch_end", batch)]
        expected.append(("epoch_end", epoch))
    expected.append("train_end")
    assert [
        e[0] if e[0] in ("train_begin", "train_end") else e[:2] for e in recorder.events
    ] == expected
    assert recorder.events[0] == ("train_begin", {})
    epochs = [e for e in recorder.events if e[0] == "epoch_end"]
    batches = [e for e in recorder.events if e[0] == "batch_end"]
    assert all(type(e[1]) is int for e in epochs + batches)
    assert all(type(e[2]["loss"]) is float for e in epochs + batches)
    fit_keys = {"p_out_loss", "val_loss", "val_p_out_loss"}  # as Keras: per probe
    keys = {"loss"} | (fit_keys if api == "fit" else set())
    assert all(set(e[2]) == keys for e in epochs)
    for epoch, (_, _, logs) in enumerate(epochs):
        # as in Keras: a batch's logs hold the epoch's running mean loss
        last = batches[(epoch + 1) * N_BATCHES - 1][2]["loss"]
        assert logs["loss"] == pytest.approx(last) == pytest.approx(losses[epoch])
    assert recorder.events[-1][1] == epochs[-1][2]  # on_train_end: last epoch's
    assert int(optimizer.iterations) == 2 * N_BATCHES
    assert isinstance(recorder.model.history, keras.callbacks.History)


@pytest.mark.parametrize("api", APIS)
def test_history(api, sim, net):
    history = keras.callbacks.History()
    losses = train(api, sim, net, [history], epochs=3)
    assert history.epoch == [0, 1, 2]
    assert history.history["loss"] == losses
    assert history.model.history is history  # the given History is the model's


@pytest.mark.parametrize("api", APIS)
def test_early_stopping_restores_best_weights(api, sim, net):
    recorder = Recorder()
    # with a huge min_delta only the first epoch is an improvement
    stopper = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, restore_best_weights=True
    )
    losses = train(api, sim, net, [recorder, stopper], epochs=10)
    assert len(losses) == 2 and stopper.stopped_epoch == 1
    assert not same(recorder.weights[1], recorder.weights[0])
    assert same(recorder.model.get_weights(), recorder.weights[0])
    # sim.data shows the restored parameters
    ens = net.all_ensembles[0]
    enc = next(s for o, n, s in sim._store.signals if o is ens and n == "encoders")
    assert np.array_equal(
        sim.data[ens].scaled_encoders,
        sim._store.signal_value(enc, tuple(recorder.weights[0][:2])),
    )


@pytest.mark.parametrize("api", APIS)
def test_csv_logger(api, sim, net, tmp_path):
    path = tmp_path / "log.csv"
    losses = train(api, sim, net, [keras.callbacks.CSVLogger(str(path))], epochs=3)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["loss"]) for r in rows] == pytest.approx(losses)
    if api == "fit":
        assert all(np.isfinite(float(r["val_loss"])) for r in rows)


def nan_after(n):
    """An mse objective that is NaN from its ``n + 1``-th minibatch on."""
    counter = tf.Variable(0, dtype=tf.int32)

    def objective(outputs, targets):
        k = counter.assign_add(1)
        sign = tf.cast(k <= n, outputs.dtype) * 2 - 1
        return mse(outputs, targets) * tf.sqrt(sign)  # sqrt(-1) is NaN

    return objective


@pytest.mark.parametrize("api", APIS)
def test_terminate_on_nan(api, sim, net, capsys):
    """TerminateOnNaN stops at the NaN minibatch (5: epoch 1, minibatch 1); that
    step is not applied, so the parameters are those after minibatch 4."""
    recorder, optimizer = Recorder(), keras.optimizers.Adam(0.01)
    sim._trainer.chunk.size = 64  # chunks of whole epochs: TerminateOnNaN allows it
    losses = train(
        api,
        sim,
        net,
        [recorder, keras.callbacks.TerminateOnNaN()],
        epochs=4,
        objective=nan_after(N_BATCHES + 1),
        optimizer=optimizer,
    )
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert len(losses) == 2 and np.isfinite(losses[0]) and np.isnan(losses[1])
    ends = [e[1] for e in recorder.events if e[0] == "batch_end"]
    assert ends == [0, 1, 2, 3, 0, 1]
    assert int(optimizer.iterations) == N_BATCHES + 1  # the NaN step not applied
    assert all(np.all(np.isfinite(w)) for w in recorder.model.get_weights())
    assert not same(recorder.model.get_weights(), recorder.weights[0])
    # without TerminateOnNaN, our own guard raises at that minibatch
    with pytest.raises(SimulationError, match="epoch 1, minibatch 1"):
        train(api, sim, net, [], epochs=4, objective=nan_after(N_BATCHES + 1))


@pytest.mark.parametrize("api", APIS)
def test_learning_rate_scheduler_reaches_the_compiled_step(api, sim, net):
    recorder, optimizer = Recorder(), keras.optimizers.Adam(0.01)
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 0.01 if epoch == 0 else 0.0
    )
    history = keras.callbacks.History()
    train(api, sim, net, [schedule, recorder, history], epochs=3, optimizer=optimizer)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.0, 0.0])
    assert same(recorder.weights[1], recorder.weights[0])  # lr 0: no change
    assert same(recorder.weights[2], recorder.weights[0])
    assert float(optimizer.learning_rate) == 0.0
    assert int(optimizer.iterations) == 3 * N_BATCHES


class StopAt(keras.callbacks.Callback):
    """Sets ``model.stop_training`` at minibatch 1 and counts the steps."""

    def __init__(self):
        super().__init__()
        self.iterations, self.batches = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)
        self.iterations.append(int(self.model.optimizer.iterations))
        if batch == 1:
            self.model.stop_training = True


class StopAtAfterChunk(StopAt):
    async_safe = True  # its batch hook may run after the chunk


@pytest.mark.parametrize("api", APIS)
def test_stop_from_a_batch_hook(api, sim, net):
    """A batch hook gets chunks of one minibatch, so its stop takes effect right
    after its minibatch; ``async_safe`` ones let chunks run, and stop after the
    chunk (every minibatch of it still reported)."""
    for cls, steps in ((StopAt, 2), (StopAtAfterChunk, N_BATCHES)):
        sim._trainer.chunk.size = 64  # the whole epoch in one chunk, if allowed
        stopper, optimizer = cls(), keras.optimizers.Adam(0.01)
        losses = train(api, sim, net, [stopper], epochs=3, optimizer=optimizer)
        assert len(losses) == 1
        assert int(optimizer.iterations) == steps
        assert stopper.batches == list(range(steps))
        assert stopper.iterations == ([1, 2] if steps == 2 else [steps] * steps)


def test_which_callbacks_need_single_minibatches():
    from nengodl_notebook.training_callbacks import needs_single_minibatches

    class EpochOnly(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class BatchBegin(keras.callbacks.Callback):
        async_safe = True  # not enough: a begin hook must run before its step

        def on_train_batch_begin(self, batch, logs=None):
            pass

    lambda_ = keras.callbacks.LambdaCallback
    assert not needs_single_minibatches(EpochOnly())
    assert not needs_single_minibatches(keras.callbacks.History())
    assert not needs_single_minibatches(keras.callbacks.TerminateOnNaN())
    assert not needs_single_minibatches(lambda_(on_epoch_end=print))
    assert needs_single_minibatches(lambda_(on_train_batch_end=print))
    assert needs_single_minibatches(lambda_(on_batch_end=print))
    assert needs_single_minibatches(StopAt())
    assert not needs_single_minibatches(StopAtAfterChunk())
    assert needs_single_minibatches(BatchBegin())


@pytest.mark.parametrize("api", APIS)
def test_not_a_keras_callback(api, sim, net):
    class Old:  # the dict-based protocol of earlier versions
        def on_epoch_end(self, info):
            pass

    with pytest.raises(ValidationError, match=r"callbacks\[1\] \(.*Old.*keras"):
        train(api, sim, net, [keras.callbacks.History(), Old()])


@pytest.mark.parametrize("api", APIS)
def test_sim_data_shows_each_epochs_parameters(api, sim, net):
    """A callback reading ``sim.data`` at an epoch's end sees that epoch's values
    (not those from before the training call)."""
    ens = next(e for e in net.all_ensembles if e.label == "ens")
    seen = []

    class ReadBias(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(np.array(sim.data[ens].bias))

    sim.reset()
    start = np.array(sim.data[ens].bias)
    train(api, sim, net, [ReadBias()], epochs=2)
    assert len(seen) == 2
    assert not np.allclose(seen[0], start)
    assert not np.allclose(seen[1], seen[0])
    np.testing.assert_array_equal(seen[1], sim.data[ens].bias)
