"""The live panel's views: probes over time, XY paths, one ensemble's neurons.

All are drawn from a `LiveEngine`'s window (the last ``window`` seconds) and
updated in place: their axes keep a fixed range that only grows (to a round
number) when the data leave it, so nothing jumps from frame to frame.
"""

import time

import bqplot as bq
import ipywidgets as widgets
import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.widgets.labels import error_html, probe_label
from nengodl_notebook.widgets.legend import (
    legend_entries,
    legend_html,
    legend_widget,
    line_labels,
    palette,
    plot_row,
)
from nengodl_notebook.widgets.neuron_probes import firing_rates, raster_points
from nengodl_notebook.widgets.neurons_panel import ensemble_label, raster_figure
from nengodl_notebook.widgets.plots import COLORS, FIG_MARGIN, line_figure
from nengodl_notebook.widgets.xy_plot import XYPlot, nice_ticks

#: Most points drawn per line (the window is subsampled to this).
MAX_POINTS = 500
#: Most spikes the live raster draws (every k-th spike of a neuron beyond):
#: each is an SVG element the browser redraws.
MAX_LIVE_SPIKES = 800
#: Most raster and rate redraws a second (a browser drawing thousands of dots
#: 25 times a second stopped answering in the browser tests).
NEURON_FPS = 5.0
#: Shown by the neuron view of a Simulator given without ``records=``.
NO_RECORDS = (
    "No neurons recorded: this Simulator was given without records= "
    "(give LivePanel the Network, or a Dashboard, to record neurons)."
)


def window_points(n, max_points=MAX_POINTS):
    """Indices of at most ``max_points`` evenly spaced rows of ``n``, the newest
    always kept (so the plots end at the current time)."""
    step = -(-n // max_points) or 1  # ceil
    return np.arange(n - 1, -1, -step)[::-1]


def grown_limit(limit, needed, headroom=1.2):
    """``limit``, or a round number (1, 2 or 5 times a power of 10) at least
    ``headroom * needed`` when ``needed`` exceeds it."""
    if not needed > limit or not np.isfinite(needed):
        return limit
    want = needed * headroom
    magnitude = 10 ** np.floor(np.log10(want))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= want))


class LiveProbePlot:
    """One probe's window over time with its legend; an XY view beside (2+ D).

    Parameters
    ----------
    probe : nengo.Probe

    Attributes
    ----------
    widget : ipywidgets.Widget
        The plot row (and the XY view).
    lines : bqplot.Lines
    x_scale : bqplot.LinearScale
        Follows the window.
    xy : LiveXYView or None
        For probes of 2 or more dimensions.
    """

    def __init__(self, probe):
        fig, scales = line_figure(probe_label(probe), height="220px")
        size = probe.size_in
        colors = palette(0, size)
        labels = line_labels(probe_label(probe), size)
        self.lines = bq.Lines(x=np.zeros(0), y=np.zeros((size, 0)), scales=scales)
        self.lines.colors, self.lines.labels = colors, labels
        fig.marks = [self.lines]
        self.x_scale = scales["x"]
        legend = legend_widget()
        legend.value = legend_html(legend_entries(labels, colors))
        row = plot_row(fig, legend)
        self.xy = LiveXYView(probe) if size >= 2 else None
        self.widget = row
        if self.xy is not None:
            row.layout.flex, row.layout.min_width = "1 1 auto", "0"
            self.widget = widgets.HBox(
                [row, self.xy.figure], layout=widgets.Layout(width="100%")
            )

    def update(self, t, values, t_now, window):
        """Show ``values`` ``(n, size)`` at times ``t``, the last ``window`` s."""
        keep = window_points(len(t), MAX_POINTS)
        with self.lines.hold_sync():
            self.lines.x, self.lines.y = t[keep], values[keep].T
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = t_now - window, max(t_now, 1e-3)
        if self.xy is not None:
            self.xy.update(values, keep)


class LiveXYView:
    """Dimension 1 against dimension 0 of one probe's window, on a square plot.

    The range is symmetric around 0, starts at (-1, 1) and grows when the path
    leaves it.

    Parameters
    ----------
    probe : nengo.Probe
        With ``size_in >= 2``.
    size : str
        Width and height (CSS).

    Attributes
    ----------
    figure : bqplot.Figure
    lines : bqplot.Lines
    limit : float
        Half the width of the range shown.
    """

    def __init__(self, probe, size="220px"):
        if probe.size_in < 2:
            raise ValidationError(
                f"an XY view needs a probe of 2 or more dimensions; {probe} has "
                f"{probe.size_in}",
                attr="probe",
                obj=probe,
            )
        self.plot = XYPlot(f"{probe_label(probe)} (XY)", size=size)
        self.figure = self.plot.figure
        self.figure.fig_margin = dict(top=40, bottom=52, left=60, right=16)
        self.lines = self.plot.add("path", COLORS[0], probe_label(probe))
        self.lines.visible = True
        self.limit = 0.0
        self._set_limit(1.0)

    def update(self, values, keep):
        """Show rows ``keep`` of ``values`` ``(n, size)`` (columns 0 and 1)."""
        xy = np.asarray(values)[keep, :2]
        with self.lines.hold_sync():
            self.lines.x, self.lines.y = xy[:, 0], xy[:, 1]
        finite = xy[np.isfinite(xy)]
        if len(finite):
            self._set_limit(grown_limit(self.limit, float(np.max(np.abs(finite)))))

    def _set_limit(self, limit):
        if limit == self.limit:
            return
        self.limit = limit
        for scale in self.plot.scales.values():
            with scale.hold_sync():
                scale.min, scale.max = -limit, limit
        for axis in self.figure.axes:
            axis.tick_values = nice_ticks(-limit, limit)


