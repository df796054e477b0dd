"""Keras callbacks through which the TrainingPanel follows a training run.

They run in the training thread: they only store numbers under a lock, which
the panel's updater thread reads (see `training_panel`).
"""

import threading
import time

import keras
import numpy as np

from nengodl_notebook.training_run import DIVERGENCE_FACTOR
from nengodl_notebook.widgets.neuron_probes import health_rows


class TrainingRecorder(keras.callbacks.Callback):
    """Keras callback of ``sim.train`` that records numbers for the UI (thread-safe).

    Parameters
    ----------
    stop : threading.Event
        Re-sends a Stop to the Simulator if it was pressed before training began.
    sim : Simulator
    step0 : int
        Minibatch steps of earlier runs (x offset of the loss curve).
    """

    #: Its batch-end hook only stores numbers: it may run after the compiled chunk
    #: of minibatches, so Stop takes effect at the end of the chunk (< 0.4 s).
    async_safe = True

    def __init__(self, stop, sim, step0=0):
        super().__init__()
        self.lock = threading.Lock()
        self.stop, self.sim = stop, sim
        self.step = self.step0 = step0
        self.epochs = self.batches = self.epoch = 0
        self.batch_losses, self.epoch_losses, self.test_losses = [], [], []
        self.stopped = False
        self.first = None  # first positive minibatch loss of the run
        self.diverged = None  # (step, loss) of a diverging or non-finite loss
        self.health = None  # (epoch, rows) from NeuronHealthCallback
        self.start = time.perf_counter()

    def on_train_begin(self, logs=None):
        with self.lock:
            self.epochs, self.batches = self.params["epochs"], self.params["steps"]
        if self.stop.is_set():
            self.sim.stop_training()

    def on_epoch_begin(self, epoch, logs=None):
        with self.lock:
            self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        # logs["loss"] is the epoch's running mean (as Keras): this minibatch's
        # loss is (batch + 1) * mean - batch * previous mean
        mean = logs["loss"]
        loss = mean if batch == 0 else (batch + 1) * mean - batch * self._mean
        self._mean = mean
        with self.lock:
            self.step += 1
            self.batch_losses.append((self.step, loss))
            self._check_divergence(loss)
        if self.stop.is_set():
            self.sim.stop_training()

    def _check_divergence(self, loss):
        """Note a loss as the core judges divergence (`training_run.TrainRun`)."""
        if self.diverged is not None:
            return
        if not np.isfinite(loss):
            self.diverged = (self.step, loss)
        elif self.first is None:
            self.first = loss if loss > 0 else None
        elif loss > DIVERGENCE_FACTOR * self.first:
            self.diverged = (self.step, loss)

    def on_epoch_end(self, epoch, logs=None):
        with self.lock:
            self.epoch_losses.append((self.step, logs["loss"]))

    def on_train_end(self, logs=None):
        with self.lock:
            self.stopped = bool(self.model.stop_training)

    def take(self):
        """New points since the last call, and the progress numbers."""
        with self.lock:
            new = self.batch_losses, self.epoch_losses, self.test_losses
            self.batch_losses, self.epoch_losses, self.test_losses = [], [], []
            done = self.step - self.step0
            return new, (self.epoch, self.epochs, done, self.batches)


class TestLossCallback(keras.callbacks.Callback):
    """Computes the loss on test data before training and after each epoch.

    ``training``: with the rate neurons that training uses (else spiking).
    """

    def __init__(self, sim, data, objective, recorder, training=False):
        super().__init__()
        self.sim, self.data, self.objective = sim, data, objective
        self.recorder, self.training = recorder, training

    def _record(self):
        loss = self.sim.loss(
            self.data,
            objective=self.objective,
            training=self.training,
            progress_bar=False,
        )
        with self.recorder.lock:
            self.recorder.test_losses.append((self.recorder.step, loss))

    def on_train_begin(self, logs=None):
        self._record()

    def on_epoch_end(self, epoch, logs=None):
        self._record()


class NeuronHealthCallback(keras.callbacks.Callback):
    """Counts dead and saturated neurons before training and after each epoch.

    Runs the network (spiking, as a run does, with the parameters trained so
    far) on a few held inputs and stores `neuron_probes.health_rows` of the
    recorded ensembles in ``recorder.health`` as ``(epoch, rows)``.

    Parameters
    ----------
    sim : Simulator
    records : list of neuron_probes.EnsembleRecord
    inputs : dict
        ``{input node: (minibatch_size, n_steps, size)}`` to run.
    recorder : TrainingRecorder
    label : callable
        Names an ensemble.
    """

    def __init__(self, sim, records, inputs, recorder, label):
        super().__init__()
        self.sim, self.records, self.inputs = sim, records, inputs
        self.recorder, self.label = recorder, label

    def _record(self, epoch):
        outputs = self.sim.predict(self.inputs, verbose=False)
        rows = health_rows(self.records, outputs, self.sim.dt, self.label)
        with self.recorder.lock:
            self.recorder.health = (epoch, rows)

    def on_train_begin(self, logs=None):
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)


def held_inputs(data, nodes, minibatch_size, n_steps):
    """The first minibatch of ``data``'s inputs, each item's first value held
    for ``n_steps`` (long enough to count spikes)."""
    return {
        node: np.repeat(np.asarray(data[node])[:minibatch_size, :1], n_steps, axis=1)
        for node in nodes
        if node in data
    }
