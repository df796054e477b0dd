"""RunPanel: run the Simulator on the designed inputs and plot chosen probes."""

import threading
import time

import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.decimate import minmax_decimate
from nengodl_notebook.widgets.labels import error_html, format_duration, probe_label
from nengodl_notebook.widgets.legend import (
    legend_entries,
    legend_html,
    legend_widget,
    line_labels,
    palette,
    plot_row,
)
from nengodl_notebook.widgets.plots import (
    NumberField,
    close_tree,
    line_figure,
    run_inputs,
    series_lines,
    set_lines,
    status_row,
    target_values,
)
from nengodl_notebook.widgets.sim_access import (
    batch_item_chooser,
    hold_sim,
    probe_chooser,
    resolve_sim,
    show_failure,
    sim_probes,
)
from nengodl_notebook.widgets.xy_plot import XYPlot

#: Steps per chunk of a run at first (halved while a chunk takes longer than
#: CHUNK_SECONDS, down to MIN_CHUNK_STEPS), so that Stop answers quickly.
CHUNK_STEPS = 1000
MIN_CHUNK_STEPS = 50
CHUNK_SECONDS = 0.5
#: The plot follows a run at most this often (seconds).
REDRAW_SECONDS = 0.5
#: The batch item chooser's value that shows every item.
ALL_ITEMS = "all"


