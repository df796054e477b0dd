"""The training panel's settings form, checked against the network.

Optimizer, learning rate, epochs, batch size, n_steps (typed, or "auto" from
the synapses on the trained path) and an objective per probe. `check` fills
in "auto" and says whether training can start; the panel owns the buttons.
"""

import ipywidgets as widgets

from nengodl_notebook import obj
from nengodl_notebook.widgets import training_defaults as defaults
from nengodl_notebook.widgets.labels import error_html, probe_label
from nengodl_notebook.widgets.plots import NumberField

#: Objectives offered per probe.
OBJECTIVES = {"mse": obj.mse, "none": None}


class TrainingSettings:
    """Settings widgets of a training panel and their checks.

    Parameters
    ----------
    network : nengo.Network
    dt : float
    probes : list of nengo.Probe
        Probes offered an objective.
    targets : dict
        Probes with a target default to "mse".
    minibatch_size : int
    message : ipywidgets.HTML
        Where a field shows a bad value.
    on_change : callable
        Called without arguments when "auto", a typed n_steps or an objective
        changes (the panel's ``refresh``).
    batch_size, n_steps, epochs, learning_rate, optimizer, objectives
        Initial settings (``n_steps`` None: "auto"; ``objectives``:
        ``{probe: "mse" or "none"}``).

    Attributes
    ----------
    optimizer : ipywidgets.Dropdown
    learning_rate, epochs, batch_size, n_steps : NumberField
    n_steps_auto : ipywidgets.Checkbox
    n_steps_hint, warning, minibatch_label : ipywidgets.HTML
    objectives : dict
        ``{probe: Dropdown}`` with options "mse" and "none".
    """

    def __init__(
        self,
        network,
        dt,
        probes,
        targets,
        minibatch_size,
        message,
        on_change,
        *,
        batch_size,
        n_steps,
        epochs,
        learning_rate,
        optimizer,
        objectives,
    ):
        self.network, self.dt, self._on_change = network, dt, on_change
        mb, why = minibatch_size, "a multiple of the minibatch size"
        self.warning, self.n_steps_hint = widgets.HTML(), widgets.HTML()
        self.optimizer = widgets.Dropdown(
            options=list(defaults.OPTIMIZERS),
            value=optimizer,
            description="optimizer",
        )
        self.learning_rate = NumberField(
            "learning rate",
            learning_rate,
            0,
            10,
            message=message,
            low_open=True,
        )
        self.epochs = NumberField(
            "epochs", epochs, 1, 100000, integer=True, message=message
        )
        self.batch_size = NumberField(
            "batch size",
            batch_size,
            mb,
            10**7,
            integer=True,
            message=message,
            check=lambda v: None if v % mb == 0 else f"must be {why} {mb}",
        )
        self.n_steps = NumberField(
            "n_steps",
            n_steps or 1,
            1,
            10**6,
            integer=True,
            message=message,
            on_change=self._n_steps_typed,
        )
        self.n_steps_auto = widgets.Checkbox(
            value=n_steps is None,
            description="auto",
            indent=False,
            layout={"width": "60px"},
        )
        self.minibatch_label = widgets.HTML(f"(minibatch size {mb})")
        self.objectives = _objective_menus(probes, targets, objectives)
        for box in [self.n_steps_auto, *self.objectives.values()]:
            box.observe(lambda change: self._on_change(), "value")

    def objective(self):
        """``{probe: objective function}`` of the probes not set to "none"."""
        return {
            p: OBJECTIVES[d.value]
            for p, d in self.objectives.items()
            if OBJECTIVES[d.value] is not None
        }

    def check(self):
        """Check against the network: call after ``trainable`` changes.

        With "auto" sets n_steps from the synapses on the trained path; warns
        when nothing is trainable or n_steps is too short for those synapses.

        Returns
        -------
        bool
            Whether something is trainable (training can start).
        """
        trainable = defaults.trainable_objects(self.network)
        ok = defaults.has_trainable(self.network, trainable)
        path = defaults.trained_path(self.network, self.objective(), trainable)
        if self.n_steps_auto.value:
            n_steps, hint = defaults.auto_n_steps(path, self.dt)
            self.n_steps.set(n_steps)
            self.n_steps_hint.value = f"<i>{hint}</i>"
        else:
            self.n_steps_hint.value = ""
        problem = (
            defaults.NOTHING_TRAINABLE
            if not ok
            else defaults.n_steps_warning(path, self.n_steps.value, self.dt)
        )
        self.warning.value = error_html(problem)
        return ok

    def rows(self, rate_button):
        """The form's rows: optimizer settings (with ``rate_button``), data,
        objectives."""
        settings = [self.optimizer, self.learning_rate.text, rate_button]
        data = [self.batch_size.text, self.minibatch_label, self.n_steps.text]
        objectives = [widgets.HTML("<b>Objective per probe</b>")]
        return [
            widgets.HBox([*settings, self.epochs.text]),
            widgets.HBox([*data, self.n_steps_auto, self.n_steps_hint]),
            widgets.VBox(objectives + list(self.objectives.values())),
        ]

    def _n_steps_typed(self, value):
        self.n_steps_auto.value = False  # the user's value from now on
        self._on_change()


def _objective_menus(probes, targets, chosen):
    """``{probe: Dropdown}``: ``chosen[probe]``, else "mse" with a target."""
    return {
        p: widgets.Dropdown(
            options=list(OBJECTIVES),
            value=chosen.get(p, "mse" if p in targets else "none"),
            description=probe_label(p),
            style={"description_width": "initial"},
        )
        for p in probes
    }
