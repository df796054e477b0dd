"""Dashboard: one Simulator and all panels (network, inputs, run, training, compare)."""

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import nengo
from nengo.exceptions import ValidationError

from nengodl_notebook.config import trainable_objects
from nengodl_notebook.simulator import Simulator
from nengodl_notebook.widgets.compare_panel import ComparePanel
from nengodl_notebook.widgets.input_designer import InputDesignerWidget
from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.run_panel import RunPanel
from nengodl_notebook.widgets.sim_access import sim_lock
from nengodl_notebook.widgets.training_panel import TrainingPanel

#: The live Dashboard of each network: re-running the cell that makes a Dashboard
#: closes the previous one (and stops its training thread).
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
    inputs : list of nengo.Node, optional
        Input Nodes to design (default: all Nodes with ``size_in == 0``).
    probes : list of nengo.Probe, optional
        Probes shown and trained (default: all).
    targets : dict, optional
        ``{probe: fn(t, x) or array}``: ``x`` is the run's inputs ``(n_steps,
        total input size)``, e.g. ``{p: lambda t, x: np.sin(x ** 2)}``.
    minibatch_size : int
    seed : int
        Simulator seed.
    n_steps : int
        Run length of the run and compare panels (and the designed inputs).
    dt : float
    **training
        Passed to `TrainingPanel` (``test_data``, ``data_provider``,
        ``batch_size``, ``n_steps`` as ``training_n_steps``, ``epochs``...).

    Attributes
    ----------
    network_view : NetworkViewWidget or None
    designer : InputDesignerWidget
    run_panel : RunPanel
    training_panel : TrainingPanel
    compare_panel : ComparePanel
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
        **training: Any,
    ) -> None:
        previous = _LIVE.get(id(net))
        if previous is not None:  # the cell was re-run: stop the old dashboard
            previous.close()
        self.net, self.seed, self.dt = net, seed, dt
        self.minibatch_size = minibatch_size
        self.n_builds = 0
        self._sim = self._build()
        self.status = widgets.HTML()
        view_cls = network_view_class()
        self.network_view = view_cls(net) if view_cls is not None else None
        if self.network_view is not None:
            self.network_view.on_change.append(self._network_changed)
        self.designer = InputDesignerWidget(
            net, minibatch_size, n_steps, dt, nodes=inputs
        )
        self.run_panel = RunPanel(
            self, self.designer, targets, run_time=n_steps * dt, probes=probes
        )
        if "training_n_steps" in training:
            training["n_steps"] = training.pop("training_n_steps")
        self.training_panel = TrainingPanel(
            self, targets=targets, probes=probes, **training
        )
        self.compare_panel = ComparePanel(self, self.designer, targets, probes=probes)
        self.training_panel.on_run_end.append(self.compare_panel.add_run)
        self._widget = None
        self.closed = False
        _LIVE[id(net)] = self

    # -- the Simulator ---------------------------------------------------------------

    def _build(self):
        sim = Simulator(
            self.net,
            dt=self.dt,
            seed=self.seed,
            minibatch_size=self.minibatch_size,
            progress_bar=False,
        )
        self._trainable = trainable_objects(self.net)
        self.n_builds += 1
        return sim

    @property
    def sim(self) -> Simulator:
        """The current Simulator; rebuilt first (parameters kept) when the
        trainable configuration changed since it was built."""
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

    def _network_changed(self, *args, **kwargs):
        if self.trainable_changed():
            self.status.value = (
                "Trainable settings changed: the Simulator is rebuilt (keeping the "
                "parameters) before the next run or training."
            )
        else:
            self.status.value = ""

    # -- display ---------------------------------------------------------------------

    @property
    def widget(self) -> widgets.VBox:
        """The dashboard as one widget (made once): a status line and a Tab
        ("Network", "Inputs", "Run", "Training", "Compare")."""
        if self._widget is None:
            pages = [
                ("Inputs", self.designer),
                ("Run", self.run_panel),
                ("Training", self.training_panel),
                ("Compare", self.compare_panel),
            ]
            if self.network_view is not None:
                pages.insert(0, ("Network", self.network_view))
            tab = widgets.Tab(
                children=[w for _, w in pages], titles=[t for t, _ in pages]
            )
            self._widget = DashboardBox(self, [self.status, tab])
        return self._widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def close(self):
        """Stop training (waits up to 10 s), close the panels and the Simulator."""
        if self.closed:
            return
        self.closed = True
        self.training_panel.close()
        for panel in (
            self.run_panel,
            self.compare_panel,
            self.designer,
            self.network_view,
        ):
            if panel is not None:
                panel.close()
        if self._widget is not None:
            self._widget.children[1].close()
            widgets.VBox.close(self._widget)
        self.status.close()
        self._sim.close()
