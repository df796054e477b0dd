"""The training progress bar as a Keras callback (over `progress.Phase`).

A bar with ETA while training (the running loss after it), then one summary
line such as ``Training finished in 0:00:01 (loss: 0.0002)``.
"""

import time

import keras

from nengodl_notebook import progress

#: The running loss after the bar is updated at most this often (seconds).
POSTFIX_SECONDS = 0.1


class TrainingProgress(keras.callbacks.Callback):
    """Shows the progress of ``sim.train`` / ``sim.fit``.

    Parameters
    ----------
    enabled : bool or nengo.utils.progress.ProgressBar
        As `progress.Phase`'s ``enabled`` (False: silent).
    """

    #: Its batch-end hook only draws: it may run after the chunk of minibatches.
    async_safe = True

    def __init__(self, enabled):
        super().__init__()
        self.enabled = enabled
        self.phase = None
        self._shown = 0.0  # when the running loss was last shown

    def on_train_begin(self, logs=None):
        total = self.params["epochs"] * self.params["steps"]
        self.phase = progress.Phase("Training", "Training", total, self.enabled)
        self.phase.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        self.advance(1, logs["loss"])

    def advance(self, n, loss):
        """``n`` more minibatches done; ``loss`` is the epoch's running loss."""
        self.phase.update(n)
        now = time.monotonic()
        if now - self._shown > POSTFIX_SECONDS:  # formatting it costs ~3 us a call
            self.phase.set_postfix(loss=loss)
            self._shown = now

    def on_epoch_end(self, epoch, logs=None):
        self.phase.extra = f" (loss: {logs['loss']:.4f})"

    def on_train_end(self, logs=None):
        self.close()

    def close(self, error=None):
        """Remove the bar and print the summary ("interrupted" after ``error``)."""
        phase, self.phase = self.phase, None
        if phase is not None:
            phase.__exit__(None if error is None else type(error), error, None)
