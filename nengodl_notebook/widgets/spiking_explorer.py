"""``SpikingExplorer``: from a rate network to a spiking one, with three sliders.

Firing-rate scale, output synapse and presentation time are tried on a held-out
batch; each setting is scored against the rate network (the Keras model), its
per-layer firing rates are plotted, and its accuracy is kept as a point of an
accuracy-vs-presentation-time plot. The network is compiled once
(`spiking_runs`); scoring runs in a background thread that changes widget
traits only.
"""

import threading

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.plots import (
    COLORS,
    close_tree,
    line_figure,
    series_lines,
    set_lines,
    status_row,
)
from nengodl_notebook.widgets.spiking_runs import SpikingRuns, check_data, to_converter

#: Bins of the firing-rate histogram.
N_BINS = 20


class SpikingExplorer:
    """Tune a converted network's spiking behaviour on held-out data.

    Parameters
    ----------
    model : keras.Model or Converter
        A Keras classifier (converted with ReLU as spiking ReLU) or a Converter
        of one (its neuron types are used as they are). One input, one output.
    x : array_like
        Held-out inputs, ``(n, size)`` or ``(n,) + input shape`` (images).
    y : array_like of int
        Their labels, ``(n,)``.
    scale : float
        Initial firing-rate scale (neuron inputs times ``scale``, outputs
        divided by it; exact for ReLU-like neurons).
    tau : float
        Initial time constant (s) of the lowpass on the output; 0: none.
    n_steps : int
        Initial presentation time (steps).
    max_steps : int
        Longest presentation on the slider (every scale simulates this many).
    example : int
        Row of ``x`` whose output over time is plotted.
    minibatch_size : int
        Examples simulated at once.
    dt : float
        Simulator time step (s).

    Attributes
    ----------
    runs : SpikingRuns
        The Simulator and the remembered runs (one per scale).
    scale, tau, n_steps : ipywidgets sliders
    accuracy_label, status : ipywidgets.HTML
        "rate: 0.95, spiking: 0.91"; progress, errors and programs built.
    results : list of dict
        Every scored setting: ``scale``, ``tau``, ``n_steps``, ``time`` (s),
        ``accuracy``; also the points of the latency plot.
    layer_rates : dict
        Layer label -> mean firing rate (Hz) of each neuron, last setting.
    spiking_accuracy : float or None
    error : Exception or None
        Of the last scoring, also shown in ``status``.
    widget : ipywidgets.VBox
    """

    def __init__(
        self,
        model,
        x,
        y,
        scale=1.0,
        tau=0.0,
        n_steps=30,
        max_steps=100,
        example=0,
        minibatch_size=100,
        dt=0.001,
    ):
        converter = to_converter(model)
        x, y = check_data(converter, x, y)
        if not 0 <= int(example) < len(x):
            raise IndexError(f"example {example} is not a row of x ({len(x)} rows)")
        if not 1 <= int(n_steps) <= int(max_steps):
            raise ValueError(f"n_steps must be in 1..max_steps, got {n_steps}")
        self.example = int(example)
        self.runs = SpikingRuns(converter, x, y, max_steps, minibatch_size, dt)
        self.results: list[dict] = []
        self.layer_rates: dict = {}
        self.spiking_accuracy = None
        self.error = None
        self._pending = None
        self._lock = threading.Lock()
        self._thread = None
        self._running = False
        self._holding = False
        self._make_controls(scale, tau, n_steps, max_steps)
        self._make_figures()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.scale, self.tau, self.n_steps]),
                status_row(self.accuracy_label, self.status),
                widgets.HBox([self.hist_figure, self.output_figure]),
                self.latency_figure,
            ]
        )
        self._request()

    # -- widgets ----------------------------------------------------------------

    def _make_controls(self, scale, tau, n_steps, max_steps):
        style = {"description_width": "initial"}
        self.scale = widgets.FloatLogSlider(
            value=scale,
            base=10,
            min=-1,
            max=3,
            step=0.05,
            description="rate scale",
            style=style,
            readout_format=".3g",
        )
        self.tau = widgets.FloatSlider(
            value=tau,
            min=0,
            max=0.05,
            step=0.001,
            description="synapse τ (s)",
            style=style,
            readout_format=".3f",
        )
        self.n_steps = widgets.IntSlider(
            value=n_steps, min=1, max=max_steps, description="steps", style=style
        )
        for slider in (self.scale, self.tau, self.n_steps):
            slider.continuous_update = False
            slider.observe(lambda _: self._request(), names="value")
        self.accuracy_label = widgets.HTML()
        self.status = widgets.HTML()

    def _make_figures(self):
        self.hist_figure, hist_scales = line_figure(
            "Firing rates per layer", "firing rate (Hz)", "fraction of neurons", "280px"
        )
        hist_scales["y"].min, hist_scales["y"].max = 0.0, 1.0  # fractions
        colors = COLORS[: len(self.runs.layers)] or COLORS[:1]
        self.hist = bq.Bars(
            x=np.zeros(0),
            y=np.zeros((len(colors), 0)),
            scales=hist_scales,
            colors=colors,
            labels=self.runs.layers,
            type="grouped",
            display_legend=True,
            padding=0.05,
        )
        self.hist_figure.marks = [self.hist]
        self.output_figure, out_scales = line_figure(
            f"Output of example {self.example}", "time (s)", "output", "280px"
        )
        self.output_lines = series_lines(
            out_scales, COLORS, [str(i) for i in range(len(COLORS))]
        )
        self.output_figure.marks = [self.output_lines]
        self.latency_figure, lat_scales = line_figure(
            "Accuracy vs presentation time",
            "presentation time (s)",
            "accuracy",
            "260px",
        )
        self.points = bq.Scatter(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=lat_scales,
            colors=[COLORS[0]],
            labels=["spiking"],
            display_legend=True,
        )
        self.rate_line = bq.Lines(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=lat_scales,
            colors=["#7f7f7f"],
            line_style="dashed",
            labels=["rate"],
            display_legend=True,
        )
        self.latency_figure.marks = [self.rate_line, self.points]
        for figure in (self.hist_figure, self.output_figure):
            figure.layout.flex = "1 1 0"
            figure.layout.min_width = "380px"
            figure.axes[0].num_ticks = 5
            figure.axes[0].tick_format = ".3~g"
            figure.axes[0].scale.min = 0.0

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- settings -----------------------------------------------------------------

    def set(self, scale=None, tau=None, n_steps=None):
        """Move the sliders (None: unchanged) and score once; see `wait`."""
        self._holding = True
        try:
            if scale is not None:
                self.scale.value = scale
            if tau is not None:
                self.tau.value = tau
            if n_steps is not None:
                self.n_steps.value = n_steps
        finally:
            self._holding = False
        self._request()

    def wait(self, timeout=None):
        """Wait until every requested setting is scored; True when done."""
        while True:
            with self._lock:
                thread = self._thread if self._running else None
            if thread is None:
                return True
            thread.join(timeout)
            if thread.is_alive():
                return False

    @property
    def programs_built(self):
        """TensorFlow programs traced so far (slider moves add none)."""
        return self.runs.programs_built

    @property
    def rate_accuracy(self):
        """Accuracy of the rate network (the Keras model) on ``x``."""
        return self.runs.rate_accuracy

    def close(self):
        """Close the widgets and the Simulator (after scoring in progress)."""
        self.wait()
        close_tree(self.widget)
        self.runs.close()

    # -- scoring ------------------------------------------------------------------

    def _request(self):
        if self._holding:
            return
        setting = (float(self.scale.value), float(self.tau.value), self.n_steps.value)
        with self._lock:
            self._pending = setting
            if not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._work, daemon=True)
                self._thread.start()

    def _work(self):
        while True:
            with self._lock:
                setting, self._pending = self._pending, None
                if setting is None:
                    self._running = False
                    return
            try:
                self._score(*setting)
                self.error = None
            except Exception as error:  # noqa: BLE001 (shown in the widget, kept)
                self.error = error
                self.status.value = error_html(
                    f"Scoring failed: {type(error).__name__}: {error}"
                )

    def _score(self, scale, tau, n_steps):
        def progress(done, total):
            self.status.value = f"Simulating scale {scale:.3g}: {done}/{total}"

        runs = self.runs
        run = runs.run(scale, progress)
        accuracy = runs.accuracy(run.filtered(tau, n_steps, runs.dt)[:, -1])
        self.spiking_accuracy = accuracy
        self.layer_rates = run.layer_rates(n_steps)
        result = {
            "scale": scale,
            "tau": tau,
            "n_steps": n_steps,
            "time": n_steps * runs.dt,
            "accuracy": accuracy,
        }
        if not self.results or self.results[-1] != result:
            self.results.append(result)
        self._show(run, tau, n_steps)

    def _show(self, run, tau, n_steps):
        runs = self.runs
        self.accuracy_label.value = (
            f"<b>rate: {runs.rate_accuracy:.3f}, spiking: "
            f"{self.spiking_accuracy:.3f}</b>"
        )
        self.status.value = f"programs built: {self.programs_built}"
        centers, fractions = rate_histogram(self.layer_rates)
        with self.hist.hold_sync():
            self.hist.x, self.hist.y = centers, fractions
        out = run.filtered(tau, n_steps, runs.dt)[self.example]
        t = runs.dt * np.arange(1, n_steps + 1)
        set_lines(self.output_lines, t, out.T)
        times = [r["time"] for r in self.results]
        with self.points.hold_sync():
            self.points.x = np.asarray(times, dtype=float)
            self.points.y = np.asarray([r["accuracy"] for r in self.results])
        span = [0.0, runs.max_steps * runs.dt]
        set_lines(self.rate_line, span, [runs.rate_accuracy] * 2)


def rate_histogram(layer_rates, n_bins=N_BINS):
    """Shared bins of every layer's firing rates.

    Returns
    -------
    centers : ndarray, shape ``(n_bins,)``
        Bin centres (Hz), from 0 to the highest rate.
    fractions : ndarray, shape ``(n_layers, n_bins)``
        Fraction of each layer's neurons per bin.
    """
    if not layer_rates:
        return np.zeros(0), np.zeros((1, 0))
    top = max(float(np.max(r)) for r in layer_rates.values())
    edges = np.linspace(0.0, max(top, 1.0), n_bins + 1)
    fractions = [np.histogram(r, edges)[0] / r.size for r in layer_rates.values()]
    return (edges[:-1] + edges[1:]) / 2, np.asarray(fractions)
