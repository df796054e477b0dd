"""LivePanel: a network running live, steered with sliders, plotted as it goes."""

import html
import threading
import time

import ipywidgets as widgets
import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.simulator import Simulator
from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.live_engine import LiveEngine
from nengodl_notebook.widgets.live_inputs import input_range
from nengodl_notebook.widgets.live_training import LiveTraining
from nengodl_notebook.widgets.live_views import (
    MAX_POINTS,
    NO_RECORDS,
    LiveNeuronView,
    LiveProbePlot,
)
from nengodl_notebook.widgets.neuron_probes import ensemble_records, recording_probes
from nengodl_notebook.widgets.plots import close_tree, status_row
from nengodl_notebook.widgets.sim_access import resolve_sim

#: Labels of the two modes of an input Node (`LiveEngine` modes "own", "slider").
MODE_LABELS = {"own output": "own", "slider": "slider"}
#: What the neuron view of a Network without spiking ensembles says.
NO_ENSEMBLES = "No ensemble to record (none, or only Direct mode)."
#: The batch chooser's entry that steers every item at once.
ALL_ITEMS = "all items"
__all__ = ["MAX_POINTS", "LivePanel"]


class LivePanel(widgets.VBox):
    """Start / Pause / Reset, a speed choice, sliders per input Node, live plots.

    The Simulator runs in fixed chunks in a background thread (`LiveEngine`);
    the plots show the last ``window`` seconds of each probe and are redrawn
    up to ``fps`` times a second while simulated time advances; a probe of 2
    or more dimensions also gets an XY view, and the recorded neurons of a
    chosen ensemble show as a spike raster with firing rates. Moving a
    slider switches its Node to "slider" mode: its value is the Node's output
    from the next chunk on; "own output" gives the Node its own output back.

    Parameters
    ----------
    source : nengo.Network, Simulator, or an object with a ``sim`` attribute
        A Network is built into a Simulator of its own (closed by `close`).
    chunk_steps : int
        Steps per chunk (one compiled program for all of them). In real time
        at nengo's ``dt``, 40 steps give 25 new plot frames a second.
    window : float
        Seconds shown by the plots.
    real_time : bool
        Start in real time (else as fast as possible).
    probes : list of nengo.Probe, optional
        Probes to plot (default: all).
    ranges : dict, optional
        ``{node: (low, high)}`` slider ranges (default: from the Node's output).
    dt, minibatch_size :
        For a Simulator built from a Network.
    fps : float
        Most redraws per second.
    targets : dict, optional
        ``{probe: fn(t, x)}``: targets for "Train for N minibatches"
        (`LiveTraining`).
    records : list of neuron_probes.EnsembleRecord, optional
        Recorded neurons to show. A Network gets ``ensemble_records(net)``
        (probes in the built model only; the network keeps its own probes); a
        source with a ``records`` attribute (a Dashboard) gives its own; a
        Simulator has none unless given (its model must hold their probes).

    Attributes
    ----------
    engine : LiveEngine
    start_button, stop_button, reset_button : ipywidgets.Button
        "Start" (then "Pause" / "Resume"), "Stop" (ends the run and frees the
        Simulator for other panels) and "Reset".
    speed : ipywidgets.ToggleButtons
        "real time" or "as fast as possible".
    modes : dict
        Node -> ToggleButtons ("own output" / "slider").
    sliders : dict
        Node -> list of FloatSlider, one per dimension.
    batch_item : ipywidgets.Dropdown
        Which batch item the sliders steer ("all items" or one) and the plots show.
    status, message : ipywidgets.HTML
        Time, achieved speed ("x real time") and programs built; errors.
    plots : dict
        Probe -> `LiveProbePlot`.
    xy_views : dict
        Probe -> `LiveXYView` (probes of 2 or more dimensions).
    neurons : LiveNeuronView
    redraws : int
        Plot updates so far.
    training : LiveTraining
        The "Train for N minibatches" row.
    """

    def __init__(
        self,
        source,
        chunk_steps=40,
        window=2.0,
        real_time=True,
        probes=None,
        ranges=None,
        dt=0.001,
        minibatch_size=None,
        fps=25.0,
        targets=None,
        records=None,
    ):
        self._owns_sim = isinstance(source, nengo.Network)
        self.source = source
        if records is None:
            records = getattr(source, "records", None)
            if self._owns_sim:
                records = ensemble_records(source)
        self.records = list(records or [])
        if self._owns_sim:
            with recording_probes(source, self.records):
                sim = Simulator(
                    source, dt=dt, minibatch_size=minibatch_size, progress_bar=False
                )
        else:
            sim = resolve_sim(source)
        try:
            _check_records(sim, self.records)
        except ValidationError:
            if self._owns_sim:
                sim.close()
            raise
        self.sim, self.window, self.fps = sim, float(window), float(fps)
        self.engine = LiveEngine(sim, chunk_steps, window, real_time)
        self.training = LiveTraining(self.engine, targets)
        recorded = {p for r in self.records for p in r.probes}
        self.probes = (
            [p for p in sim.model.probes if p not in recorded]
            if probes is None
            else list(probes)
        )
        self.redraws, self._drawn_time = 0, None
        self.plots = {p: LiveProbePlot(p) for p in self.probes}
        self.xy_views = {p: v.xy for p, v in self.plots.items() if v.xy is not None}
        self._syncing = False
        self._ui_thread = None
        self._draw_lock = threading.Lock()  # one redraw at a time, in order
        self._closed = threading.Event()
        ranges = dict(ranges or {})
        self._build_controls(real_time)
        inputs = [
            self._node_row(n, ranges.get(n), i) for i, n in enumerate(self.engine.nodes)
        ]
        self.neurons = LiveNeuronView(
            self.records,
            sim.dt,
            why_empty=NO_ENSEMBLES if self._owns_sim else NO_RECORDS,
        )
        self.neurons.on_switch(self._view_changed)
        buttons = [self.start_button, self.stop_button, self.reset_button]
        super().__init__(
            [
                widgets.HBox([*buttons, self.speed]),
                status_row(self.status, self.message),
                self.batch_item,
                self.training,
                *inputs,
                *(plot.widget for plot in self.plots.values()),
                widgets.HTML("<b>Neurons</b>"),
                self.neurons,
            ]
        )

    # -- layout -------------------------------------------------------------------

    def _build_controls(self, real_time):
        self.start_button = widgets.Button(description="Start", icon="play")
        self.start_button.on_click(lambda _: self._start_or_pause())
        self.stop_button = widgets.Button(description="Stop", icon="stop")
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.speed = widgets.ToggleButtons(
            options=["real time", "as fast as possible"],
            value="real time" if real_time else "as fast as possible",
        )
        self.speed.observe(self._speed_changed, "value")
        self.status, self.message = widgets.HTML(), widgets.HTML()
        mb = self.sim.minibatch_size
        self.batch_item = widgets.Dropdown(
            options=[(ALL_ITEMS, None)] + [(f"item {i}", i) for i in range(mb)],
            value=None,
            description="Batch item",
            layout=widgets.Layout(display="flex" if mb > 1 else "none"),
        )
        self.batch_item.observe(lambda _: self._show_item(), "value")
        self.modes, self.sliders = {}, {}

    def _node_row(self, node, value_range, index):
        low, high = value_range or input_range(node, self.sim.dt)
        mode = widgets.ToggleButtons(options=list(MODE_LABELS), value="own output")
        mode.observe(lambda c, n=node: self._mode_changed(n, c["new"]), "value")
        sliders = [
            widgets.FloatSlider(
                value=0.0,
                min=low,
                max=high,
                step=(high - low) / 200,
                description=f"[{d}]" if node.size_out > 1 else "",
                continuous_update=True,
            )
            for d in range(node.size_out)
        ]
        for s in sliders:
            s.observe(lambda _, n=node: self._slider_moved(n), "value")
        self.modes[node], self.sliders[node] = mode, sliders
        name = node.label or f"input Node {index} ({node.size_out}-D)"
        title = widgets.HTML(f"<b>{html.escape(name)}</b>")
        return widgets.VBox([widgets.HBox([title, mode]), *sliders])

    # -- actions ------------------------------------------------------------------

    def start(self):
        """Start the live run (and the plot updates), on the source's current
        Simulator (a Dashboard's is rebuilt when its trainable settings changed)."""
        try:
            self._follow_source()
            self.engine.start()
        except Exception as e:  # noqa: BLE001 -- shown in the panel
            self.message.value = error_html(e)
            return
        self.message.value = ""
        self.start_button.description, self.start_button.icon = "Pause", "pause"
        if self._ui_thread is None or not self._ui_thread.is_alive():
            self._ui_thread = threading.Thread(
                target=self._follow, name="live plots", daemon=True
            )
            self._ui_thread.start()

    def pause(self):
        """Pause after the chunk in progress."""
        self.engine.pause()
        self.start_button.description, self.start_button.icon = "Resume", "play"
        self.redraw()

    def resume(self):
        """Continue after `pause`."""
        self.engine.resume()
        self.start_button.description, self.start_button.icon = "Pause", "pause"

    def reset(self):
        """Back to time 0 (the plots empty, parameters kept)."""
        self.engine.reset()
        self.redraw()

    def stop(self):
        """Stop the run; the Simulator stays open (unless the panel built it:
        then `close` closes it)."""
        self.engine.stop()
        self.start_button.description, self.start_button.icon = "Start", "play"

    def close(self):
        """Stop, close the widgets, and the Simulator if the panel built it."""
        if not hasattr(self, "engine"):  # (the constructor failed)
            return
        self.stop()
        self._closed.set()
        if self._ui_thread is not None:
            self._ui_thread.join()
        for child in self.children:
            close_tree(child)
        super().close()
        if self._owns_sim:
            self.sim.close()

    def _follow_source(self):
        """Move to the source's current Simulator if it changed (inputs kept)."""
        if self._owns_sim or self.engine.running:
            return
        sim = resolve_sim(self.source)
        if sim is self.sim:
            return
        _check_records(sim, self.records)
        old = self.engine
        new = LiveEngine(sim, old.chunk_steps, self.window, old.real_time)
        for node in old.nodes:
            for item in range(sim.minibatch_size):
                new.set_input(node, old.input_value(node, item), item=item)
            new.set_mode(node, old.mode(node))
        self.sim, self.engine = sim, new
        self.training.engine = new

    def _start_or_pause(self):
        if not self.engine.running:
            self.start()
        elif self.engine.paused:
            self.resume()
        else:
            self.pause()

    def _speed_changed(self, change):
        self.engine.real_time = change["new"] == "real time"

    # -- inputs -------------------------------------------------------------------

    def _slider_moved(self, node):
        if self._syncing:
            return
        value = [s.value for s in self.sliders[node]]
        self.engine.set_input(node, value, item=self.batch_item.value)
        self._syncing = True
        try:
            self.modes[node].value = "slider"
        finally:
            self._syncing = False

    def _mode_changed(self, node, label):
        if self._syncing:
            return
        if MODE_LABELS[label] == "slider":  # the sliders' values from now on
            self._slider_moved(node)
        else:
            self.engine.set_mode(node, "own")

    def _show_item(self):
        """Sliders show the chosen item's values (item 0 for all items)."""
        item = self.batch_item.value or 0
        self._syncing = True
        try:
            for node, sliders in self.sliders.items():
                for s, v in zip(sliders, self.engine.input_value(node, item)):
                    s.value = float(v)
        finally:
            self._syncing = False
        self._view_changed()

    # -- plots --------------------------------------------------------------------

    def _view_changed(self):
        """Redraw after a choice in the panel: by the plot thread while the
        run advances (a widget's observer then never waits for a redraw in
        progress), else now."""
        following = self._ui_thread is not None and self._ui_thread.is_alive()
        if following and self.engine.running and not self.engine.paused:
            self._drawn_time = None  # `_follow` redraws at its next tick
        else:
            self.redraw()

    def _follow(self):
        """Redraw while the run lasts, at most ``fps`` times a second."""
        period = 1.0 / self.fps
        while not self._closed.is_set() and self.engine.running:
            start = time.perf_counter()
            if self.engine.time != self._drawn_time:
                self.redraw()
            self._closed.wait(max(0.0, period - (time.perf_counter() - start)))
        self.redraw()

    def redraw(self):
        """Update plots and status from the engine (any thread)."""
        with self._draw_lock:
            self._redraw()

    def _redraw(self):
        t_now = self.engine.time
        item = self.batch_item.value or 0
        for probe, plot in self.plots.items():
            t, values = self.engine.window_data(probe)
            plot.update(t, values[item], t_now, self.window)
        still = self.engine.paused or not self.engine.running
        self.neurons.update(self.engine, item, t_now, self.window, force=still)
        speed = self.engine.achieved_speed
        speed_text = "" if np.isnan(speed) else f", {speed:.2f}x real time"
        state = " (paused)" if self.engine.paused and self.engine.running else ""
        self.status.value = (
            f"t = {t_now:.2f} s{speed_text}{state}; programs built: "
            f"{self.engine.programs_built}"
        )
        if self.engine.error is not None:
            self.message.value = error_html(f"The run failed: {self.engine.error}")
            self.start_button.description, self.start_button.icon = "Start", "play"
        self._drawn_time = t_now
        self.redraws += 1


def _check_records(sim, records):
    """Raise unless every record's probes are in ``sim``'s model."""
    built = set(sim.model.probes)
    for r in records:
        if not all(p in built for p in r.probes):
            raise ValidationError(
                f"records: the probes of {r.ensemble} are not in the Simulator's "
                "model (build it inside neuron_probes.recording_probes(net, "
                "records), as a Dashboard does)",
                attr="records",
                obj=r.ensemble,
            )
