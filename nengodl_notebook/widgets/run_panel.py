"""RunPanel: run the Simulator on the designed inputs and plot chosen probes."""

import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.plots import (
    COLORS,
    NumberField,
    close_tree,
    error_html,
    line_figure,
    new_lines,
    probe_label,
    resolve_sim,
    run_inputs,
    set_lines,
    sim_lock,
    sim_probes,
    target_values,
)


class RunPanel(widgets.VBox):
    """Run time, Run button, probe and batch item selectors, and a plot.

    Each run starts from time 0 (``sim.reset()``), feeds ``designer.data()`` and
    plots the chosen probes of one batch item; known targets are drawn dashed.

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
    run_button : ipywidgets.Button
        "Run".
    run_time : NumberField
        "run time (s)"; ``run_time.text`` is the Text widget.
    probe_select : ipywidgets.SelectMultiple
        "Probes" (values are indices into ``probes``).
    item_select : ipywidgets.Dropdown
        "Batch item".
    status, message : ipywidgets.HTML
        Run summary, and errors/refusals.
    figure : bqplot.Figure
    probe_lines, target_lines : dict
        ``{probe: bqplot.Lines}`` (built once; hidden when not chosen).
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
        default = [i for i, p in enumerate(self.probes) if p in self.targets] or [0]
        self.probe_select = widgets.SelectMultiple(
            options=[(probe_label(p), i) for i, p in enumerate(self.probes)],
            value=default if self.probes else [],
            description="Probes",
        )
        self.item_select = widgets.Dropdown(
            options=list(range(self.minibatch_size)), description="Batch item"
        )
        self.probe_select.observe(lambda change: self.redraw(), "value")
        self.item_select.observe(lambda change: self.redraw(), "value")
        self._build_figure()
        controls = widgets.HBox([self.run_time.text, self.run_button, self.item_select])
        self.children = [
            controls,
            self.probe_select,
            self.message,
            self.status,
            self.figure,
        ]
        self._time_changed(self.run_time.value)

    def _build_figure(self):
        self.figure, scales = line_figure("Probe outputs", y_label="value")
        self.probe_lines, self.target_lines = {}, {}
        for i, probe in enumerate(self.probes):
            color = COLORS[i % len(COLORS)]
            self.probe_lines[probe] = new_lines(scales, color, probe_label(probe))
            if probe in self.targets:
                self.target_lines[probe] = new_lines(
                    scales, color, f"target: {probe_label(probe)}", dashed=True
                )
        self.figure.marks = list(self.probe_lines.values()) + list(
            self.target_lines.values()
        )
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

    def run(self, button=None):
        """Reset the Simulator, run it for the run time, plot (the "Run" button).

        Returns
        -------
        bool
            Whether it ran (False while training holds the Simulator, or on errors).
        """
        sim = self.sim
        lock = sim_lock(sim)
        if not lock.acquire(blocking=False):
            self.message.value = error_html(
                "The Simulator is busy (training is running): press Stop or wait."
            )
            return False
        try:
            self.message.value = ""
            data = self.designer.data() if self.designer is not None else None
            sim.reset()
            sim.run_steps(self.n_steps, data=data, progress_bar=False)
            self._results = {
                p: (sim.trange(sample_every=p.sample_every), np.array(sim.data[p]))
                for p in self.probes
            }
            self._inputs = [
                run_inputs(sim, self.designer, i, self.n_steps)
                for i in range(self.minibatch_size)
            ]
        except Exception as e:  # noqa: BLE001 -- shown in the panel, not lost in a callback
            self.message.value = error_html(f"Run failed: {type(e).__name__}: {e}")
            return False
        finally:
            lock.release()
        self.status.value = f"Ran {self.n_steps} steps ({self.n_steps * self.dt:g} s)."
        self.redraw()
        return True

    def probe_values(self, probe, item=None):
        """``(t, y)`` of the last run for one probe and batch item (y ``(n, size)``)."""
        item = self.item_select.value if item is None else item
        t, data = self._results[probe]
        return t, data[item] if data.ndim == 3 else data

    def redraw(self):
        """Show the chosen probes (and their targets) of the chosen batch item."""
        if self._results is None:
            return
        chosen = {self.probes[i] for i in self.probe_select.value}
        item = self.item_select.value
        with self.figure.hold_sync():
            for probe, lines in self.probe_lines.items():
                lines.visible = probe in chosen
                if probe in chosen:
                    t, y = self.probe_values(probe, item)
                    set_lines(lines, t, y.T)
            for probe, lines in self.target_lines.items():
                t = self._results[probe][0]
                target = self._target(probe, t, item)
                lines.visible = probe in chosen and target is not None
                if lines.visible:
                    set_lines(lines, t[: len(target)], target.T)

    def _target(self, probe, t, item):
        try:
            return target_values(self.targets[probe], t, self._inputs[item], item)
        except Exception as e:  # noqa: BLE001 -- a user function: say which probe's target failed
            self.message.value = error_html(
                f"Target of {probe_label(probe)} failed: {type(e).__name__}: {e}"
            )
            return None

    def close(self):
        """Close the panel's widgets (the designer is not the panel's)."""
        for child in self.children:
            close_tree(child)
        super().close()
