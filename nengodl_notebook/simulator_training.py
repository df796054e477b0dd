"""The Simulator's training methods: the tutorial's ``train``/``loss`` and the
Keras-style ``compile``/``fit``/``evaluate``/``predict``, and what inspects
the training program: ``check_gradients`` and ``keras_model``.

A mixin of `nengodl_notebook.Simulator`, kept apart because it only checks the
arguments and hands them to the Trainer (``self._trainer``, `training.Trainer`)
and to `keras_api`; the Simulator builds and runs the model.
"""

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import nengo
import numpy as np
from numpy.typing import ArrayLike

from nengodl_notebook import gradient_check, keras_api, sim_settings
from nengodl_notebook.config import get_setting
from nengodl_notebook.keras_model import make_keras_model
from nengodl_notebook.keras_stateful import predict_from_current
from nengodl_notebook.single_user import exclusive
from nengodl_notebook.training import check_optimizer
from nengodl_notebook.training_callbacks import check_callbacks
from nengodl_notebook.training_data import TrainingData, check_epochs


class TrainingMethods:
    """``train``, ``loss``, ``stop_training``, ``compile``, ``fit``, ``evaluate``,
    ``predict``, ``check_gradients`` and ``keras_model`` of
    `nengodl_notebook.Simulator`."""

    # set by the Simulator (see `nengodl_notebook.simulator`)
    model: Any
    progress_bar: Any
    _trainer: Any
    _program: Any
    _store: Any
    _tensor_vars: Any
    _settings: Any
    _check_open: Callable[[str], None]
    _network: Any
    _n_steps: int
    minibatch_size: Any

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
        self,
        optimizer: keras.optimizers.Optimizer | str | None = None,
        loss=None,
        metrics=None,
        loss_weights=None,
    ) -> None:
        """Set optimizer, losses and metrics for `fit` / `evaluate` (Keras style).

        Parameters
        ----------
        optimizer : keras.optimizers.Optimizer, str or None
            None: `evaluate` and `predict` work, `fit` raises.
        loss, metrics
            A Keras loss/metric (name such as ``"mse"``, object or function
            ``fn(y_true, y_pred)``) for every probe, a list in the order of
            ``sim.model.probes``, or a dict keyed by Probe or `get_name`;
            ``metrics`` may give a list per probe. `evaluate` reports
            ``"loss"``, ``"<probe name>_loss"`` and ``"<probe name>_<metric>"``.
        loss_weights : list or dict
            Factors of the probes' losses in the total (default 1).
        """
        if isinstance(optimizer, str):
            optimizer = keras.optimizers.get(optimizer)
        self.keras = keras_api.Compiled(
            self.model.probes,
            self._trainer.names,
            None if optimizer is None else check_optimizer(optimizer),
            loss,
            metrics,
            loss_weights,
        )

    def get_name(self, obj: nengo.Node | nengo.Probe) -> str:
        """The name of an input Node or Probe for ``x``/``y``/``compile`` dicts.

        The label (other characters than letters, digits and ``_.-/`` as
        ``_``), else ``"node"``/``"probe"``; repeated names get ``_1``, ``_2``...
        (input Nodes first, then Probes), as NengoDL.
        """
        names = self._trainer.names
        if obj not in names:
            raise nengo.exceptions.ValidationError(
                f"{obj} is not an input Node (a Node with size_in=0) or a Probe of "
                "this simulator's network",
                attr="obj",
            )
        return names[obj]

    def _io(self):
        return self._trainer.input_nodes, list(self.model.probes), self._trainer.names

    def _stateful(self, stateful):
        if stateful and not get_setting(self._network, "stateful"):
            warnings.warn(
                "Ignoring stateful=True: the network was configured with "
                "configure_settings(stateful=False)",
                stacklevel=3,
            )
            return False
        return bool(stateful)

    @exclusive("fit")
    def fit(
        self,
        x=None,
        y=None,
        n_steps=None,
        stateful=False,
        epochs=1,
        callbacks=None,
        validation_data=None,
        shuffle=True,
        verbose=None,
        restore_best_on_divergence=False,
    ):
        """Train on inputs ``x`` and targets ``y`` (see `keras_api.fit`;
        ``restore_best_on_divergence`` as in `train`).

        ``x``/``y``: dicts keyed by Node/Probe or `get_name`, lists in their
        order, or one array for the only input / probe. Each minibatch starts
        from the initial state (``stateful=True`` is not supported for fit).
        """
        self._check_open("fit")
        sim_settings.check_training(self._settings, "fit")
        if self._stateful(stateful):
            raise nengo.exceptions.ValidationError(
                "fit(stateful=True) is not supported: every minibatch trains from "
                "the initial state (use predict/evaluate with stateful=True to "
                "move the simulation on)",
                attr="stateful",
            )
        validation = None
        if validation_data is not None:
            val_x, val_y = keras_api.check_validation_data(validation_data)
            validation = keras_api.to_data(self._io(), val_x, val_y)
        return keras_api.fit(
            self._trainer,
            self.keras,
            keras_api.to_data(self._io(), x, y),
            epochs,
            callbacks,
            validation,
            shuffle,
            self.progress_bar if verbose is None else bool(verbose),
            restore_best_on_divergence=restore_best_on_divergence,
            n_steps=n_steps,
        )

    @exclusive("evaluate")
    def evaluate(self, x=None, y=None, n_steps=None, stateful=False, verbose=None):
        """Losses and metrics on ``x``/``y`` in the spiking model (dict; see
        `compile` for its keys and `predict` for ``stateful``)."""
        self._check_open("evaluate")
        show = self.progress_bar if verbose is None else bool(verbose)
        data = keras_api.to_data(self._io(), x, y)
        keep = self._stateful(stateful)
        if not keep and self._n_steps == 0:  # from the initial state: compiled
            return keras_api.evaluate(self._trainer, self.keras, data, show, n_steps)
        compiled = keras_api._require_compiled(self.keras)
        checked = keras_api.checked_data(
            self._trainer.parts, data, compiled.loss, n_steps
        )
        outputs = predict_from_current(self, checked, compiled.probes(), keep)
        return keras_api.evaluate_data(
            self._trainer, compiled, checked, show, outputs=outputs
        )

    @exclusive("predict")
    def predict(
        self, x=None, n_steps: int | None = None, stateful=False, verbose=None
    ) -> dict[nengo.Probe, np.ndarray]:
        """Probe outputs for inputs ``x`` (dict ``{probe: array}``).

        ``n_steps`` is needed without ``x``. The run starts from the current
        state and time (see `keras_stateful`); with ``stateful=True`` the
        state at its end is kept (time advances by ``n_steps`` per
        minibatch). ``sim.data`` is not recorded. A batch size that is not a
        multiple of ``minibatch_size`` is truncated with a warning.
        """
        self._check_open("predict")
        show = self.progress_bar if verbose is None else bool(verbose)
        data = keras_api.to_data(self._io(), x, None)
        keep = self._stateful(stateful)
        if not keep and self._n_steps == 0:  # from the initial state: compiled
            return keras_api.predict(self._trainer, data, n_steps, show)
        checked = keras_api.checked_data(self._trainer.parts, data, None, n_steps)
        return predict_from_current(self, checked, list(self.model.probes), keep)

    def predict_on_batch(
        self, x=None, n_steps: int | None = None, stateful=False
    ) -> dict[nengo.Probe, np.ndarray]:
        """`predict` for exactly one minibatch (``minibatch_size`` items)."""
        data = keras_api.to_data(self._io(), x, None)
        batch = self.minibatch_size or 1
        for obj, value in data.items():
            size = np.shape(value)[0] if np.ndim(value) else None
            if size != batch:
                raise nengo.exceptions.ValidationError(
                    f"predict_on_batch takes one minibatch: data for {obj} has batch "
                    f"size {size}, the Simulator's minibatch_size is {batch}",
                    attr="x",
                )
        return self.predict(data or None, n_steps, stateful, verbose=False)

    # -- inspection: gradients and a Keras model -----------------------------------

    @exclusive("check gradients")
    def check_gradients(
        self,
        inputs: Sequence[ArrayLike] | None = None,
        outputs: Sequence[nengo.Probe] | None = None,
        atol: float = 1e-5,
        rtol: float = 1e-3,
    ) -> dict:
        """Check analytic gradients against numerical ones (finite differences).

        Gradients of probe outputs with respect to the input Nodes' values, in
        training mode (spiking neurons as rate twins). Float32 round-off makes
        finite differences coarse: use ``dtype="float64"`` for tight tolerances.
        Unlike NengoDL's, this does not reset the simulator (each check runs
        from the initial state, leaving state, time and probe data alone).

        Parameters
        ----------
        inputs : list of array_like, optional
            ``(minibatch_size, n_steps, size_out)`` values for each input Node,
            in the order of ``network.all_nodes``; None: zeros for 2 steps.
        outputs : list of nengo.Probe, optional
            Probes to check (None: all).
        atol, rtol : float
            Failure when ``|analytic - numeric| >= atol + rtol * |numeric|``.

        Returns
        -------
        dict
            ``{probe: {"analytic": [...], "numeric": [...]}}`` (one Jacobian
            per input Node).

        Raises
        ------
        nengo.exceptions.SimulationError
            The gradients differ or contain NaN, or the network is
            ``inference_only``.
        """
        self._check_open("check gradients")
        sim_settings.check_training(self._settings, "check gradients")
        return gradient_check.check_gradients(
            self._trainer.parts, inputs, outputs, atol, rtol
        )

    @property
    def keras_model(self) -> keras.Model:
        """(keras.Model) The simulation as a Keras model (see `keras_model`).

        Inputs are the input Nodes ``(batch, n_steps, size_out)``, outputs the
        probes; ``sim.keras_model(x)`` gives what ``sim.predict`` gives. Made on
        first use.
        """
        self._check_open("make a Keras model")
        made = getattr(self, "_keras_model", None)
        if made is None or made[0] is not self._program:
            made = (self._program, make_keras_model(self._trainer.parts))
            self._keras_model = made
        return made[1]
