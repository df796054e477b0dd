"""InputDesignerWidget: design the input signals of a network's input Nodes.

Every input Node (``size_in == 0``, ``size_out > 0``), batch item and dimension gets
a preset ("node output", "constant", "ramp", "sine", "white signal", "step",
"freehand", or "array" after `InputDesignerWidget.set_data`). ``data()`` gives the
``data=`` dict for ``Simulator.run``.
"""

import collections
import importlib.util

import ipywidgets as widgets
import nengo
import numpy as np

from nengodl_notebook.widgets.decimate import minmax_decimate
from nengodl_notebook.widgets.labels import node_label
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
    series_lines,
    set_lines,
    status_row,
)
from nengodl_notebook.widgets.sim_access import input_nodes

Param = collections.namedtuple(
    "Param", "name description default low high integer low_open"
)


def _param(
    name, description, default, low=None, high=None, integer=False, low_open=False
):
    return Param(name, description, default, low, high, integer, low_open)


NODE_OUTPUT = "node output"
MAX_SEED = 2**31 - 1


def preset_params(dt):
    """Parameters of each preset (the frequency bounds depend on ``dt``)."""
    nyquist = 0.5 / dt
    return {
        NODE_OUTPUT: (),
        "constant": (_param("value", "value", 0.0),),
        "ramp": (_param("start", "start", -1.0), _param("end", "end", 1.0)),
        "sine": (
            _param("amplitude", "amplitude", 1.0),
            _param("frequency", "frequency (Hz)", 1.0, 0.0, nyquist),
            _param("phase", "phase (rad)", 0.0),
        ),
        "white signal": (
            _param("rms", "rms", 0.5, 0.0),
            _param("high", "cut-off high (Hz)", 5.0, 0.0, nyquist, low_open=True),
            _param("seed", "seed", 0, 0, MAX_SEED, integer=True),
        ),
        "step": (
            _param("time", "step time (s)", 0.5, 0.0),
            _param("before", "before", 0.0),
            _param("after", "after", 1.0),
        ),
        "freehand": (),
    }


def preset_signal(preset, params, n_steps, dt):
    """One generated signal ``(n_steps,)`` at times ``dt, 2 dt, ...``.

    Parameters
    ----------
    preset : str
        "constant", "ramp", "sine", "white signal" or "step".
    params : dict
        The preset's parameter values by name (see `preset_params`).
    """
    t = dt * np.arange(1, n_steps + 1)
    if preset == "constant":
        return np.full(n_steps, float(params["value"]))
    if preset == "ramp":
        return np.linspace(params["start"], params["end"], n_steps)
    if preset == "sine":
        phase = 2 * np.pi * params["frequency"] * t + params["phase"]
        return params["amplitude"] * np.sin(phase)
    if preset == "white signal":
        period = max(n_steps * dt, 1.0 / params["high"])
        process = nengo.processes.WhiteSignal(period, params["high"], rms=params["rms"])
        rng = np.random.RandomState(int(params["seed"]))
        return process.run_steps(n_steps, d=1, dt=dt, rng=rng)[:, 0]
    if preset == "step":
        return np.where(
            t < params["time"] - 0.5 * dt, params["before"], params["after"]
        )
    raise ValueError(f"Unknown preset {preset!r}")


def own_output(node, n_steps, dt, seed=0):
    """The Node's own output ``(n_steps, size_out)`` (a fresh sample for processes)."""
    out = node.output
    t = dt * np.arange(1, n_steps + 1)
    if out is None:
        return np.zeros((n_steps, node.size_out))
    if isinstance(out, nengo.Process):
        rng = np.random.RandomState(seed)
        return out.run_steps(n_steps, d=node.size_out, dt=dt, rng=rng).reshape(
            n_steps, -1
        )
    if callable(out):
        return np.array([np.ravel(out(ti)) for ti in t], dtype=float).reshape(
            n_steps, -1
        )
    return np.tile(np.ravel(np.asarray(out, dtype=float)), (n_steps, 1))


