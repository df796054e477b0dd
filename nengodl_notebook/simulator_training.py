"""The Simulator's training methods: the tutorial's ``train``/``loss`` and the
Keras-style ``compile``/``fit``/``evaluate``/``predict``.

A mixin of `nengodl_notebook.Simulator`, kept apart because it only checks the
arguments and hands them to the Trainer (``self._trainer``, `training.Trainer`)
and to `keras_api`; the Simulator builds and runs the model.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import nengo
import numpy as np

from nengodl_notebook import keras_api, sim_settings
from nengodl_notebook.single_user import exclusive
from nengodl_notebook.training import check_optimizer
from nengodl_notebook.training_callbacks import check_callbacks
from nengodl_notebook.training_data import TrainingData, check_epochs


class TrainingMethods:
    """``train``, ``loss``, ``stop_training``, ``compile``, ``fit``, ``evaluate``
    and ``predict`` of `nengodl_notebook.Simulator`."""

    # set by the Simulator (see `nengodl_notebook.simulator`)
    model: Any
    progress_bar: Any
    _trainer: Any
    _store: Any
    _tensor_vars: Any
    _settings: Any
    _check_open: Callable[[str], None]

    # -- training (the tutorial's API) ----------------------------------------------

    def _training_data(self, data, objective):
        sizes = {
            p: sig.size for p, sig in zip(self._recorder.probes, self._recorder.signals)
        }
        return TrainingData(
            data, objective, self._node_ops, sizes, self.minibatch_size or 1
        )

    @exclusive("train")
    def train(
        self,
        data: Mapping,
        optimizer: keras.optimizers.Optimizer,
        objective: Mapping[nengo.Probe, Callable],
        n_epochs: int = 1,
        shuffle: bool = True,
        callbacks: Sequence = (),
        progress_bar: bool | None = None,
        restore_best_on_divergence: bool = False,
    ) -> list[float]:
        """Optimize trainable parameters by minibatch gradient descent.

        Parameters
        ----------
        data : dict
            Input Nodes and target Probes -> arrays ``(batch_size, n_steps, size)``
            (``batch_size`` a multiple of ``minibatch_size``); ``None`` for a probe
            whose objective takes no target.
        optimizer : keras.optimizers.Optimizer
        objective : dict
            Probe -> ``fn(outputs, targets)`` (e.g. ``nengodl_notebook.obj.mse``).
        n_epochs : int
        shuffle : bool
        callbacks : sequence of keras.callbacks.Callback
            Called with Keras's arguments (``on_epoch_end(epoch, logs)``...;
            ``callback.model`` offers ``stop_training``, ``optimizer``,
            ``history``, ``get_weights``, ``set_weights``). Minibatches run in
            compiled chunks; a callback overriding a batch hook gets one
            minibatch per chunk unless it sets ``async_safe = True`` (see
            `training_callbacks`).
        progress_bar : bool, optional
        restore_best_on_divergence : bool
            When the loss grows by orders of magnitude (a
            ``TrainingDivergedWarning``), stop and restore the parameters with the
            lowest loss seen (also after a non-finite step).

        Returns
        -------
        list of float
            Mean training loss of each epoch.
        """
        self._check_open("train")
        sim_settings.check_training(self._settings, "train")
        optimizer = check_optimizer(optimizer)
        n_epochs = check_epochs(n_epochs)
        callbacks = check_callbacks(callbacks)
        checked = self._training_data(data, objective)
        if self._store.n_trainable == 0 and not self._tensor_vars.trainable:
            raise nengo.exceptions.ValidationError(
                "Nothing in this network is trainable: set "
                "net.config[...].trainable = True (see configure_settings)",
                attr="trainable",
            )
        show = self.progress_bar if progress_bar is None else progress_bar
        losses, _ = self._trainer.train(
            checked,
            optimizer,
            n_epochs,
            shuffle,
            callbacks,
            show,
            restore_best_on_divergence=restore_best_on_divergence,
        )
        return losses

    def stop_training(self) -> None:
        """Ask a running `train`/`fit` to stop after the minibatches in progress.

        Minibatches run in compiled chunks of at most ~0.4 s; callbacks that
        override a batch hook (and are not ``async_safe``) get chunks of one.
        """
        self._trainer.stop_event.set()

    @exclusive("compute a loss")
    def loss(
        self,
        data: Mapping,
        objective: Mapping[nengo.Probe, Callable],
        training: bool = False,
        progress_bar: bool | None = None,
    ) -> float:
        """Mean of ``objective`` over ``data`` (spiking model unless ``training``)."""
        self._check_open("compute a loss")
        if training:
            sim_settings.check_training(self._settings, "compute a training loss")
        checked = self._training_data(data, objective)
        show = self.progress_bar if progress_bar is None else progress_bar
        return self._trainer.evaluate(checked, training, show)[0]

    # -- Keras-style API --------------------------------------------------------------

    @exclusive("compile")
    def compile(
        self, optimizer: keras.optimizers.Optimizer, loss=None, metrics=None
    ) -> None:
        """Set optimizer, losses and metrics for `fit` / `evaluate` (Keras style)."""
        self.keras = keras_api.Compiled(
            self.model.probes, check_optimizer(optimizer), loss, metrics
        )

    @exclusive("fit")
    def fit(
        self,
        x=None,
        y=None,
        epochs=1,
        callbacks=None,
        validation_data=None,
        shuffle=True,
        verbose=None,
        restore_best_on_divergence=False,
    ):
        """Train on inputs ``x`` and targets ``y`` (see `keras_api.fit`;
        ``restore_best_on_divergence`` as in `train`)."""
        self._check_open("fit")
        sim_settings.check_training(self._settings, "fit")
        return keras_api.fit(
            self._trainer,
            self.keras,
            x,
            y,
            epochs,
            callbacks,
            validation_data,
            shuffle,
            self.progress_bar if verbose is None else bool(verbose),
            restore_best_on_divergence=restore_best_on_divergence,
        )

    @exclusive("evaluate")
    def evaluate(self, x=None, y=None, verbose=None) -> dict:
        """Losses and metrics on ``x``/``y`` in the spiking model (dict)."""
        self._check_open("evaluate")
        show = self.progress_bar if verbose is None else bool(verbose)
        return keras_api.evaluate(self._trainer, self.keras, x, y, show)

    @exclusive("predict")
    def predict(
        self, x=None, n_steps: int | None = None, verbose=None
    ) -> dict[nengo.Probe, np.ndarray]:
        """Probe outputs for inputs ``x`` (dict ``{probe: array}``)."""
        self._check_open("predict")
        show = self.progress_bar if verbose is None else bool(verbose)
        return keras_api.predict(self._trainer, x, n_steps, show)
