"""Keras callbacks in ``sim.train`` and ``sim.fit``, through one ``CallbackList``.

Callbacks are ``keras.callbacks.Callback`` objects and get Keras's calls:
``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``,
``on_epoch_end(epoch, logs)`` and ``on_train_end(logs)``. As in Keras,
``logs["loss"]`` is the mean loss of the epoch's minibatches so far (in batch
hooks) or of the whole epoch (``on_epoch_end``; ``fit`` adds ``val_*``), and
``callback.model`` is a `ModelProxy`: ``stop_training``, ``optimizer``,
``history``, ``get_weights`` and ``set_weights``.

Minibatches run in compiled chunks (`training_run.ChunkSize`). Batch-end hooks
are called once per minibatch, in order, after the chunk that ran it, like Keras
with ``steps_per_execution > 1``; ``on_train_batch_begin`` once per chunk, with
its first minibatch. A callback that overrides a batch hook gets chunks of one
minibatch (see `needs_single_minibatches`): its hooks then run right before and
after their minibatch, see the parameters after exactly that minibatch, and
``model.stop_training = True`` stops training right after it. A minibatch whose
step was not applied (a non-finite loss, gradient or update) is reported too,
with its loss; training then raises unless a callback (``TerminateOnNaN``) set
``model.stop_training``.
"""

import threading

import keras
import numpy as np
from nengo.exceptions import ValidationError

#: Hooks that must run right before their minibatch (e.g. a per-minibatch
#: learning rate schedule).
BATCH_BEGIN_HOOKS = ("on_train_batch_begin", "on_batch_begin")

#: Hooks that see a minibatch's result.
BATCH_END_HOOKS = ("on_train_batch_end", "on_batch_end")

#: Keras callbacks whose batch-end hook may run after the chunk: a progress
#: display, and a stop on a non-finite loss, which ends its chunk anyway.
AFTER_CHUNK = (keras.callbacks.ProgbarLogger, keras.callbacks.TerminateOnNaN)


def check_callbacks(callbacks):
    """A list of ``keras.callbacks.Callback`` from ``callbacks`` (None: none)."""
    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise ValidationError(
            f"callbacks must be a list of keras.callbacks.Callback (got {callbacks!r})",
            attr="callbacks",
        )
    for i, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValidationError(
                f"callbacks[{i}] ({callback!r}) is not a keras.callbacks.Callback: "
                "subclass keras.callbacks.Callback and override Keras's hooks, e.g. "
                "on_epoch_end(self, epoch, logs) (hooks taking one dict, such as "
                "on_batch_end(info), are no longer called)",
                attr="callbacks",
            )
    return list(callbacks)


def overrides(callback, name):
    """Whether ``callback.<name>`` is not `keras.callbacks.Callback`'s no-op
    (a method of a subclass, or a function set on the object, as in
    ``LambdaCallback``), like Keras's own check."""
    method = getattr(callback, name)
    return getattr(method, "__func__", method) is not getattr(
        keras.callbacks.Callback, name
    )


def needs_single_minibatches(callback):
    """Whether ``callback`` needs chunks of one minibatch.

    True when it overrides a batch-begin hook, or a batch-end hook without
    saying that it may run after the chunk: with Keras's ``async_safe = True``
    (its batch-end hooks need not run right after their batch), or being one
    of `AFTER_CHUNK`.
    """
    if any(overrides(callback, name) for name in BATCH_BEGIN_HOOKS):
        return True
    if getattr(callback, "async_safe", False) or type(callback) in AFTER_CHUNK:
        return False
    return any(overrides(callback, name) for name in BATCH_END_HOOKS)


