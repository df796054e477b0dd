"""Dashboard: one Simulator and all panels (network, inputs, run, training,
compare, neurons)."""

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import nengo
from nengo.exceptions import ValidationError

from nengodl_notebook.config import trainable_objects
from nengodl_notebook.simulator import Simulator
from nengodl_notebook.widgets.build_failure import describe_build_failure
from nengodl_notebook.widgets.code_export import CodeExportWidget, export_source
from nengodl_notebook.widgets.compare_panel import ComparePanel
from nengodl_notebook.widgets.input_designer import InputDesignerWidget
from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.live_panel import LivePanel
from nengodl_notebook.widgets.neuron_probes import (
    MAX_NEURONS,
    ensemble_records,
    recording_probes,
)
from nengodl_notebook.widgets.neurons_panel import NeuronsPanel
from nengodl_notebook.widgets.run_panel import RunPanel
from nengodl_notebook.widgets.sim_access import sim_lock
from nengodl_notebook.widgets.training_panel import TrainingPanel

#: The live Dashboard of each network: re-running the cell that makes a Dashboard
#: closes the previous one (and stops its training thread); the new one takes
#: over its parameters and finished training runs (``keep_previous``).
_LIVE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class DashboardBox(widgets.VBox):
    """The dashboard's outer widget; closing it closes the whole Dashboard."""

    def __init__(self, dashboard, children):
        super().__init__(children)
        self._dashboard = weakref.ref(dashboard)

    def close(self):
        dashboard = self._dashboard()
        self._dashboard = lambda: None
        if dashboard is not None:
            dashboard.close()
        super().close()


def network_view_class():
    """``NetworkViewWidget`` if its module is there, else None."""
    try:
        from nengodl_notebook.widgets.network_view import NetworkViewWidget
    except ImportError:
        return None
    return NetworkViewWidget


