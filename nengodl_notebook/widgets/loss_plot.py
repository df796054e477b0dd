"""The training panel's loss plot: one curve per run, log scale, smoothing.

Every training run keeps its own curves (minibatch loss, epoch means, test
loss) in its own colour, with a marker where it starts; resetting the
parameters starts the next run at minibatch 0 again but erases nothing. The
legend is HTML under the figure, so it never covers a curve.
"""

import html

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.plots import COLORS, Decimator, close_tree

#: Points kept per curve (a `Decimator` merges neighbours beyond twice this).
POINTS = 250


def ema(y, smoothing):
    """Exponential moving average of ``y`` (``smoothing`` 0: unchanged)."""
    y = np.asarray(y, dtype=float)
    if smoothing <= 0 or len(y) < 2:
        return y
    out = np.empty_like(y)
    acc = y[0]
    for i, value in enumerate(y):
        acc = smoothing * acc + (1 - smoothing) * value
        out[i] = acc
    return out


class LossPlot:
    """A loss figure with one set of curves per training run.

    Attributes
    ----------
    figure : bqplot.Figure
    log_scale : ipywidgets.Checkbox
        "log scale" of the loss axis (on by default).
    smoothing : ipywidgets.FloatSlider
        "smoothing" of the minibatch curve (exponential moving average, 0: off).
    legend : ipywidgets.HTML
        One coloured entry per run.
    starts : bqplot.Scatter
        A marker at the first point of each run.
    runs : list of dict
        Per run: ``label``, ``color``, ``series`` (`Decimator` per curve name),
        ``lines`` (bqplot Lines per curve name).
    widget : ipywidgets.VBox
    """

    NAMES = ("batch", "epoch", "test")

    def __init__(self):
        self.log_scale = widgets.Checkbox(value=True, description="log scale")
        self.smoothing = widgets.FloatSlider(
            value=0.0, min=0.0, max=0.99, step=0.01, description="smoothing"
        )
        self.scales = {
            "x": bq.LinearScale(),
            "linear": bq.LinearScale(),
            "log": bq.LogScale(),
        }
        self.x_axis = bq.Axis(scale=self.scales["x"], label="minibatch")
        self.y_axis = bq.Axis(
            scale=self.scales["log"],
            side="left",
            label="loss",
            tick_format=".2g",
            label_offset="55px",
        )
        self.starts = bq.Scatter(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=self._scales(),
            marker="triangle-up",
            colors=[COLORS[0]],
            default_size=80,
        )
        self.figure = bq.Figure(
            marks=[self.starts],
            axes=[self.x_axis, self.y_axis],
            title="Training loss",
            layout=widgets.Layout(width="100%", height="300px"),
            fig_margin={"top": 40, "bottom": 45, "left": 80, "right": 20},
        )
        self.legend = widgets.HTML()
        self.log_scale.observe(self._scale_changed, "value")
        self.smoothing.observe(lambda change: self.redraw(), "value")
        self.runs = []
        self.x0 = 0  # minibatch at which the next run starts
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.log_scale, self.smoothing]),
                self.figure,
                self.legend,
            ]
        )

    def _scales(self):
        return {
            "x": self.scales["x"],
            "y": self.scales["log" if self.log_scale.value else "linear"],
        }

    def _scale_changed(self, change):
        scales = self._scales()
        with self.figure.hold_sync():
            self.y_axis.scale = scales["y"]
            for mark in self.figure.marks:
                mark.scales = scales
        self.redraw()

    def start_run(self, label):
        """Start the curves of a new run (drawn from minibatch ``x0``)."""
        color = COLORS[len(self.runs) % len(COLORS)]
        lines = {
            "batch": self._lines(color, label),
            "epoch": self._lines(color, "", marker="circle"),
            "test": self._lines(color, f"{label} test", dashed=True, marker="square"),
        }
        self.runs.append(
            {
                "label": label,
                "color": color,
                "series": {name: Decimator(POINTS) for name in self.NAMES},
                "lines": lines,
                "x0": self.x0,
            }
        )
        self.figure.marks = [*self.figure.marks, *lines.values()]
        self._legend()

    def _lines(self, color, label, dashed=False, marker=None):
        return bq.Lines(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=self._scales(),
            colors=[color],
            labels=[label],
            line_style="dashed" if dashed else "solid",
            marker=marker,
            display_legend=False,
        )

    def rename(self, label):
        """Rename the current run (e.g. when it stopped)."""
        if self.runs:
            self.runs[-1]["label"] = label
            self._legend()

    def add(self, name, points):
        """Add ``(x, y)`` points to the current run's curve ``name``."""
        series = self.runs[-1]["series"][name]
        for x, y in points:
            series.append(x, y)

    def last(self, name="batch"):
        """The current run's last value of curve ``name`` (NaN if none)."""
        if not self.runs:
            return float("nan")
        _, y = self.runs[-1]["series"][name].arrays()
        return float(y[-1]) if len(y) else float("nan")

    def redraw(self, current_only=False):
        """Draw the runs' curves from their series (with log and smoothing)."""
        runs = self.runs[-1:] if current_only else self.runs
        with self.figure.hold_sync():
            for run in runs:
                for name in self.NAMES:
                    x, y = run["series"][name].arrays()
                    if name == "batch":
                        y = ema(y, self.smoothing.value)
                    self._set(run["lines"][name], x, y)
            firsts = [
                (r["series"]["batch"].arrays(), r["color"])
                for r in self.runs
                if r["series"]["batch"].arrays()[0].size
            ]
            self._set(
                self.starts,
                [xy[0][0] for xy, _ in firsts],
                [xy[1][0] for xy, _ in firsts],
            )
            if firsts:
                self.starts.colors = [c for _, c in firsts]

    def _set(self, mark, x, y):
        y = np.asarray(y, dtype=float)
        if self.log_scale.value:  # a zero loss is drawn at the bottom of the axis
            y = np.where(y > 0, y, np.nan) if y.size else y
        with mark.hold_sync():
            mark.x = np.asarray(x, dtype=float)
            mark.y = y

    def _legend(self):
        entries = "".join(
            f"<span style='margin-right:14px;white-space:nowrap'>"
            f"<span style='color:{r['color']}'>&#9644;</span> "
            f"{html.escape(r['label'])}</span>"
            for r in self.runs
        )
        key = (
            "solid: minibatch loss, dots: epoch mean, dashed: test loss (held-out "
            "data: rate neurons, as in training), "
            "&#9650;: start of a run"
        )
        self.legend.value = (
            f"<div style='font-size:12px'>{entries}<br><i>{key}</i></div>"
            if self.runs
            else ""
        )

    def close(self):
        """Close the figure and the controls."""
        close_tree(self.widget)