class LiveNeuronView(widgets.VBox):
    """Spike raster and firing rates of the recorded neurons of one ensemble.

    The rates are one horizontal bar per recorded neuron, beside its raster row:
    the mean rate over the window shown, so a bar and its row of spikes tell
    the same story, and a frame sends one number per neuron (a rate over
    time would repeat the raster's density as lines, at more data per frame).
    Raster points go to the browser as float32 (up to 5000 points: 40 kB per
    frame; times stay exact to well under 1 ms for runs shorter than an hour).

    Parameters
    ----------
    records : list of neuron_probes.EnsembleRecord
        The recorded ensembles (their probes must be in the live Simulator).
    dt : float
    why_empty : str
        Shown when ``records`` is empty.

    Attributes
    ----------
    ensemble_select : ipywidgets.Dropdown
        "Ensemble" (values: indices into ``records``).
    message : ipywidgets.HTML
    raster, rates : bqplot.Figure
    raster_mark : bqplot.Scatter
    rate_bars : bqplot.Bars
    """

    def __init__(self, records, dt, why_empty=NO_RECORDS):
        self.records, self.dt = list(records), float(dt)
        self.ensemble_select = widgets.Dropdown(
            options=[(ensemble_label(r.ensemble), i) for i, r in enumerate(records)],
            value=0 if records else None,
            description="Ensemble",
        )
        self.message = widgets.HTML()
        self.rate_limit = 0.0
        self._last_update = 0.0  # perf_counter of the last redraw
        self._build_figures()
        grid = widgets.GridBox(
            [self.raster, self.rates],
            layout=widgets.Layout(grid_template_columns="2fr 1fr", width="100%"),
        )
        super().__init__([self.ensemble_select, self.message, grid])
        if not records:
            self.message.value = error_html(why_empty)
            self.ensemble_select.disabled = True
        else:
            self._show_rows()

    def _build_figures(self):
        self.raster, scales, self.raster_mark = raster_figure("260px")
        self.raster_x, self.raster_y = scales["x"], scales["y"]
        rows, rate = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.rate_bars = bq.Bars(
            x=np.zeros(0),
            y=np.zeros(0),
            scales={"x": rows, "y": rate},
            orientation="horizontal",
            colors=[COLORS[1]],
            padding=0.2,
        )
        self.rates = bq.Figure(
            marks=[self.rate_bars],
            axes=[
                bq.Axis(scale=rows, side="left", tick_format="d"),
                bq.Axis(scale=rate, label="rate over the window (Hz)"),
            ],
            title="Firing rates",
            fig_margin=dict(FIG_MARGIN, left=40),
            layout=widgets.Layout(width="auto", height="260px"),
        )
        self.rows_scale, self.rate_scale = rows, rate

    @property
    def record(self):
        """The chosen ensemble's `EnsembleRecord`, or None."""
        index = self.ensemble_select.value
        return None if index is None else self.records[index]

    def _show_rows(self):
        """Row scales and the message for the chosen ensemble."""
        record = self.record
        n = len(record.neurons)
        for scale in (self.raster_y, self.rows_scale):
            with scale.hold_sync():
                scale.min, scale.max = -0.5, n - 0.5
        with self.rate_bars.hold_sync():
            self.rate_bars.x, self.rate_bars.y = np.arange(n), np.zeros(n)
        self.rate_limit = self.rate_scale.max = 10.0
        self._last_update = 0.0  # the next update draws the new ensemble
        ens = record.ensemble
        self.message.value = f"{ensemble_label(ens)}: {n} of {ens.n_neurons} " + (
            "neurons recorded"
            if ens.neuron_type.spiking
            else "rate neurons (no spikes)"
        )

    def data(self, engine, item=0):
        """The chosen ensemble's window: a dict with ``t``, ``output`` ``(n_steps,
        n_recorded)``, ``raster`` (times, rows, every; `raster_points`) and
        ``rates`` (Hz per recorded neuron; `firing_rates`), or None."""
        record = self.record
        if record is None:
            return None
        t, values = engine.window_data(record.spikes)
        output = values[item]
        spiking = bool(record.ensemble.neuron_type.spiking)
        raster = (
            raster_points(output, t, self.dt, max_points=MAX_LIVE_SPIKES)
            if spiking
            else (np.zeros(0), np.zeros(0, dtype=int), 1)
        )
        rates = firing_rates(output, self.dt, spiking)
        return {"t": t, "output": output, "raster": raster, "rates": rates}

    def update(self, engine, item, t_now, window, force=False):
        """Redraw from ``engine``'s window for batch item ``item`` (any thread);
        at most `NEURON_FPS` times a second unless ``force``."""
        now = time.perf_counter()
        if not force and now - self._last_update < 1.0 / NEURON_FPS:
            return
        self._last_update = now
        data = self.data(engine, item)
        if data is None:
            return
        times, rows, _ = data["raster"]
        with self.raster_mark.hold_sync():  # float32: half the bytes per frame
            self.raster_mark.x = times.astype(np.float32)
            self.raster_mark.y = rows.astype(np.float32)
        with self.raster_x.hold_sync():
            self.raster_x.min, self.raster_x.max = t_now - window, max(t_now, 1e-3)
        rates = data["rates"]
        if len(rates) == len(self.rate_bars.x):  # (not mid-switch)
            self.rate_bars.y = rates
        top = grown_limit(self.rate_limit, float(np.max(rates, initial=0.0)))
        if top != self.rate_limit:
            self.rate_limit = self.rate_scale.max = top

    def on_switch(self, callback):
        """Call ``callback()`` after the ensemble changed (and the rows were set)."""

        def switched(change):
            self._show_rows()
            callback()

        self.ensemble_select.observe(switched, "value")
