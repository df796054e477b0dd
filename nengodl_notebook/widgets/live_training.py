"""Gradient training in the middle of a live run: "Train for N minibatches".

`LiveTraining` is a row of a `LivePanel`: N, a learning rate, a Train button
and a line of results ("loss 0.12 -> 0.03"). Train pauses the live run after
its chunk in progress (`LiveEngine.paused_call`), trains the Simulator with
``sim.train`` on N minibatches of data made from ``targets`` (uniform inputs
held per item, as the Dashboard's training panel makes them), and resumes the
run from the same simulated time and state with the new parameters. The
live run's step program is not rebuilt (training has programs of its own).
"""

import threading
import time

import ipywidgets as widgets
from nengo.exceptions import ValidationError

from nengodl_notebook import obj
from nengodl_notebook.widgets import training_defaults as defaults
from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.plots import NumberField, generated_training_data
from nengodl_notebook.widgets.sim_access import sim_network
from nengodl_notebook.widgets.training_recorder import TrainingRecorder

#: Shown (and Train disabled) when the panel has no targets.
NO_TARGETS = (
    "To train here, give the panel targets: LivePanel(net, targets={probe: "
    "fn(t, x)}), x being the input Nodes' values"
)


def training_data(sim, targets, n_minibatches, seed=0):
    """Data and objective for ``n_minibatches`` minibatches of ``sim``.

    Inputs uniform in [-1, 1) held per item, targets from ``targets`` (see
    `plots.generated_training_data`); ``n_steps`` long enough for the
    synapses on the trained path to settle, targets NaN ("don't care")
    while they do.

    Returns
    -------
    data : dict
    objective : dict
        ``{probe: obj.mse}`` for each probe of ``targets``.
    """
    network = sim_network(sim)
    objective = {p: obj.mse for p in targets}
    path = defaults.trained_path(network, objective)
    n_steps, _ = defaults.auto_n_steps(path, sim.dt)
    batch = n_minibatches * (sim.minibatch_size or 1)
    data = generated_training_data(sim, targets, objective, batch, n_steps, seed)
    defaults.mask_settling(data, network, objective, sim.dt, n_steps)
    return data, objective


class LiveTraining(widgets.VBox):
    """N, learning rate, Train, and the loss before -> after, for a live run.

    Parameters
    ----------
    engine : LiveEngine
        The live run (trained between two of its chunks).
    targets : dict, optional
        ``{probe: fn(t, x) or array}`` as for the Dashboard's training panel;
        without it the row says what is needed and Train is disabled.
    n_minibatches : int
        Initial N.
    learning_rate : float
        Initial learning rate (Adam; the Dashboard's default, 1e-4).

    Attributes
    ----------
    n_minibatches, learning_rate : NumberField
        ``.text`` is the widget.
    train_button : ipywidgets.Button
    result : ipywidgets.HTML
        Loss before -> after, what is needed, or the error.
    runs : list of dict
        Finished trainings: ``before``, ``after``, ``n``, ``seconds``.
    error : Exception or None
        The last training's error.
    """

    def __init__(
        self,
        engine,
        targets=None,
        n_minibatches=20,
        learning_rate=defaults.DEFAULT_LEARNING_RATE,
    ):
        self._thread = None
        self.engine, self.targets = engine, dict(targets or {})
        probes = set(engine.sim.model.probes)
        for probe in self.targets:
            if probe not in probes:
                raise ValidationError(
                    f"targets: {probe!r} is not a probe of the live network",
                    attr="targets",
                )
        self.result = widgets.HTML()
        self.n_minibatches = NumberField(
            "train for N minibatches",
            n_minibatches,
            1,
            10**5,
            integer=True,
            message=self.result,
        )
        self.learning_rate = NumberField(
            "learning rate", learning_rate, 0, 10, low_open=True, message=self.result
        )
        self.train_button = widgets.Button(description="Train", icon="graduation-cap")
        self.train_button.on_click(lambda _: self.start())
        self.runs, self.error = [], None
        self._optimizers = defaults.OptimizerCache()  # same rate: same Adam
        if not self.targets:
            self.train_button.disabled = True
            self.result.value = NO_TARGETS
        row = [self.n_minibatches.text, self.learning_rate.text, self.train_button]
        super().__init__([widgets.HBox(row), self.result])

    def start(self):
        """Train in a background thread (the Train button); see `join`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(
            target=self._train_quietly, name="live training", daemon=True
        )
        self._thread.start()

    def join(self, timeout=None):
        """Wait for the training started by `start`."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _train_quietly(self):
        try:
            self.train()
        except Exception:  # noqa: BLE001 -- shown in `result` by train
            pass

    def train(self, n_minibatches=None, learning_rate=None):
        """Pause the live run, train on N minibatches, resume from where it was.

        Parameters
        ----------
        n_minibatches, learning_rate : optional
            Set the fields first (else their values are used).

        Returns
        -------
        dict
            ``before``, ``after`` (training loss on the data), ``n``, ``seconds``,
            ``diverged`` (then the parameters with the lowest loss are back).

        Raises
        ------
        Exception
            Bad settings, no targets, or what training raised (also shown in
            `result`); the live run goes on.
        """
        self.train_button.disabled = True
        self.result.value = "Training..."
        try:
            if n_minibatches is not None:
                self.n_minibatches.set(n_minibatches)
            if learning_rate is not None:
                self.learning_rate.set(learning_rate)
            if not self.targets:
                raise ValidationError(NO_TARGETS, attr="targets")
            n = self.n_minibatches.value
            run = self.engine.paused_call(lambda sim: self._train(sim, n))
        except Exception as e:
            self.error = e
            self.result.value = error_html(f"Training failed: {type(e).__name__}: {e}")
            raise
        finally:
            self.train_button.disabled = not self.targets
        self.error = None
        self.runs.append(run)
        self.result.value = (
            f"loss {run['before']:.4g} &rarr; {run['after']:.4g} "
            f"({run['n']} minibatches, {run['seconds']:.1f} s)"
        )
        if run["diverged"]:
            rate = self.learning_rate.value
            self.result.value += error_html(
                f"; training diverged and stopped, the parameters with the lowest "
                f"loss were restored: try a learning rate of {rate / 10:.3g}"
            )
        return run

    def _train(self, sim, n):
        start = time.perf_counter()
        data, objective = training_data(sim, self.targets, n, seed=len(self.runs))
        before = sim.loss(data, objective, training=True, progress_bar=False)
        recorder = TrainingRecorder(threading.Event(), sim)
        sim.train(
            data,
            self._optimizers.get(sim, "Adam", self.learning_rate.value),
            objective=objective,
            n_epochs=1,
            callbacks=[recorder],
            progress_bar=False,
            restore_best_on_divergence=True,
        )
        after = sim.loss(data, objective, training=True, progress_bar=False)
        return {
            "before": before,
            "after": after,
            "n": n,
            "seconds": time.perf_counter() - start,
            "diverged": recorder.diverged is not None,
        }

    def close(self):
        """Wait for a training in progress, then close the widgets."""
        self.join()
        super().close()