def _fit_steps(array, n_steps):
    """First ``n_steps`` steps of ``(batch, steps, size)``, holding the last value."""
    if array.shape[1] >= n_steps:
        return array[:, :n_steps]
    pad = np.repeat(array[:, -1:], n_steps - array.shape[1], axis=1)
    return np.concatenate([array, pad], axis=1)


class InputDesignerWidget(widgets.VBox):
    """Design the ``data=`` inputs of a network's input Nodes.

    Parameters
    ----------
    net : nengo.Network
    minibatch_size : int or None
        Batch items per run (None counts as 1).
    n_steps : int
        Length of the generated signals (the run time in steps).
    dt : float
    nodes : list of nengo.Node, optional
        The Nodes to design (default: all input Nodes of ``net``).

    Attributes
    ----------
    nodes : list of nengo.Node
    node_select, item_select, dim_select, preset : ipywidgets.Dropdown
        Which Node / batch item / dimension is edited, and its preset.
    fields : dict
        ``{(preset, param name): NumberField}``; ``field.text`` is the Text widget.
    message : ipywidgets.HTML
        Refused entries are explained here.
    copy_button : ipywidgets.Button
        "Copy to all items": the edited entry's settings to every batch item.
    figure, lines : bqplot Figure and Lines of the preview
        One line per batch item and dimension, each in its own colour (the
        edited item's opaque, the others faded), at most
        `decimate.MAX_POINTS` points each.
    legend : ipywidgets.HTML
        Names ("item 2", or "item 2: x[1]" for a Node of several dimensions)
        and colours of the preview's lines, beside it.
    """

    def __init__(self, net, minibatch_size=1, n_steps=1000, dt=0.001, nodes=None):
        super().__init__()
        self.net, self.dt = net, float(dt)
        self.minibatch_size = int(minibatch_size or 1)
        self._n_steps = int(n_steps)
        self.nodes = list(nodes) if nodes is not None else input_nodes(net)
        self.params = preset_params(self.dt)
        self._arrays, self._freehands, self._own = {}, {}, {}
        self._specs = {node: self._default_specs(node) for node in self.nodes}
        self._loading = False
        self.message = widgets.HTML()
        self._build_controls()
        self.figure, scales = line_figure(
            "Input preview", y_label="value", height="260px"
        )
        self.lines = series_lines(scales, palette(0, 1), [""])
        self.figure.marks = [self.lines]
        self.legend = legend_widget()
        self.children = [
            self._selectors,
            self.preset,
            self._param_box,
            status_row(self.message),
            plot_row(self.figure, self.legend),
        ]
        self._load_entry()
        self.refresh()

    # -- construction ---------------------------------------------------------------

    def _default_specs(self, node):
        def entry():
            return {"preset": NODE_OUTPUT, "params": {}}

        return [
            [entry() for _ in range(node.size_out)] for _ in range(self.minibatch_size)
        ]

    def _build_controls(self):
        style = {"description_width": "initial"}
        self.node_select = widgets.Dropdown(
            options=[(node_label(n), i) for i, n in enumerate(self.nodes)],
            description="Node",
            style=style,
        )
        self.item_select = widgets.Dropdown(
            options=list(range(self.minibatch_size)),
            description="Batch item",
            style=style,
        )
        self.dim_select = widgets.Dropdown(
            options=[0], description="Dimension", style=style
        )
        self.copy_button = widgets.Button(description="Copy to all items")
        self.preset = widgets.Dropdown(
            options=self._preset_options(), description="Preset"
        )
        self.fields = {}
        self._groups = {}
        for preset, params in self.params.items():
            row = []
            for p in params:
                field = NumberField(
                    p.description,
                    p.default,
                    p.low,
                    p.high,
                    p.integer,
                    self.message,
                    on_change=lambda v, key=(preset, p.name): self._field_changed(
                        key, v
                    ),
                    low_open=p.low_open,
                )
                self.fields[(preset, p.name)] = field
                row.append(field.text)
            self._groups[preset] = widgets.HBox(row)
        self._param_box = widgets.VBox()
        self._selectors = widgets.HBox(
            [self.node_select, self.item_select, self.dim_select, self.copy_button]
        )
        for w in (self.node_select, self.item_select, self.dim_select):
            w.observe(self._selection_changed, "value")
        self.preset.observe(self._preset_changed, "value")
        self.copy_button.on_click(self._copy_to_all)

    def _preset_options(self, node=None):
        options = list(self.params)
        if not _freehand_available():
            options.remove("freehand")
        if node is not None and node in self._arrays:
            options.append("array")
        return options

    # -- selection and editing ---------------------------------------------------------

    @property
    def node(self):
        """The Node being edited (None if there are none)."""
        return self.nodes[self.node_select.value] if self.nodes else None

    def _entry(self, node=None, item=None, dim=None):
        node = self.node if node is None else node
        item = self.item_select.value if item is None else item
        dim = self.dim_select.value if dim is None else dim
        return self._specs[node][item][dim]

    def _selection_changed(self, change):
        if self._loading:
            return
        self._load_entry()
        self.refresh()

    def _load_entry(self):
        """Show the edited entry's preset and parameter values in the controls."""
        if not self.nodes:
            return
        self._loading = True
        try:
            dims = list(range(self.node.size_out))
            if list(self.dim_select.options) != dims:
                self.dim_select.options = dims
            entry = self._entry()
            self.preset.options = self._preset_options(self.node)
            self.preset.value = entry["preset"]
            for (preset, name), field in self.fields.items():
                default = next(p.default for p in self.params[preset] if p.name == name)
                field.set(entry["params"].get(preset, {}).get(name, default))
        finally:
            self._loading = False
        self._show_params()

    def _show_params(self):
        preset = self.preset.value
        if preset == "freehand":
            self._param_box.children = [self._freehand(self.node, *self._key()[1:])]
        elif preset in self._groups:
            self._param_box.children = [self._groups[preset]]
        else:
            self._param_box.children = []

    def _key(self):
        return self.node, self.item_select.value, self.dim_select.value

    def _preset_changed(self, change):
        if self._loading or not self.nodes:
            return
        self._entry()["preset"] = change["new"]
        self.message.value = ""
        self._show_params()
        self.refresh()

    def _field_changed(self, key, value):
        if self._loading or not self.nodes:
            return
        preset, name = key
        self._entry()["params"].setdefault(preset, {})[name] = value
        self.refresh()

    def _copy_to_all(self, button=None):
        """Give every batch item the edited entry's settings (same dimension)."""
        node, item, dim = self._key()
        source = self._entry()
        for i in range(self.minibatch_size):
            if i != item:
                target = self._specs[node][i][dim]
                target["preset"] = source["preset"]
                target["params"] = {k: dict(v) for k, v in source["params"].items()}
                if source["preset"] == "freehand":
                    self._freehand(node, i, dim).points = list(
                        self._freehand(node, item, dim).points
                    )
        self.refresh()

    def _freehand(self, node, item, dim):
        key = (node, item, dim)
        if key not in self._freehands:
            from nengodl_notebook.widgets.freehand import FreehandWidget

            widget = FreehandWidget(label=f"{node_label(node)}[{item}, {dim}]")
            widget.observe(lambda change: self.refresh(), "points")
            self._freehands[key] = widget
        return self._freehands[key]

    # -- values ------------------------------------------------------------------------

    @property
    def n_steps(self):
        """(int) Length of the signals; setting it resamples every preset."""
        return self._n_steps

    @n_steps.setter
    def n_steps(self, value):
        value = int(value)
        if value < 1:
            raise ValueError(f"n_steps must be at least 1 (got {value})")
        self._n_steps = value
        self.refresh()

    def entry_values(self, node, item, dim, n_steps=None):
        """Signal ``(n_steps,)`` of one Node, batch item and dimension."""
        n_steps = self._n_steps if n_steps is None else n_steps
        entry = self._specs[node][item][dim]
        preset = entry["preset"]
        if preset == NODE_OUTPUT:
            return self._own_output(node, n_steps)[:, dim]
        if preset == "array":
            return _fit_steps(self._arrays[node], n_steps)[item, :, dim]
        if preset == "freehand":
            return np.asarray(
                self._freehand(node, item, dim).values(n_steps), dtype=float
            )
        params = {p.name: p.default for p in self.params[preset]}
        params.update(entry["params"].get(preset, {}))
        return preset_signal(preset, params, n_steps, self.dt)

    def _own_output(self, node, n_steps):
        if (node, n_steps) not in self._own:
            self._own[(node, n_steps)] = own_output(node, n_steps, self.dt)
        return self._own[(node, n_steps)]

    def node_values(self, node, n_steps=None):
        """All values of ``node``: ``(minibatch_size, n_steps, size_out)``.

        "node output" entries show the Node's own output (for a process, a fresh
        sample, not the Simulator's).
        """
        n_steps = self._n_steps if n_steps is None else n_steps
        values = np.empty((self.minibatch_size, n_steps, node.size_out))
        for item in range(self.minibatch_size):
            for dim in range(node.size_out):
                values[item, :, dim] = self.entry_values(node, item, dim, n_steps)
        return values

    def data(self):
        """``{node: array (minibatch_size, n_steps, size_out)}`` for ``sim.run(data=)``.

        Nodes left entirely at "node output" are omitted, so the Simulator uses
        their own output.
        """
        result = {}
        for node in self.nodes:
            presets = {e["preset"] for item in self._specs[node] for e in item}
            if presets != {NODE_OUTPUT}:
                result[node] = self.node_values(node)
        return result

    def set_data(self, data):
        """Show given arrays in the designer (preset "array"); ``data()`` returns them.

        Parameters
        ----------
        data : dict
            ``{node: array}`` with arrays ``(minibatch_size, n_steps, size_out)``,
            ``(1, n_steps, size_out)`` or ``(n_steps, size_out)``. Shorter or longer
            than the designer's ``n_steps``, they are cut or hold their last value.
        """
        checked = {node: self._check_array(node, value) for node, value in data.items()}
        for node, array in checked.items():
            self._arrays[node] = array
            for item in self._specs[node]:
                for entry in item:
                    entry["preset"] = "array"
        self._load_entry()
        self.refresh()

    def _check_array(self, node, value):
        if node not in self._specs:
            raise ValueError(f"{node!r} is not one of the designer's input Nodes")
        array = np.asarray(value, dtype=float)
        if array.ndim == 2:
            array = array[None]
        if (
            array.ndim != 3
            or array.shape[2] != node.size_out
            or array.shape[0] not in (1, self.minibatch_size)
            or array.shape[1] < 1
        ):
            raise ValueError(
                f"Data for {node!r} must have shape "
                f"(minibatch_size={self.minibatch_size}, "
                f"n_steps, size_out={node.size_out}) (got {np.shape(value)})"
            )
        return np.broadcast_to(array, (self.minibatch_size,) + array.shape[1:]).copy()

    def close(self):
        """Close the designer and the widgets it made."""
        for widget in (*self._groups.values(), *self._freehands.values()):
            close_tree(widget)
        for child in self.children:
            close_tree(child)
        super().close()

    def refresh(self):
        """Redraw the preview of the selected Node (all batch items and dimensions)."""
        if not self.nodes:
            return
        node, item = self.node, self.item_select.value
        values = self.node_values(node)  # (items, steps, dims)
        t = self.dt * np.arange(1, self._n_steps + 1)
        y = np.transpose(values, (1, 0, 2)).reshape(self._n_steps, -1)
        t, y = minmax_decimate(t, y)
        size, items = node.size_out, range(self.minibatch_size)
        several = self.minibatch_size > 1
        labels = [
            label
            for i in items
            for label in line_labels(node_label(node), size, i if several else None)
        ]
        opacities = [1.0 if i == item else 0.35 for i in items for _ in range(size)]
        colors = palette(0, len(labels))
        with self.lines.hold_sync():
            set_lines(self.lines, t, y.T, labels)
            self.lines.colors = colors
            self.lines.opacities = opacities
        entries = legend_entries(labels, colors, opacities=opacities)
        self.legend.value = legend_html(entries)


def _freehand_available():
    return importlib.util.find_spec("nengodl_notebook.widgets.freehand") is not None
