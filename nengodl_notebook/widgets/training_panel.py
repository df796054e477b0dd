"""TrainingPanel: train the Simulator from a widget, in a background thread.

Threads: ``Start`` (main thread) checks the settings, makes the data and starts
two daemon threads. The *training thread* calls ``sim.train(...,
callbacks=[recorder])``; the `TrainingRecorder` (a Keras callback) only stores
numbers under a lock.
The *updater thread* wakes every ``update_interval`` seconds, reads those numbers
and changes widget traits inside ``hold_sync`` (never prints or displays); when
the training thread has ended it shows the summary or error and re-enables Start.
``Stop`` sets a flag and calls ``sim.stop_training()``: training ends after the
compiled chunk of minibatches in progress (at most ~0.4 s).
"""

import threading
import time

import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets import training_defaults as defaults
from nengodl_notebook.widgets.labels import error_html, format_duration
from nengodl_notebook.widgets.loss_plot import LossPlot
from nengodl_notebook.widgets.neurons_panel import health_html
from nengodl_notebook.widgets.plots import close_tree, generated_training_data
from nengodl_notebook.widgets.rate_finder import RateFinder
from nengodl_notebook.widgets.sim_access import (
    hold_sim,
    resolve_sim,
    sim_lock,
    sim_network,
    sim_probes,
)
from nengodl_notebook.widgets.training_defaults import OPTIMIZERS, OptimizerCache
from nengodl_notebook.widgets.training_job import HEALTH_STEPS, make_job, run_job
from nengodl_notebook.widgets.training_outcome import training_outcome
from nengodl_notebook.widgets.training_recorder import TrainingRecorder
from nengodl_notebook.widgets.training_settings import OBJECTIVES, TrainingSettings

__all__ = ["HEALTH_STEPS", "OBJECTIVES", "OPTIMIZERS", "TrainingPanel"]