class Dashboard:
    """Explore and train a network in a notebook: all panels on one Simulator.

    Parameters
    ----------
    net : nengo.Network
        Left as it was: the probes the dashboard records neurons with are in the
        network only while the Simulator is built.
    inputs : list of nengo.Node, optional
        Input Nodes to design (default: all Nodes with ``size_in == 0``).
    probes : list of nengo.Probe, optional
        Probes shown and trained (default: all of the network's).
    targets : dict, optional
        ``{probe: fn(t, x) or array}``: ``x`` is the run's inputs ``(n_steps,
        total input size)``, e.g. ``{p: lambda t, x: np.sin(x ** 2)}``.
    minibatch_size : int
    seed : int
        Simulator seed.
    n_steps : int
        Run length of the run and compare panels (and the designed inputs).
    dt : float
    record_neurons : int
        Neurons recorded per ensemble for the Neurons tab (evenly spread; at most
        ``neuron_probes.MAX_ENSEMBLES`` ensembles); 0 records none.
    strategy : tf.distribute.Strategy, optional
        Build the Simulator with this strategy (``Simulator(strategy=...)``):
        runs and training split each minibatch across its replicas.
    keep_previous : bool
        When a Dashboard of the same network is live (the cell was re-run) and
        has trained: take over its current parameters and finished training runs
        (True), or start afresh (False). It is closed either way (its training
        stopped).
    **training
        Passed to `TrainingPanel` (``test_data``, ``data_provider``,
        ``batch_size``, ``n_steps`` as ``training_n_steps``, ``epochs``...).

    Attributes
    ----------
    network_view : NetworkViewWidget or None
    designer : InputDesignerWidget
    run_panel, training_panel, compare_panel, neurons_panel, live_panel
        The panels (None when the network could not be built). The live panel
        runs the dashboard's Simulator (its current parameters, rebuilt one
        included) and holds it while running: training waits for its Stop.
    build_error : str or None
        Why the Simulator could not be built (shown in the dashboard).
    records : list of neuron_probes.EnsembleRecord
        The recorded ensembles and their probes (in the built model only).
    n_builds : int
        Simulators built so far.
    """

    def __init__(
        self,
        net: nengo.Network,
        inputs: Sequence[nengo.Node] | None = None,
        probes: Sequence[nengo.Probe] | None = None,
        targets: Mapping[nengo.Probe, Callable] | None = None,
        minibatch_size: int = 4,
        seed: int = 0,
        n_steps: int = 1000,
        dt: float = 0.001,
        record_neurons: int = MAX_NEURONS,
        keep_previous: bool = True,
        strategy: Any = None,
        **training: Any,
    ) -> None:
        #: trainable settings when the first Dashboard of ``net`` was made: code
        #: export writes the changes since then
        self.initial_trainable = _first_trainable(net)
        previous = _take_over(net, keep_previous)
        self.net, self.seed, self.dt = net, seed, dt
        self.targets = targets
        self.minibatch_size = minibatch_size
        self.strategy = strategy
        self.n_builds = 0
        self.closed = False
        self._widget = None
        self.status = widgets.HTML()
        self.records = ensemble_records(net, record_neurons)
        probes = list(probes) if probes else list(net.all_probes)
        self._sim, self.build_error = self._first_build()
        view_cls = network_view_class()
        self.network_view = view_cls(net) if view_cls is not None else None
        self.designer = InputDesignerWidget(
            net, minibatch_size, n_steps, dt, nodes=inputs
        )
        self.run_panel = self.training_panel = self.compare_panel = None
        self.neurons_panel = self.live_panel = None
        if self._sim is not None:
            self._make_panels(targets, probes, n_steps, training)
            if previous is not None:
                self._continue_from(*previous)
        if self.network_view is not None:
            self._watch_network_view(self.network_view)
        self.code_export = CodeExportWidget(self.export_code)
        _LIVE[id(net)] = self

    def _make_panels(self, targets, probes, n_steps, training):
        self.run_panel = RunPanel(
            self, self.designer, targets, run_time=n_steps * self.dt, probes=probes
        )
        if "training_n_steps" in training:
            training["n_steps"] = training.pop("training_n_steps")
        self.training_panel = TrainingPanel(
            self,
            targets=targets,
            probes=probes,
            neuron_records=self.records,
            **training,
        )
        self.compare_panel = ComparePanel(self, self.designer, targets, probes=probes)
        self.training_panel.on_run_end.append(self.compare_panel.add_run)
        self.neurons_panel = NeuronsPanel(
            lambda: self._sim,  # the last built one: reading needs no rebuild
            self.records,
            run=lambda: self.run_panel.run(background=False),
        )
        # made now: ~15 ms (tutorial network), 10% of a Dashboard without it
        self.live_panel = LivePanel(self, probes=probes, records=self.records)

    def _continue_from(self, params, runs, initial):
        """Take over a previous Dashboard's parameters and finished runs (and the
        parameters from before its first training, for Reset)."""
        try:
            self._sim.set_params(params)
        except ValidationError as e:  # the network changed: start afresh
            self.status.value = error_html(
                f"The previous dashboard's parameters do not fit the network ({e}): "
                "starting from fresh parameters."
            )
            return
        self.training_panel.runs.extend(runs)
        self.training_panel.initial_params = initial
        for run in runs:
            self.compare_panel.add_run(run)
        self.status.value = (
            f"Continuing from the previous dashboard of this network: its parameters "
            f"and {len(runs)} training run(s) kept (keep_previous=False starts afresh)."
        )

    def _watch_network_view(self, view):
        view.on_change.append(self._network_changed)
        # a click on an Ensemble shows its neurons; a view with its own selection
        # event (``on_select``) is used instead of the trainable toggle's
        on_select = getattr(view, "on_select", None)
        (on_select if isinstance(on_select, list) else view.on_change).append(
            self._object_clicked
        )

    def _object_clicked(self, obj, *args):
        if self.neurons_panel is not None and isinstance(obj, nengo.Ensemble):
            self.neurons_panel.select(obj)

    # -- the Simulator ---------------------------------------------------------------

    def _first_build(self):
        """The Simulator and None, or None and why the build failed."""
        try:
            return self._build(), None
        except Exception as e:  # noqa: BLE001 -- any build failure: shown, network drawn
            message = describe_build_failure(self.net, e, self.dt)
            self.status.value = error_html(message)
            return None, message

    def _build(self):
        with recording_probes(self.net, self.records):
            sim = Simulator(
                self.net,
                dt=self.dt,
                seed=self.seed,
                minibatch_size=self.minibatch_size,
                progress_bar=False,
                strategy=self.strategy,
            )
        self._trainable = trainable_objects(self.net)
        self.n_builds += 1
        return sim

    @property
    def sim(self) -> Simulator:
        """The current Simulator; rebuilt first (parameters kept) when the
        trainable configuration changed since it was built.

        Raises
        ------
        RuntimeError
            When the network could not be built (``build_error`` says why).
        """
        if self._sim is None:
            raise RuntimeError(self.build_error)
        if self.trainable_changed():
            self._rebuild()
        return self._sim

    def trainable_changed(self) -> bool:
        """Whether ``trainable`` settings differ from the Simulator's build."""
        return trainable_objects(self.net) != self._trainable

    def _rebuild(self):
        """A new Simulator with the current parameters (not while training runs)."""
        old = self._sim
        lock = sim_lock(old)
        if not lock.acquire(blocking=False):
            return  # training holds the old one: rebuild at the next use
        try:
            params = old.get_params()
            new = self._build()
            try:
                new.set_params(params)
                self.status.value = "Simulator rebuilt for the new trainable settings."
            except ValidationError as e:  # the structure changed: fresh parameters
                self.status.value = error_html(
                    f"Simulator rebuilt, parameters not kept: {e}"
                )
            old.close()
            self._sim = new
        finally:
            lock.release()
        self.training_panel.refresh()

    def _network_changed(self, *args, **kwargs):
        if self._sim is None:
            return
        if self.trainable_changed():
            self.status.value = (
                "Trainable settings changed: the Simulator is rebuilt (keeping the "
                "parameters) before the next run or training."
            )
        else:
            self.status.value = ""
        self.training_panel.refresh()  # "nothing trainable", auto n_steps

    # -- display ---------------------------------------------------------------------

    @property
    def widget(self) -> widgets.VBox:
        """The dashboard as one widget (made once): a status line and a Tab
        ("Network", "Inputs", "Run", "Training", "Compare", "Neurons", "Live").

        When the network could not be built, the Network and Inputs tabs work
        and the others say why.
        """
        if self._widget is None:
            failed = widgets.HTML(error_html(self.build_error))
            pages = [
                ("Inputs", self.designer),
                ("Run", self.run_panel or failed),
                ("Training", self.training_panel or failed),
                ("Compare", self.compare_panel or failed),
                ("Neurons", self.neurons_panel or failed),
                ("Live", self.live_panel or failed),
            ]
            if self.network_view is not None:
                pages.insert(0, ("Network", self.network_view))
            tab = widgets.Tab(
                children=[w for _, w in pages], titles=[t for t, _ in pages]
            )
            if self.neurons_panel is not None:
                neurons = [t for t, _ in pages].index("Neurons")
                tab.observe(
                    lambda change: (
                        change["new"] == neurons and self.neurons_panel.redraw()
                    ),
                    "selected_index",
                )
            self._tab = tab
            # the status line and "Export code" above the tabs (children[1] is the Tab)
            self._header = widgets.VBox([self.status, self.code_export])
            self._widget = DashboardBox(self, [self._header, tab])
        return self._widget

    def export_code(self, insert: bool = False, folder: str = "exported_inputs") -> str:
        """Python source that reproduces the dashboard's state after the network's cell.

        The ``trainable`` switches made since the first Dashboard of the network,
        the designed ``data=`` arrays (presets as NumPy, drawn ones saved as
        ``.npy`` files under ``folder``), the Simulator and the training call.
        Objects are named by the notebook's variables when found, else by a path
        from the network (``net.networks[0].ensembles[1]``).

        Parameters
        ----------
        insert : bool
            Also put the source into the next cell (call it from a cell).
        folder : str
            Where drawn inputs are saved (relative: to the notebook's folder).

        Returns
        -------
        str
        """
        source = export_source(self, folder=folder)
        if insert:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is None:
                raise RuntimeError("export_code(insert=True) needs IPython")
            shell.set_next_input(source, replace=False)
        return source

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def hand_over(self):
        """Stop training, then give the current parameters and finished runs.

        Returns
        -------
        params : Params or None
            ``sim.get_params()`` (None without a Simulator, or if training did
            not stop within 10 s).
        runs : list of dict
            The training panel's finished runs.
        initial : Params or None
            The parameters from before the first training (what Reset restores).
        """
        if self._sim is None or self.closed:
            return None, [], None
        panel = self.training_panel
        panel.stop()
        if not panel.join(10):
            return None, [], None
        return self._sim.get_params(), list(panel.runs), panel.initial_params

    def close(self):
        """Stop training (waits up to 10 s), close the panels and the Simulator."""
        if self.closed:
            return
        self.closed = True
        panels = (
            self.live_panel,
            self.training_panel,
            self.run_panel,
            self.compare_panel,
            self.neurons_panel,
            self.designer,
            self.network_view,
        )
        for panel in panels:
            if panel is not None:
                panel.close()
        if self._widget is not None:
            self._tab.close()
            self._header.close()
            widgets.VBox.close(self._widget)
        self.status.close()
        self.code_export.close()
        if self._sim is not None:
            self._sim.close()


def _first_trainable(net):
    """The trainable settings of ``net`` when its first live Dashboard was made."""
    previous = _LIVE.get(id(net))
    if previous is not None and previous.net is net:
        return previous.initial_trainable
    return trainable_objects(net)


def _take_over(net, keep):
    """Close the live Dashboard of ``net``; its parameters and finished runs when
    ``keep`` and it has trained (else None)."""
    previous = _LIVE.get(id(net))
    if previous is None:
        return None
    handed = previous.hand_over() if keep and previous.net is net else (None, [], None)
    previous.close()
    params, runs, _ = handed
    return handed if params is not None and runs else None