class RunPanel(widgets.VBox):
    """Run time, Run button, probe and batch item selectors, and a plot.

    Each run starts from time 0 (``sim.reset()``), feeds ``designer.data()`` and
    plots the chosen probes of one batch item, one colour per dimension, named
    in a legend beside the plot; known targets are drawn dashed. 2-D probes can
    also be seen as a path, dim 1 against dim 0 (the "XY" view).
    Runs go in chunks with a progress bar and a Stop button; each line is drawn
    with at most `decimate.MAX_POINTS` points (its envelope: the full data
    stays in ``sim.data``).

    Parameters
    ----------
    source : Simulator, or an object with a ``sim`` attribute (Dashboard), or callable
        Where the Simulator comes from (asked at each run).
    designer : InputDesignerWidget, optional
        Provides ``data()``; its ``n_steps`` follows the run time.
    targets : dict, optional
        ``{probe: fn(t, x) or array}`` (see `plots.target_values`).
    run_time : float
        Initial run time in seconds.
    probes : list of nengo.Probe, optional
        Probes to offer (default: all).

    Attributes
    ----------
    run_button, stop_button : ipywidgets.Button
        "Run" and "Stop".
    progress : ipywidgets.IntProgress
        Steps done of the run in progress (hidden otherwise).
    run_time : NumberField
        "run time (s)"; ``run_time.text`` is the Text widget.
    probe_select : ipywidgets.SelectMultiple
        "Probes" (values are indices into ``probes``).
    item_select : ipywidgets.Dropdown
        "Batch item": an item, or `ALL_ITEMS` ("all", when there are several),
        each item's lines in their own colours, named "item 2: out[0]".
    status, message : ipywidgets.HTML
        Run summary, and errors/refusals.
    view : ipywidgets.ToggleButtons
        "time" (values against time) or "xy" (dim 1 against dim 0 of each
        chosen probe of 2 or more dimensions, see `xy`).
    figure : bqplot.Figure
        The time view.
    xy : XYPlot
        The XY view (``xy.figure``, ``xy.lines`` by probe, and by
        ``("target", probe)`` for targets).
    colors : dict
        ``{probe: [colour per dimension]}``: no two lines share a colour
        (until the palette cycles).
    probe_lines, target_lines : dict
        ``{probe: bqplot.Lines}`` (one line per dimension, named
        ``label[d]``; built once; hidden when not chosen).
    legend : ipywidgets.HTML
        The shown lines' colours and names, beside the figure.
    """

    def __init__(self, source, designer=None, targets=None, run_time=1.0, probes=None):
        super().__init__()
        self.source, self.designer = source, designer
        self.targets = dict(targets or {})
        sim = resolve_sim(source)
        self.dt = sim.dt
        self.probes = list(probes) if probes else sim_probes(sim)
        self.minibatch_size = sim.minibatch_size or 1
        self.message = widgets.HTML()
        self.status = widgets.HTML()
        self.run_time = NumberField(
            "run time (s)",
            run_time,
            low=self.dt,
            high=1e4,
            message=self.message,
            on_change=self._time_changed,
        )
        self.run_button = widgets.Button(description="Run", button_style="primary")
        self.run_button.on_click(self.run)
        self.stop_button = widgets.Button(description="Stop", disabled=True)
        self.stop_button.on_click(self.stop)
        self.progress = widgets.IntProgress(
            min=0, max=1, layout=widgets.Layout(width="160px", visibility="hidden")
        )
        self._stop, self._running = threading.Event(), threading.Event()
        self._thread = None
        self.probe_select = probe_chooser(self.probes, self.targets, multiple=True)
        self.item_select = batch_item_chooser(self.minibatch_size)
        if self.minibatch_size > 1:
            self.item_select.options = [
                *((str(i), i) for i in range(self.minibatch_size)),
                ("all", ALL_ITEMS),
            ]
        self.view = widgets.ToggleButtons(
            options=[("time", "time"), ("XY", "xy")],
            description="View",
            tooltips=["values against time", "dim 1 against dim 0 (2-D probes)"],
            style={"button_width": "56px"},
        )
        for chooser in (self.probe_select, self.item_select):
            chooser.observe(lambda change: self.redraw(), "value")
        self.view.observe(self._view_changed, "value")
        self._build_figure()
        controls = widgets.HBox(
            [self.run_time.text, self.run_button, self.stop_button, self.progress]
        )
        choices = widgets.HBox(
            [self.probe_select, widgets.VBox([self.item_select, self.view])],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        self.children = [
            controls,
            choices,
            status_row(self.status, self.message),
            self.plot,
        ]
        self._time_changed(self.run_time.value)

    def _build_figure(self):
        """A time figure and an XY figure with one colour per probe dimension."""
        self.figure, scales = line_figure("Probe outputs", y_label="value")
        self.xy = XYPlot()
        self.colors, self.probe_lines, self.target_lines = {}, {}, {}
        self._starts, start = {}, 0
        for probe in self.probes:
            name, size = probe_label(probe), probe.size_in
            self.colors[probe] = colors = palette(start, size)
            self._starts[probe], start = start, start + size
            self.probe_lines[probe] = series_lines(
                scales, colors, line_labels(name, size)
            )
            if probe in self.targets:
                self.target_lines[probe] = series_lines(
                    scales, colors, line_labels(f"target: {name}", size), dashed=True
                )
            if size >= 2:
                self.xy.add(probe, colors[0], f"{name}: [1] against [0]")
                if probe in self.targets:
                    self.xy.add(
                        ("target", probe), colors[0], f"target: {name}", dashed=True
                    )
        self.figure.marks = list(self.probe_lines.values()) + list(
            self.target_lines.values()
        )
        self.legend = legend_widget()
        self.plot = plot_row(self.figure, self.legend)
        self._results = None  # {probe: (t, data)} of the last run
        self._inputs = None  # per batch item: the run's inputs (for targets)

    @property
    def sim(self):
        """The Simulator (asked from the source each time)."""
        return resolve_sim(self.source)

    @property
    def n_steps(self):
        """(int) Steps of a run at the current run time."""
        return max(round(self.run_time.value / self.dt), 1)

    def _time_changed(self, value):
        if self.designer is not None:
            self.designer.n_steps = self.n_steps

    # -- running -------------------------------------------------------------------

    @property
    def running(self):
        """(bool) Whether a run is in progress."""
        return self._running.is_set()

    def run(self, button=None, background=None):
        """Reset the Simulator, run it for the run time and plot (the "Run" button).

        The run goes in chunks, with a progress bar and a Stop button, and the
        plot follows it. From the button it runs in a background thread, so that
        the page stays responsive (`wait` joins it).

        Parameters
        ----------
        button : ipywidgets.Button, optional
            Given when the button was clicked.
        background : bool, optional
            Run in a background thread (default: when clicked).

        Returns
        -------
        bool
            Whether the run started (background) or ran to its end or to Stop
            (foreground). False while training holds the Simulator, or on errors.
        """
        if self.running:
            return False
        sim = self.sim
        lock = hold_sim(sim, self.message)
        if lock is None:
            return False
        try:
            self.message.value = ""
            data = self.designer.data() if self.designer is not None else None
        except Exception as e:  # noqa: BLE001 -- bad inputs: shown, nothing run
            lock.release()
            show_failure(self.message, "Run", e)
            return False
        self._stop.clear()
        self._running.set()
        self._show_running(True)
        if background is None:
            background = button is not None
        if not background:
            return self._run_chunks(sim, lock, data)
        self._thread = threading.Thread(
            target=self._run_chunks, args=(sim, lock, data), daemon=True
        )
        self._thread.start()
        return True

    def stop(self, button=None):
        """Stop a run after its current chunk (the "Stop" button)."""
        self._stop.set()

    def wait(self, timeout=None):
        """Wait for a background run to end; returns whether none is running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _run_chunks(self, sim, lock, data):
        """Run ``n_steps`` from time 0 in chunks; returns whether it got to plot."""
        n_steps, done, chunk = self.n_steps, 0, CHUNK_STEPS
        started = last_draw = time.perf_counter()
        try:
            sim.reset(include_trainable=False)
            while done < n_steps and not self._stop.is_set():
                steps = min(chunk, n_steps - done)
                part = None
                if data is not None:
                    part = {node: v[:, done : done + steps] for node, v in data.items()}
                t0 = time.perf_counter()
                sim.run_steps(steps, data=part, progress_bar=False)
                if done and time.perf_counter() - t0 > CHUNK_SECONDS:
                    chunk = max(chunk // 2, MIN_CHUNK_STEPS)  # not the compiling one
                done += steps
                self._show_progress(done, n_steps, time.perf_counter() - started)
                if time.perf_counter() - last_draw > REDRAW_SECONDS:
                    self._collect(sim, done)
                    self.redraw()
                    last_draw = time.perf_counter()
            self._collect(sim, done)
        except Exception as e:  # noqa: BLE001 -- shown in the panel, not lost in a thread
            show_failure(self.message, "Run", e)
            return False
        finally:
            lock.release()
            self._running.clear()
            self._show_running(False)
        took = format_duration(time.perf_counter() - started)
        if done < n_steps:
            self.status.value = f"Stopped after {done} of {n_steps} steps ({took})."
        else:
            self.status.value = f"Ran {done} steps ({done * self.dt:g} s) in {took}."
        self.redraw()
        return True

    def _collect(self, sim, n_steps):
        """Keep the probe data and inputs of the run so far (for plots, targets)."""
        self._results = {
            p: (sim.trange(sample_every=p.sample_every), np.array(sim.data[p]))
            for p in self.probes
        }
        self._inputs = [
            run_inputs(sim, self.designer, i, n_steps)
            for i in range(self.minibatch_size)
        ]

    def _show_running(self, running):
        self.run_button.disabled = running
        self.stop_button.disabled = not running
        self.progress.layout.visibility = "visible" if running else "hidden"
        if running:
            self.progress.value = 0
            self.status.value = "Running (the first run of a length compiles)..."

    def _show_progress(self, done, n_steps, seconds):
        self.progress.max = n_steps
        self.progress.value = done
        left = format_duration(seconds * (n_steps - done) / done)
        self.status.value = f"Running: step {done} of {n_steps} ({left} left)"

    def probe_values(self, probe, item=None):
        """``(t, y)`` of the last run for one probe and batch item (y ``(n, size)``)."""
        item = self.item_select.value if item is None else item
        t, data = self._results[probe]
        return t, data[item] if data.ndim == 3 else data

    def _view_changed(self, change):
        figure = self.xy.figure if change["new"] == "xy" else self.figure
        self.plot.children = [figure, self.legend]
        self.redraw()

    def redraw(self):
        """Show the chosen probes (and their targets) of the chosen batch item(s)."""
        if self._results is None:
            return
        chosen = [p for i, p in enumerate(self.probes) if i in self.probe_select.value]
        item = self.item_select.value
        items = list(range(self.minibatch_size)) if item == ALL_ITEMS else [item]
        if self.view.value == "xy":
            entries = self._redraw_xy(chosen, items)
        else:
            entries = self._redraw_time(chosen, items)
        self.legend.value = legend_html(entries) if entries else self._no_lines()

    def _no_lines(self):
        if self.view.value == "xy":
            return "<i>The XY view shows probes of 2 or more dimensions.</i>"
        return "<i>No probe chosen.</i>"

    def _line_style(self, probe, items, prefix=""):
        """Labels and colours of a probe's lines over ``items`` (item-major)."""
        size, several = probe.size_in, len(items) > 1
        labels = [
            prefix + label
            for i in items
            for label in line_labels(probe_label(probe), size, i if several else None)
        ]
        return labels, palette(self._starts[probe] * len(items), size * len(items))

    def _targets(self, probe, items):
        """Targets of ``items`` side by side ``(n, items * size)``, or None."""
        t = self._results[probe][0]
        values = [self._target(probe, t, i) for i in items]
        if any(v is None for v in values):
            return None
        n = min(len(v) for v in values)
        return t[:n], np.concatenate([v[:n] for v in values], axis=1)

    def _redraw_time(self, chosen, items):
        entries = []
        with self.figure.hold_sync():
            for probe, lines in self.probe_lines.items():
                lines.visible = probe in chosen
                if probe in chosen:
                    t = self._results[probe][0]
                    y = np.concatenate(
                        [self.probe_values(probe, i)[1] for i in items], 1
                    )
                    labels, colors = self._line_style(probe, items)
                    t, y = minmax_decimate(t, y)
                    set_lines(lines, t, y.T, labels)
                    lines.colors = colors
                    entries += legend_entries(labels, colors)
            for probe, lines in self.target_lines.items():
                target = self._targets(probe, items) if probe in chosen else None
                lines.visible = target is not None
                if target is not None:
                    labels, colors = self._line_style(probe, items, "target: ")
                    t, y = minmax_decimate(*target)
                    set_lines(lines, t, y.T, labels)
                    lines.colors = colors
                    entries += legend_entries(labels, colors, dashed=True)
        return entries

    def _redraw_xy(self, chosen, items):
        paths, entries = {}, []
        for probe in chosen:
            if probe not in self.xy.lines:
                continue
            colors = self._line_style(probe, items)[1][:: probe.size_in]
            name = probe_label(probe)
            paths[probe] = np.stack([self.probe_values(probe, i)[1] for i in items])
            labels = [f"{name}: [1] against [0]"]
            if len(items) > 1:
                labels = [f"item {i}: {name}" for i in items]
            keys = [probe]
            target = self._targets(probe, items) if probe in self.targets else None
            if target is not None:
                size = probe.size_in
                paths[("target", probe)] = np.stack(
                    [target[1][:, k * size : (k + 1) * size] for k in range(len(items))]
                )
                keys.append(("target", probe))
            for key in keys:
                dashed = isinstance(key, tuple)  # a target's path
                named = [f"target: {label}" for label in labels] if dashed else labels
                self.xy.lines[key].colors, self.xy.lines[key].labels = colors, named
                entries += legend_entries(named, colors, dashed)
        self.xy.show(paths)
        return entries

    def _target(self, probe, t, item):
        try:
            return target_values(self.targets[probe], t, self._inputs[item], item)
        except Exception as e:  # noqa: BLE001 -- a user function: say which probe's target failed
            self.message.value = error_html(
                f"Target of {probe_label(probe)} failed: {type(e).__name__}: {e}"
            )
            return None

    def close(self):
        """Stop a run in progress, then close the panel's widgets.

        The designer is not the panel's: it stays open.
        """
        self.stop()
        self.wait(timeout=10)
        for child in (*self.children, self.figure, self.xy.figure):
            close_tree(child)
        super().close()
