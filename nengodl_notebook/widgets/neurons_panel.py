"""NeuronsPanel: the spikes, firing rates, tuning curves and decoded value of one
ensemble in the last run, from the probes of `neuron_probes`."""

import html

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.neuron_probes import (
    EnsembleRecord,
    decoded_value,
    firing_rates,
    health_rows,
    neuron_curves,
    raster_points,
    rate_histogram,
)
from nengodl_notebook.widgets.plots import (
    COLORS,
    close_tree,
    line_figure,
    new_lines,
    set_lines,
)
from nengodl_notebook.widgets.sim_access import (
    batch_item_chooser,
    hold_sim,
    resolve_sim,
    show_failure,
)

#: Shown while no ensemble is chosen.
CHOOSE = (
    'Click an ensemble in the Network tab (click mode "show neurons"), '
    "or choose one here."
)
#: Shown while the Simulator has not run.
NO_RUN = "No run yet: press Run here (or in the Run tab)."


def raster_figure(height="260px"):
    """An empty spike raster: ``(figure, scales, scatter mark)``."""
    figure, scales = line_figure("Spikes", y_label="recorded neuron", height=height)
    mark = bq.Scatter(
        x=np.zeros(0),
        y=np.zeros(0),
        scales=scales,
        colors=[COLORS[0]],
        default_size=6,
        marker="rectangle",
    )
    figure.marks = [mark]
    return figure, scales, mark


def ensemble_label(ens):
    """A short name for an Ensemble: its label, or ``str(ens)``."""
    return ens.label if ens.label else str(ens)