class TrainingPanel(widgets.VBox):
    """Optimizer settings, Start / Stop / Reset parameters, and a live loss curve.

    Parameters
    ----------
    source : Simulator, or an object with a ``sim`` attribute (Dashboard), or callable
        Where the Simulator comes from (asked at each Start).
    targets : dict, optional
        ``{probe: fn(t, x) or array}``; probes with a target default to "mse".
    data_provider : callable, optional
        ``data_provider(sim, objective, batch_size, n_steps)`` returns the training
        data dict; by default `generated_training_data` from ``targets``.
    test_data : dict or callable, optional
        Data (or ``fn(sim)`` giving it) for a test loss before and after each epoch.
        Default: a held-out ``test_split`` of the generated data (none with a
        ``data_provider``).
    test_objective : dict, optional
        Objective of the test loss (default: mse for the test data's probes).
    batch_size, epochs, optimizer
        Initial settings.
    n_steps : int, optional
        Training sequence length; None ("auto"): long enough for the synapses
        on the trained path to settle (`training_defaults.auto_n_steps`).
    learning_rate : float
        Default `training_defaults.DEFAULT_LEARNING_RATE` (1e-4).
    test_split : float
        Fraction of ``batch_size`` generated in addition and held out for the
        test loss (rounded up to whole minibatches).
    update_interval : float
        Seconds between UI updates while training.
    neuron_records : list of neuron_probes.EnsembleRecord, optional
        Recorded neurons (the Dashboard's): their dead and saturated counts are
        shown live, before training and after each epoch, from a
        `HEALTH_STEPS`-step spiking run on the first minibatch of inputs.
    probes : list of nengo.Probe, optional
        Probes offered an objective (default: all).
    objectives : dict, optional
        Initial objective per probe, ``"mse"`` or ``"none"`` (default: ``"mse"``
        for probes with a target).

    Attributes
    ----------
    start_button, stop_button, reset_button, find_rate_button : ipywidgets.Button
        "Start", "Stop", "Reset parameters", "Find learning rate".
    optimizer : ipywidgets.Dropdown
        "optimizer": "Adam", "RMSprop", "SGD".
    learning_rate, epochs, batch_size, n_steps : NumberField
        "learning rate", "epochs", "batch size", "n_steps" (``.text`` is the widget).
    n_steps_auto : ipywidgets.Checkbox
        "auto": n_steps from the synapses on the trained path (`refresh`).
    n_steps_hint, warning : ipywidgets.HTML
        Why n_steps has its value; n_steps too short, or nothing trainable.
    objectives : dict
        ``{probe: Dropdown}`` with options "mse" and "none".
    minibatch_label, progress, summary, error, message : ipywidgets.HTML
    settings : TrainingSettings
        The form that holds the settings widgets above.
    loss_plot : LossPlot
        One set of curves per run (``figure``; ``batch_line``, ``epoch_line``,
        ``test_line`` are the last run's).
    rate_finder : RateFinder
    running : bool
    runs : list of dict
        Finished runs: ``label``, ``params`` (a ``sim.get_params()`` snapshot),
        ``loss``, ``history``, ``stopped``, ``diverged``, ``seconds``.
    on_run_end : list of callables
        Called with each finished run's dict (from the updater thread).
    """

    def __init__(
        self,
        source,
        targets=None,
        data_provider=None,
        test_data=None,
        test_objective=None,
        batch_size=256,
        n_steps=None,
        epochs=10,
        learning_rate=defaults.DEFAULT_LEARNING_RATE,
        optimizer="Adam",
        update_interval=0.2,
        probes=None,
        objectives=None,
        test_split=0.2,
        neuron_records=None,
    ):
        super().__init__()
        self.source, self.targets = source, dict(targets or {})
        self.data_provider = data_provider or self._generated_data
        self.test_data, self.test_objective = test_data, test_objective
        self.test_split = test_split
        self.neuron_records = list(neuron_records or [])
        self.update_interval = update_interval
        sim = resolve_sim(source)
        self.network, self.dt = sim_network(sim), sim.dt
        self.probes = list(probes) if probes else sim_probes(sim)
        self.minibatch_size = sim.minibatch_size or 1
        self.running = False
        self.runs, self.on_run_end = [], []
        #: ``sim.get_params()`` from before the first training (what Reset restores)
        self.initial_params = None
        self._optimizers = OptimizerCache()  # reused by the next Start
        self._thread = self._updater = None
        self._stop = threading.Event()
        self._build_controls()
        self.settings = TrainingSettings(
            self.network,
            self.dt,
            self.probes,
            self.targets,
            self.minibatch_size,
            self.message,
            self.refresh,
            batch_size=batch_size,
            n_steps=n_steps,
            epochs=epochs,
            learning_rate=learning_rate,
            optimizer=optimizer,
            objectives=dict(objectives or {}),
        )
        s = self.settings  # its widgets are the panel's attributes too
        self.optimizer, self.learning_rate = s.optimizer, s.learning_rate
        self.epochs, self.batch_size = s.epochs, s.batch_size
        self.n_steps, self.n_steps_auto = s.n_steps, s.n_steps_auto
        self.n_steps_hint, self.warning = s.n_steps_hint, s.warning
        self.minibatch_label, self.objectives = s.minibatch_label, s.objectives
        self.loss_plot = LossPlot()
        self.rate_finder = RateFinder(self)
        self._layout()
        self.refresh()

    def _build_controls(self):
        self.message, self.error = widgets.HTML(), widgets.HTML()
        self.progress, self.summary = widgets.HTML(), widgets.HTML()
        self.health = widgets.HTML()  # live neuron health (with neuron_records)
        self.start_button = widgets.Button(description="Start", button_style="success")
        self.stop_button = widgets.Button(
            description="Stop", button_style="danger", disabled=True
        )
        self.reset_button = widgets.Button(description="Reset parameters")
        self.start_button.on_click(self.start)
        self.stop_button.on_click(self.stop)
        self.reset_button.on_click(self.reset_parameters)

    def _layout(self):
        buttons = widgets.HBox([self.start_button, self.stop_button, self.reset_button])
        self.find_rate_button = self.rate_finder.button
        self.children = [
            *self.settings.rows(self.rate_finder.button),
            self.warning,
            buttons,
            self.message,
            self.progress,
            self.summary,
            self.error,
            self.loss_plot.widget,
            self.health,
            self.rate_finder.widget,
        ]

    @property
    def figure(self):
        """The loss figure (bqplot)."""
        return self.loss_plot.figure

    def _current_lines(self, name):
        if not self.loss_plot.runs:
            return None
        return self.loss_plot.runs[-1]["lines"][name]

    batch_line = property(lambda self: self._current_lines("batch"))
    epoch_line = property(lambda self: self._current_lines("epoch"))
    test_line = property(lambda self: self._current_lines("test"))

    @property
    def sim(self):
        """The Simulator (asked from the source each time)."""
        return resolve_sim(self.source)

    def objective(self):
        """``{probe: objective function}`` of the probes not set to "none"."""
        return self.settings.objective()

    # -- defaults from the network ---------------------------------------------------

    def refresh(self):
        """Check the settings against the network: call after ``trainable`` changes.

        Disables Start with a message when nothing is trainable; with "auto"
        sets n_steps from the synapses on the trained path; warns when n_steps
        is too short for them.

        Returns
        -------
        bool
            Whether training can start.
        """
        ok = self.settings.check()
        if not self.running:
            self.start_button.disabled = not ok
        self.rate_finder.button.disabled = self.running or not ok
        return ok

    def _generated_data(self, sim, objective, batch_size, n_steps):
        """`generated_training_data`, targets NaN while synapses settle.

        (`training_defaults.mask_settling`: the first steps cannot follow a
        target that is there from step 1.)
        """
        data = generated_training_data(
            sim, self.targets, objective, batch_size, n_steps
        )
        return defaults.mask_settling(data, self.network, objective, self.dt, n_steps)

    def _held_out(self):
        """Test items generated beside the training data (whole minibatches)."""
        mb = self.minibatch_size
        return int(np.ceil(self.test_split * self.batch_size.value / mb)) * mb

    # -- Start / Stop / Reset -------------------------------------------------------

    def start(self, button=None):
        """Start training in a background thread (ignored while one runs).

        Returns
        -------
        bool
            Whether a training thread was started.
        """
        if self.running or not self.refresh():
            return False
        sim = self.sim
        lock = hold_sim(sim, self.message)
        if lock is None:
            return False
        try:
            job = self._prepare(sim)
        except Exception as e:  # noqa: BLE001 -- bad settings or data: shown, nothing started
            lock.release()
            self.error.value = error_html(
                f"Training not started: {type(e).__name__}: {e}"
            )
            return False
        self.running = True
        self._stop.clear()
        with self.hold_sync():
            self.start_button.disabled, self.stop_button.disabled = True, False
            self.reset_button.disabled = self.rate_finder.button.disabled = True
            self.error.value = self.summary.value = self.message.value = ""
            self.progress.value = "Starting (the first run compiles the model)..."
        self._recorder = TrainingRecorder(self._stop, sim, self.loss_plot.x0)
        self.loss_plot.start_run(f"run {len(self.runs) + 1}")
        self._result = {}
        self._thread = threading.Thread(
            target=self._train,
            args=(sim, lock, job),
            name="nengodl-training",
            daemon=True,
        )
        self._updater = threading.Thread(
            target=self._update_loop, name="nengodl-training-ui", daemon=True
        )
        self._thread.start()
        self._updater.start()
        return True

    def _prepare(self, sim):
        """Everything a run needs, made on the main thread (errors show at once)."""
        return make_job(self, sim)

    def _train(self, sim, lock, job):
        """The training thread: `run_job`; its result goes to ``_result``."""
        try:
            self._result = run_job(sim, job, self._recorder, self.neuron_records)
        finally:
            lock.release()

    def stop(self, button=None):
        """Ask the training to stop after the minibatches in progress."""
        if not self.running:
            return
        self._stop.set()
        self._recorder.sim.stop_training()
        self.stop_button.disabled = True
        self.progress.value = "Stopping after the minibatches in progress..."

    def join(self, timeout=None):
        """Wait until training and the final UI update are done; whether they are."""
        for thread in (self._thread, self._updater):
            if thread is not None:
                thread.join(timeout)
        return not self.running

    def reset_parameters(self, button=None):
        """Restore the parameters from before the first training.

        The loss curves stay; the next run is drawn from minibatch 0 again.
        """
        if self.running:
            return
        if self.initial_params is None:
            self.message.value = error_html("Nothing to reset: not trained yet.")
            return
        sim = self.sim
        with sim_lock(sim):
            sim.set_params(self.initial_params)
        self._optimizers.clear()  # its moments belong to the old parameters
        self.loss_plot.x0 = 0
        self.summary.value = (
            "Parameters reset to those before the first training (earlier runs "
            "stay in the plot)."
        )

    # -- UI updates (updater thread) ------------------------------------------------

    def _update_loop(self):
        while self._thread.is_alive():
            self._thread.join(self.update_interval)
            self._refresh()
        run = None
        try:
            self._refresh()
            run = self._show_result()
        finally:  # whatever happened, the panel can start again
            self.running = False
            with self.hold_sync():
                self.stop_button.disabled = True
                self.reset_button.disabled = False
                self.refresh()
        for callback in list(self.on_run_end) if run is not None else []:
            try:
                callback(run)
            except Exception as e:  # noqa: BLE001 -- e.g. the compare panel: shown, not lost
                self.error.value = error_html(
                    f"After training: {type(e).__name__}: {e}"
                )

    def _refresh(self):
        with self._recorder.lock:
            health = self._recorder.health
        if health is not None:
            epoch, rows = health
            when = "before training" if epoch == 0 else f"after epoch {epoch}"
            title = f"Neuron health {when} ({HEALTH_STEPS}-step run on held inputs)"
            self.health.value = health_html(rows, title)
        new, (e, n_epochs, done, n_batches) = self._recorder.take()
        plot = self.loss_plot
        for name, points in zip(plot.NAMES, new):
            plot.add(name, points)
        if any(new):
            plot.redraw(current_only=True)
        total = n_epochs * n_batches
        elapsed = time.perf_counter() - self._recorder.start
        if done and total and self.running:
            eta = elapsed / done * (total - done)
            self.progress.value = (
                f"epoch {e + 1}/{n_epochs}, minibatch {done}/{total}, loss "
                f"{plot.last():.4g}, {format_duration(elapsed)} elapsed, "
                f"ETA {format_duration(eta)}"
            )

    def _show_result(self):
        """Summary or error label of the ended run; the run's dict (None on errors)."""
        outcome = training_outcome(
            self._result, self._recorder, self.learning_rate.value, len(self.runs)
        )
        self.loss_plot.x0 = self._recorder.step
        self.progress.value = ""
        if outcome.summary is not None:
            self.summary.value = outcome.summary
        if outcome.error is not None:
            self.error.value = error_html(outcome.error)
        self.loss_plot.rename(outcome.label)
        if outcome.run is not None:
            self.runs.append(outcome.run)
        return outcome.run

    def close(self):
        """Stop a running training (waits up to 10 s), then close the widgets."""
        if self.running:
            self.stop()
            self.join(10)
        self.loss_plot.close()
        self.rate_finder.close()
        for child in self.children:
            close_tree(child)
        super().close()
