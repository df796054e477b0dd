"""The training progress bar as a Keras callback (over `progress.Phase`).

A bar with ETA while training (the running loss after it), then one summary
line such as ``Training finished in 0:00:01 (loss: 0.0002)``.
"""

import keras

from nengodl_notebook import progress


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

    def on_train_begin(self, logs=None):
        total = self.params["epochs"] * self.params["steps"]
        self.phase = progress.Phase("Training", "Training", total, self.enabled)
        self.phase.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        self.phase.update(1)
        self.phase.set_postfix(loss=logs["loss"])

    def on_epoch_end(self, epoch, logs=None):
        self.phase.extra = f" (loss: {logs['loss']:.4f})"

    def on_train_end(self, logs=None):
        self.close()

    def close(self, error=None):
        """Remove the bar and print the summary ("interrupted" after ``error``)."""
        phase, self.phase = self.phase, None
        if phase is not None:
            phase.__exit__(None if error is None else type(error), error, None)