class NeuronsPanel(widgets.VBox):
    """One ensemble's neurons in the last run of the Simulator, for one batch item.

    Parameters
    ----------
    source : Simulator, or an object with a ``sim`` attribute (Dashboard), or callable
        Where the Simulator comes from (its model must hold the records' probes).
    records : list of EnsembleRecord
        The recorded ensembles (`neuron_probes.ensemble_records`).
    run : callable, optional
        Called by the "Run" button (e.g. the run panel's run in the foreground);
        the button is hidden without it.

    Attributes
    ----------
    ensemble_select : ipywidgets.Dropdown
        "Ensemble" (values: indices into ``records``, None before a choice).
    item_select : ipywidgets.Dropdown
        "Batch item".
    run_button : ipywidgets.Button
    message, health_table : ipywidgets.HTML
        The health table lists, per recorded ensemble, the mean rate and the dead
        (never firing) and saturated (>= 90 % of the maximum rate) neurons.
    raster, rates, curves, value : bqplot.Figure
    """

    def __init__(self, source, records, run=None):
        super().__init__()
        self.source, self.run_callback = source, run
        self.records: list[EnsembleRecord] = list(records)
        sim = resolve_sim(source)
        self.dt = sim.dt
        self.message, self.health_table = widgets.HTML(CHOOSE), widgets.HTML()
        self.ensemble_select = widgets.Dropdown(
            options=[(ensemble_label(r.ensemble), i) for i, r in enumerate(records)],
            value=None,
            description="Ensemble",
        )
        self.item_select = batch_item_chooser(sim.minibatch_size or 1)
        self.run_button = widgets.Button(description="Run", button_style="primary")
        self.run_button.layout.display = None if run is not None else "none"
        self.run_button.on_click(self.run)
        self.ensemble_select.observe(lambda change: self.redraw(), "value")
        self.item_select.observe(lambda change: self.redraw(), "value")
        self._build_figures()
        controls = widgets.HBox(
            [self.ensemble_select, self.item_select, self.run_button]
        )
        grid = widgets.GridBox(
            [self.raster, self.rates, self.curves, self.value],
            layout=widgets.Layout(grid_template_columns="1fr 1fr", width="100%"),
        )
        self.children = [controls, self.message, grid, self.health_table]
        if not records:
            self.message.value = error_html(
                "No ensemble is recorded (record_neurons=0, or only Direct mode)."
            )

    def _build_figures(self):
        height = "260px"
        self.raster, scales, self.raster_mark = raster_figure(height)
        self.rates, scales = line_figure(
            "Firing rates", x_label="rate (Hz)", y_label="neurons", height=height
        )
        self.rate_bars = bq.Bars(
            x=np.zeros(0), y=np.zeros(0), scales=scales, colors=[COLORS[1]]
        )
        self.rates.marks = [self.rate_bars]
        self.curves, scales = line_figure(
            "Tuning curves", x_label="represented value", y_label="rate (Hz)"
        )
        self.curves.layout.height = height
        self.curve_lines = new_lines(scales, COLORS[2])
        self.curve_lines.colors = COLORS
        self.curves.marks = [self.curve_lines]
        self.value, scales = line_figure(
            "Decoded value", y_label="value", height=height
        )
        self.value_lines = new_lines(scales, COLORS[0])
        self.value_lines.colors = COLORS
        self.value.marks = [self.value_lines]

    @property
    def sim(self):
        """The Simulator (asked from the source each time)."""
        return resolve_sim(self.source)

    @property
    def record(self):
        """The chosen ensemble's `EnsembleRecord`, or None."""
        index = self.ensemble_select.value
        return None if index is None else self.records[index]

    def select(self, ensemble):
        """Show ``ensemble`` (ignored when it is not recorded); whether it is."""
        for i, r in enumerate(self.records):
            if r.ensemble is ensemble:
                self.ensemble_select.value = i  # redraws
                return True
        return False

    def run(self, button=None):
        """Run the model (the "Run" button's callback), then redraw."""
        if self.run_callback is None:
            return False
        ran = self.run_callback()
        self.redraw()
        return bool(ran)

    # -- data ----------------------------------------------------------------------

    def data(self, record=None, item=None, sim=None):
        """What the plots show, from the last run (None if there was none).

        Returns
        -------
        dict or None
            ``t``, ``output`` ``(n_steps, n_recorded)`` (spikes or rates),
            ``rates`` (Hz per recorded neuron), ``raster`` (times, rows, every),
            ``histogram`` (centers, counts, edges), ``curves`` (x, rates, label)
            and ``value`` ``(n_steps, dimensions)``.
        """
        record = self.record if record is None else record
        item = self.item_select.value if item is None else item
        sim = self.sim if sim is None else sim
        if record is None or sim.n_steps == 0:
            return None
        output = _item(sim.data[record.spikes], item)
        t = sim.trange()[-len(output) :]
        spiking = bool(record.ensemble.neuron_type.spiking)
        rates = firing_rates(output, self.dt, spiking)
        raster = (
            raster_points(output, t, self.dt)
            if spiking
            else (np.zeros(0), np.zeros(0), 1)
        )
        return {
            "t": t,
            "output": output,
            "rates": rates,
            "raster": raster,
            "histogram": rate_histogram(rates),
            "curves": neuron_curves(record.ensemble, sim, record.neurons),
            "value": decoded_value(_item(sim.data[record.value], item), self.dt),
        }

    def health_rows(self, sim=None):
        """Per recorded ensemble over all batch items of the last run:
        ``(label, recorded, mean rate, dead, saturated)``."""
        sim = self.sim if sim is None else sim
        return health_rows(self.records, sim.data, self.dt, ensemble_label)

    # -- drawing -------------------------------------------------------------------

    def redraw(self):
        """Show the chosen ensemble and batch item of the last run."""
        record = self.record
        if record is None:
            self.message.value = CHOOSE if self.records else self.message.value
            return
        sim = self.sim
        lock = hold_sim(sim, self.message)
        if lock is None:
            return
        try:
            data = self.data(record, sim=sim)
            rows = self.health_rows(sim) if data is not None else []
        except Exception as e:  # noqa: BLE001 -- shown in the panel
            show_failure(self.message, "Reading the neurons", e)
            return
        finally:
            lock.release()
        if data is None:
            self.message.value = NO_RUN
            return
        self._draw(record, data)
        self.health_table.value = health_html(rows)

    def _draw(self, record, data):
        ens = record.ensemble
        times, rows, every = data["raster"]
        n = len(record.neurons)
        self.message.value = (
            f"{ensemble_label(ens)}: {n} of {ens.n_neurons} neurons recorded"
            + (f" (every {every}th spike shown)" if every > 1 else "")
            + ("" if ens.neuron_type.spiking else "; rate neurons: no spikes")
        )
        with self.raster_mark.hold_sync():
            self.raster_mark.x, self.raster_mark.y = times, rows.astype(float)
        centers, counts, _ = data["histogram"]
        with self.rate_bars.hold_sync():
            self.rate_bars.x, self.rate_bars.y = centers, counts.astype(float)
        x, rates, label = data["curves"]
        set_lines(self.curve_lines, x, rates.T)
        self.curves.axes[0].label = label
        value = data["value"]
        set_lines(
            self.value_lines,
            data["t"][-len(value) :],
            value.T,
            labels=[f"x[{d}]" for d in range(value.shape[1])],
        )
        self.value_lines.display_legend = value.shape[1] > 1

    def close(self):
        """Close the panel's widgets."""
        for child in self.children:
            close_tree(child)
        super().close()


def _item(data, item):
    data = np.asarray(data)
    return data[item] if data.ndim == 3 else data


def health_html(rows, title="Neuron health in the last run"):
    """An HTML table of `neuron_probes.health_rows`, under ``title``."""
    head = (
        "<tr><th>ensemble</th><th>recorded</th><th>mean rate (Hz)</th>"
        "<th>dead</th><th>saturated</th></tr>"
    )
    body = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{n}</td><td>{rate:.1f}</td>"
        f"<td>{dead}</td><td>{sat}</td></tr>"
        for label, n, rate, dead, sat in rows
    )
    return (
        f"<b>{html.escape(title)}</b> (dead: never fired; saturated: "
        f">= 90 % of the maximum rate)<table>{head}{body}</table>"
    )
