"""Shared helpers of the panels: bqplot figures, validated number fields, targets.

How panels reach their Simulator is `sim_access`; nothing here imports the core
beyond what a user could.
"""

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.labels import error_html, probe_label
from nengodl_notebook.widgets.legend import COLORS as COLORS  # panels' colours
from nengodl_notebook.widgets.sim_access import input_nodes, sim_network, sim_probes

#: Figure margins (px): room for the tick numbers and, beyond them, the axis labels.
FIG_MARGIN = {"top": 40, "bottom": 52, "left": 78, "right": 16}
#: Distance of the axis labels from their axis (clear of the tick numbers).
X_LABEL_OFFSET, Y_LABEL_OFFSET = "36px", "58px"


def close_tree(widget):
    """Close a widget and everything under it (Box children, bqplot marks/axes)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    if isinstance(widget, bq.Figure):
        for mark in widget.marks:
            close_tree(mark)
        for axis in widget.axes:
            axis.scale.close()
            axis.close()
    widget.close()


# -- validated number fields ----------------------------------------------------------


class NumberField:
    """A ``Text`` field that accepts only numbers in a range.

    A refused entry (not a number, or out of range) shows a message in
    ``message`` and the field goes back to the last valid value, which stays in
    ``value``.

    Parameters
    ----------
    description : str
        Label of the field.
    value : float or int
        Initial (valid) value.
    low, high : float, optional
        Bounds (inclusive unless ``low_open``/``high_open``).
    integer : bool
        Accept integers only.
    message : ipywidgets.HTML, optional
        Where refusals are shown (cleared by the next valid entry).
    on_change : callable, optional
        Called with the new value after each valid change from the UI.
    low_open, high_open : bool
        Exclude the bound itself.
    check : callable, optional
        ``check(value)`` returns a reason to refuse ``value`` (str) or None.
    """

    def __init__(
        self,
        description,
        value,
        low=None,
        high=None,
        integer=False,
        message=None,
        on_change=None,
        low_open=False,
        high_open=False,
        check=None,
    ):
        self.description = description
        self.check = check
        self.low, self.high, self.integer = low, high, integer
        self.low_open, self.high_open = low_open, high_open
        self.message = message
        self.on_change = on_change
        self.value = self.parse(str(value))
        self.text = widgets.Text(
            value=self._format(self.value),
            description=description,
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="220px"),
        )
        self._setting = False
        self.text.observe(self._changed, "value")

    def _format(self, value):
        return str(int(value)) if self.integer else f"{value:g}"

    def bounds_text(self):
        """The accepted range in words."""
        low = (
            "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        )
        high = (
            ""
            if self.high is None
            else f"{'<' if self.high_open else '<='} {self.high:g}"
        )
        return " and ".join(s for s in (low, high) if s) or "any number"

    def parse(self, text):
        """The number in ``text``; ValueError with a message if refused."""
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{self.description}: {text!r} is not a number") from None
        if not np.isfinite(value):
            raise ValueError(f"{self.description}: {text!r} is not a finite number")
        if self.integer:
            if value != int(value):
                raise ValueError(f"{self.description}: {text!r} is not a whole number")
            value = int(value)
        low_bad = self.low is not None and (
            value < self.low or (self.low_open and value == self.low)
        )
        high_bad = self.high is not None and (
            value > self.high or (self.high_open and value == self.high)
        )
        if low_bad or high_bad:
            raise ValueError(
                f"{self.description}: {text} is out of range "
                f"(must be {self.bounds_text()})"
            )
        reason = self.check(value) if self.check is not None else None
        if reason:
            raise ValueError(f"{self.description}: {reason}")
        return value

    def set(self, value):
        """Set the value from Python (validated; no ``on_change`` call)."""
        self.value = self.parse(str(value))
        self._setting = True
        try:
            self.text.value = self._format(self.value)
        finally:
            self._setting = False

    def _changed(self, change):
        if self._setting:
            return
        try:
            value = self.parse(change["new"].strip())
        except ValueError as e:
            if self.message is not None:
                self.message.value = error_html(e)
            self.set(self.value)  # refused: show the last valid value again
            return
        if self.message is not None:
            self.message.value = ""
        self.value = value
        if self.on_change is not None:
            self.on_change(value)


# -- bqplot --------------------------------------------------------------------------


def line_figure(title, x_label="time (s)", y_label="", height="300px"):
    """An empty bqplot Figure with linear x/y scales and axes.

    Returns
    -------
    fig : bqplot.Figure
    scales : dict
        ``{"x": LinearScale, "y": LinearScale}`` for the marks.
    """
    scales = {"x": bq.LinearScale(), "y": bq.LinearScale()}
    axes = [
        bq.Axis(scale=scales["x"], label=x_label, label_offset=X_LABEL_OFFSET),
        bq.Axis(
            scale=scales["y"],
            side="left",
            label=y_label,
            tick_format=".3~g",
            label_offset=Y_LABEL_OFFSET,
        ),
    ]
    fig = bq.Figure(
        marks=[],
        axes=axes,
        title=title,
        legend_location="top-right",
        # "auto", not "100%": 100% plus the widget margins overflowed the panel
        # by 4 px (a horizontal scrollbar); auto stretches to the panel's width
        layout=widgets.Layout(width="auto", height=height),
        fig_margin=dict(FIG_MARGIN),
    )
    return fig, scales


def status_row(*lines):
    """HTML status/message lines side by side in a row of reserved height.

    A status that appears, changes or goes does not move what is below it.
    """
    for line in lines:
        line.layout.flex = "0 1 auto"
        line.layout.margin = "0 12px 0 0"
    return widgets.HBox(
        list(lines), layout=widgets.Layout(min_height="32px", align_items="center")
    )


def new_lines(scales, color, label="", dashed=False, marker=None):
    """An empty Lines mark of one colour (solid or dashed)."""
    return bq.Lines(
        x=np.zeros(0),
        y=np.zeros(0),
        scales=scales,
        colors=[color],
        labels=[label],
        line_style="dashed" if dashed else "solid",
        display_legend=bool(label),
        marker=marker,
    )


def series_lines(scales, colors, labels, dashed=False):
    """An empty Lines mark of one line per colour and label (no bqplot legend).

    Name the lines in a `legend.legend_html` beside the figure instead: bqplot's
    own legend sits over the data.
    """
    return bq.Lines(
        x=np.zeros(0),
        y=np.zeros(0),
        scales=scales,
        colors=list(colors),
        labels=list(labels),
        line_style="dashed" if dashed else "solid",
        display_legend=False,
    )


def set_lines(lines, x, y, labels=None):
    """Set a Lines mark's data in place: ``y`` is ``(n,)`` or ``(n_lines, n)``."""
    with lines.hold_sync():
        lines.x = np.asarray(x, dtype=float)
        lines.y = np.asarray(y, dtype=float)
        if labels is not None:
            lines.labels = list(labels)