class ModelProxy:
    """What Keras callbacks use of a model, for a Simulator's training.

    Parameters
    ----------
    parts : training_parts.TrainingParts
    stop_event : threading.Event
        The trainer's stop flag (``sim.stop_training()`` sets it too).
    optimizer : keras.optimizers.Optimizer
        The optimizer of the ``train`` / ``fit`` call.

    Attributes
    ----------
    optimizer : keras.optimizers.Optimizer
    history : keras.callbacks.History or None
        Set by ``CallbackList`` and ``History``.
    """

    def __init__(self, parts, stop_event: threading.Event, optimizer):
        self.parts = parts
        self.stop_event = stop_event
        self.optimizer = optimizer
        self.history = None

    @property
    def stop_training(self):
        """Set True to stop training after the minibatch (or chunk) in progress."""
        return self.stop_event.is_set()

    @stop_training.setter
    def stop_training(self, value):
        if value:
            self.stop_event.set()
        else:
            self.stop_event.clear()

    def get_weights(self):
        """``[params, state0, *TensorNode weights]`` as NumPy copies."""
        node_weights = [var.numpy() for _, _, var in self.parts.tensor_vars.weights]
        return list(self.parts.store.values()) + node_weights

    def set_weights(self, weights):
        """Set the values of `get_weights`."""
        params, state, *node_weights = weights
        self.parts.store.assign(np.asarray(params), np.asarray(state))
        for (_, _, var), value in zip(self.parts.tensor_vars.weights, node_weights):
            var.assign(value)
        self.parts.params_changed()


class TrainingCallbacks:
    """The callbacks of one ``train`` / ``fit`` call, with Keras's logs.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback
        The user's callbacks (see `check_callbacks`).
    model : ModelProxy
    epochs, steps : int
        Epochs of the call and minibatches per epoch (``callback.params``).
    progress : keras.callbacks.Callback
        The progress bar, called after the user's callbacks.

    Attributes
    ----------
    list : keras.callbacks.CallbackList
        The callbacks, a ``History`` (unless given) and the progress bar.
    single : bool
        Whether minibatches must run one per chunk (`needs_single_minibatches`).
    """

    def __init__(self, callbacks, model, epochs, steps, progress):
        self.list = keras.callbacks.CallbackList(
            [*callbacks, progress],
            add_history=True,
            model=model,
            epochs=epochs,
            steps=steps,
            verbose=0,
        )
        self.single = any(needs_single_minibatches(cb) for cb in self.list.callbacks)
        # called directly: CallbackList converts the logs to Python numbers on
        # every call (~30 us), and ours are Python floats already
        self.progress = progress  # advanced once per chunk (see `minibatches_end`)
        self.batch_end = [
            cb
            for cb in self.list.callbacks
            if cb is not progress
            and any(overrides(cb, name) for name in BATCH_END_HOOKS)
        ]
        self.total, self.count = 0.0, 0
        self.last_logs = None
        self.log_names = None  # names of the per-term values (see `epoch_end`)
        self.term_sums = None

    def train_begin(self):
        self.list.on_train_begin()

    def epoch_begin(self, epoch):
        self.total, self.count = 0.0, 0
        self.term_sums = None
        self.list.on_epoch_begin(epoch)

    def chunk_begin(self, batch):
        """Before the chunk whose first minibatch is ``batch``."""
        self.list.on_train_batch_begin(batch)

    def minibatches_end(self, start, losses, terms=None):
        """After a chunk: minibatches ``start, start + 1, ...`` had ``losses``
        (and per-term values ``terms``, one row per minibatch).

        Batch-end hooks run once per minibatch; the progress bar advances once.
        """
        if terms is not None and len(losses):
            rows = np.sum(terms[: len(losses)], axis=0)
            self.term_sums = rows if self.term_sums is None else self.term_sums + rows
        for batch, loss in enumerate(losses, start):
            self.total += loss
            self.count += 1
            logs = {"loss": self.total / self.count}
            for callback in self.batch_end:
                callback.on_train_batch_end(batch, logs)
        if losses:
            self.progress.advance(len(losses), self.total / self.count)

    def epoch_end(self, epoch, extra_logs=None):
        """Call ``on_epoch_end``; the epoch's mean loss.

        ``extra_logs()`` gives more logs (``fit``'s validation losses).
        """
        loss = self.total / self.count if self.count else float("nan")
        logs = {"loss": loss}
        if self.log_names and self.term_sums is not None:
            for name, value in zip(self.log_names, self.term_sums / self.count):
                logs[name] = float(value)
        if extra_logs is not None:
            logs.update(extra_logs())
        self.list.on_epoch_end(epoch, logs)
        self.last_logs = logs
        return loss

    def train_end(self):
        """``on_train_end`` with the last epoch's logs, as Keras."""
        self.list.on_train_end(self.last_logs)