class Decimator:
    """A bounded series: consecutive points are averaged once it gets long.

    Holds at most ``2 * limit`` points: when full, neighbouring pairs merge and
    each later point stands for twice as many raw points.

    Parameters
    ----------
    limit : int
        Points to keep at least (before merging halves them).
    """

    def __init__(self, limit=250):
        self.limit = limit
        self.stride = 1
        self.x, self.y = [], []
        self._acc = []  # raw (x, y) points not yet merged into one

    def append(self, x, y):
        """Add one raw point."""
        self._acc.append((x, y))
        if len(self._acc) < self.stride:
            return
        xs, ys = zip(*self._acc)
        self.x.append(xs[-1])
        self.y.append(float(np.mean(ys)))
        self._acc = []
        if len(self.x) >= 2 * self.limit:
            n = len(self.x) // 2 * 2
            self.x = self.x[1:n:2] + self.x[n:]
            self.y = list(np.mean(np.reshape(self.y[:n], (-1, 2)), axis=1)) + self.y[n:]
            self.stride *= 2

    def arrays(self):
        """``(x, y)`` arrays of the kept points (pending raw points included)."""
        x, y = list(self.x), list(self.y)
        if self._acc:
            xs, ys = zip(*self._acc)
            x.append(xs[-1])
            y.append(float(np.mean(ys)))
        return np.array(x, float), np.array(y, float)


# -- targets and inputs ----------------------------------------------------------------


def target_values(target, t, x, item):
    """Target of one batch item: ``(n_steps, size)`` or None.

    Parameters
    ----------
    target : callable or array_like or None
        ``fn(t, x)`` of the times ``t`` ``(n_steps,)`` and the run's inputs ``x``
        ``(n_steps, total input size)``; or an array ``(batch, n_steps, size)``
        or ``(n_steps, size)``.
    t : ndarray
    x : ndarray or None
    item : int
        Batch item (for array targets).
    """
    if target is None:
        return None
    if callable(target):
        value = np.asarray(target(t, x), dtype=float)
    else:
        value = np.asarray(target, dtype=float)
        if value.ndim == 3:
            value = value[item if value.shape[0] > item else 0]
    if value.ndim == 1:
        value = value[:, None]
    return value[: len(t)]


def run_inputs(sim, designer, item, n_steps):
    """Inputs the last run used, ``(n_steps, total size)`` over the input nodes.

    Taken from an unfiltered probe of each input Node when there is one (exact),
    else from the designer's values; None if neither is available.
    """
    network = sim_network(sim)
    parts = []
    for node in input_nodes(network):
        probe = next(
            (
                p
                for p in sim_probes(sim)
                if p.target is node
                and p.synapse is None
                and p.attr == "output"
                and not p.sample_every
            ),
            None,
        )
        if probe is not None and len(sim.data[probe]) and sim.n_steps == n_steps:
            data = sim.data[probe]
            parts.append(data[item] if data.ndim == 3 else data)
        elif designer is not None and node in designer.nodes:
            parts.append(designer.node_values(node, n_steps)[item])
        else:
            return None
    return np.concatenate(parts, axis=1) if parts else None


def generated_training_data(sim, targets, objective, batch_size, n_steps, seed=0):
    """A dataset like the tutorial's: uniform inputs and targets from functions.

    Each input Node gets values uniform in [-1, 1), one per batch item, held for
    ``n_steps``; each probe of ``objective`` gets ``targets[probe](t, x)`` of each
    item's inputs ``x`` ``(n_steps, total input size)``.

    Returns
    -------
    dict
        ``{node: (batch_size, n_steps, size_out), probe: (batch_size, n_steps, size)}``
    """
    rng = np.random.RandomState(seed)
    nodes = input_nodes(sim_network(sim))
    data = {}
    for node in nodes:
        values = rng.uniform(-1, 1, size=(batch_size, 1, node.size_out))
        data[node] = np.repeat(values, n_steps, axis=1)
    t = sim.dt * np.arange(1, n_steps + 1)
    x = np.concatenate([data[n] for n in nodes], axis=2) if nodes else None
    for probe in objective:
        if targets.get(probe) is None:
            raise ValueError(
                f"No target for probe {probe_label(probe)}: give targets={{probe: "
                "fn(t, x)}} or set its objective to 'none'"
            )
        data[probe] = np.stack(
            [
                target_values(targets[probe], t, None if x is None else x[i], i)
                for i in range(batch_size)
            ]
        )
    return data
