"""ComparePanel: compare the outputs of two parameter snapshots on the same inputs."""

import html

import ipywidgets as widgets
import numpy as np

from nengodl_notebook.param_files import read_params
from nengodl_notebook.widgets.decimate import minmax_decimate
from nengodl_notebook.widgets.labels import error_html, probe_label
from nengodl_notebook.widgets.legend import (
    TARGET_COLOR,
    legend_entries,
    legend_html,
    legend_widget,
    line_labels,
    palette,
    plot_row,
)
from nengodl_notebook.widgets.plots import (
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


class ComparePanel(widgets.VBox):
    """Two snapshot Dropdowns, a Compare button, overlaid outputs and an error table.

    A snapshot is the parameters in memory (``sim.get_params()``) with a label and
    a loss. "before training" is taken when the panel is made; `add_run` adds
    each finished training run (the Dashboard connects it to the TrainingPanel).

    Parameters
    ----------
    source : Simulator, or an object with a ``sim`` attribute (Dashboard), or callable
    designer : InputDesignerWidget, optional
        Inputs (``data()``) and run length (``n_steps``) of the comparison runs.
    targets : dict, optional
        ``{probe: fn(t, x) or array}``; the error shown is the MSE against it.
    n_steps : int
        Run length when there is no designer.
    probes : list of nengo.Probe, optional
        Probes to offer (default: all).

    Attributes
    ----------
    snapshots : list of dict
        ``label``, ``params`` (a ``sim.get_params()`` snapshot), ``loss``.
    snapshot_a, snapshot_b : ipywidgets.Dropdown
        "A" and "B" (values index ``snapshots``).
    probe_select, item_select : ipywidgets.Dropdown
        "Probe" and "Batch item".
    compare_button, snapshot_button : ipywidgets.Button
        "Compare" and "Save snapshot".
    errors, table, message : ipywidgets.HTML
        Error of A and B for the chosen item; table over all items; messages.
    figure : bqplot.Figure
    line_a, line_b, target_line : bqplot.Lines
        One line per dimension of the chosen probe, each in its own colour
        (`line_colors`), with at most `decimate.MAX_POINTS` points.
    legend : ipywidgets.HTML
        Names and colours of the lines, beside the figure.
    """

    def __init__(self, source, designer=None, targets=None, n_steps=1000, probes=None):
        super().__init__()
        self.source, self.designer = source, designer
        self.targets = dict(targets or {})
        self._n_steps = n_steps
        sim = resolve_sim(source)
        self.probes = list(probes) if probes else sim_probes(sim)
        self.minibatch_size = sim.minibatch_size or 1
        self.snapshots = []
        self._results = None
        self._build_controls()
        self._build_figure()
        self.add_snapshot("before training", sim=sim)

    def _build_controls(self):
        self.message, self.errors, self.table = (
            widgets.HTML(),
            widgets.HTML(),
            widgets.HTML(),
        )
        self.snapshot_a = widgets.Dropdown(options=[], description="A")
        self.snapshot_b = widgets.Dropdown(options=[], description="B")
        self.probe_select = probe_chooser(self.probes, self.targets, multiple=False)
        self.item_select = batch_item_chooser(self.minibatch_size)
        self.compare_button = widgets.Button(
            description="Compare", button_style="primary"
        )
        self.snapshot_button = widgets.Button(description="Save snapshot")
        self.compare_button.on_click(self.compare)
        self.snapshot_button.on_click(lambda b: self.add_snapshot())
        self.probe_select.observe(lambda change: self.redraw(), "value")
        self.item_select.observe(lambda change: self.redraw(), "value")

    def _build_figure(self):
        self.figure, scales = line_figure("Snapshot A vs B", y_label="value")
        self.line_a = series_lines(scales, palette(0, 1), ["A"])
        self.line_b = series_lines(scales, palette(1, 1), ["B"])
        self.target_line = series_lines(scales, [TARGET_COLOR], ["target"], dashed=True)
        self.figure.marks = [self.target_line, self.line_a, self.line_b]
        self.legend = legend_widget()
        self.children = [
            widgets.HBox(
                [
                    self.snapshot_a,
                    self.snapshot_b,
                    self.compare_button,
                    self.snapshot_button,
                ]
            ),
            widgets.HBox([self.probe_select, self.item_select]),
            status_row(self.errors, self.message),
            plot_row(self.figure, self.legend),
            self.table,
        ]

    @property
    def sim(self):
        """The Simulator (asked from the source each time)."""
        return resolve_sim(self.source)

    @property
    def n_steps(self):
        """(int) Steps of each comparison run (the designer's, if there is one)."""
        return self.designer.n_steps if self.designer is not None else self._n_steps

    # -- snapshots ---------------------------------------------------------------------

    def add_snapshot(self, label=None, loss=None, path=None, sim=None, params=None):
        """Keep a snapshot: the given one, a params file's, or the current parameters.

        Parameters
        ----------
        label : str, optional
        loss : float, optional
        path : str or os.PathLike, optional
            A ``sim.save_params`` file, read now (and checked against the
            network when compared).
        sim : Simulator, optional
            Whose current parameters to keep (default: the source's).
        params : Params, optional
            A ``sim.get_params()`` snapshot (kept as it is: snapshots are copies).

        Returns
        -------
        dict
            The snapshot (``label``, ``params``, ``loss``).
        """
        index = len(self.snapshots)
        if params is None and path is not None:
            params = read_params(path)  # checked against the network when compared
        if params is None:
            params = (self.sim if sim is None else sim).get_params()
        label = label or f"snapshot {index}"
        if loss is not None:
            label += f" (loss {loss:.4g})"
        snapshot = {"label": label, "params": params, "loss": loss}
        self.snapshots.append(snapshot)
        options = [(s["label"], i) for i, s in enumerate(self.snapshots)]
        a = self.snapshot_a.value if self.snapshot_a.value is not None else 0
        with self.hold_sync():
            self.snapshot_a.options = options
            self.snapshot_b.options = options
            self.snapshot_a.value = a
            self.snapshot_b.value = index
        return snapshot

    def add_run(self, run):
        """Keep a finished training run (a `TrainingPanel.runs` entry) as a snapshot:
        its ``params`` (a ``sim.get_params()`` snapshot) or else its ``path``."""
        return self.add_snapshot(
            run["label"],
            run.get("loss"),
            path=run.get("path"),
            params=run.get("params"),
        )

    # -- comparing ---------------------------------------------------------------------

    def compare(self, button=None):
        """Run the model with snapshot A's and B's parameters (the "Compare" button).

        The current parameters are restored afterwards. Returns whether it ran.
        """
        sim = self.sim
        lock = hold_sim(sim, self.message)
        if lock is None:
            return False
        try:
            self.message.value = ""
            self._results = self._run_snapshots(sim)
        except Exception as e:  # noqa: BLE001 -- shown in the panel
            show_failure(self.message, "Compare", e)
            return False
        finally:
            lock.release()
        self.redraw()
        return True

    def _run_snapshots(self, sim):
        current = sim.get_params()
        data = self.designer.data() if self.designer is not None else None
        results, n = {}, self.n_steps
        try:
            for key in dict.fromkeys((self.snapshot_a.value, self.snapshot_b.value)):
                sim.set_params(self.snapshots[key]["params"])
                sim.reset(include_trainable=False)
                sim.run_steps(n, data=data, progress_bar=False)
                results[key] = {p: np.array(sim.data[p]) for p in self.probes}
                if "t" not in results:
                    results["t"] = {
                        p: sim.trange(sample_every=p.sample_every) for p in self.probes
                    }
                    results["x"] = [
                        run_inputs(sim, self.designer, i, n)
                        for i in range(self.minibatch_size)
                    ]
        finally:
            sim.set_params(current)
            sim.reset(include_trainable=False)
        results["keys"] = (self.snapshot_a.value, self.snapshot_b.value)
        return results

    def outputs(self, which, probe=None, item=None):
        """Output ``(n, size)`` of snapshot "A" or "B" in the last comparison."""
        probe = self.probes[self.probe_select.value] if probe is None else probe
        item = self.item_select.value if item is None else item
        key = self._results["keys"][0 if which == "A" else 1]
        data = self._results[key][probe]
        return data[item] if data.ndim == 3 else data

    def target(self, probe, item):
        """Target ``(n, size)`` of one item in the last comparison, or None."""
        if probe not in self.targets:
            return None
        t = self._results["t"][probe]
        return target_values(self.targets[probe], t, self._results["x"][item], item)

    def mse(self, which, probe, item):
        """MSE of snapshot "A"/"B" against the target (None without a target)."""
        target = self.target(probe, item)
        if target is None:
            return None
        out = self.outputs(which, probe, item)
        return float(np.mean((out[: len(target)] - target) ** 2))

    def redraw(self):
        """Plot A, B (and the target) for the chosen probe and item; fill the labels."""
        if self._results is None:
            return
        probe, item = self.probes[self.probe_select.value], self.item_select.value
        t = self._results["t"][probe]
        try:
            target = self.target(probe, item)
        except Exception as e:  # noqa: BLE001 -- a user function
            self.message.value = error_html(
                f"Target of {probe_label(probe)} failed: {e}"
            )
            target = None
        labels = [self.snapshots[k]["label"] for k in self._results["keys"]]
        outputs = [self.outputs("A"), self.outputs("B")]
        size = outputs[0].shape[1]
        colors = line_colors(size)
        names = [line_labels(f"{w}: {lab}", size) for w, lab in zip("AB", labels)]
        entries = []
        with self.figure.hold_sync():
            for lines, out, name, color in zip(
                (self.line_a, self.line_b), outputs, names, colors
            ):
                x, y = minmax_decimate(t[: len(out)], out)
                set_lines(lines, x, y.T, name)
                lines.colors = color
                entries += legend_entries(name, color)
            self.target_line.visible = target is not None
            if target is not None:
                x, y = minmax_decimate(t[: len(target)], target)
                name = line_labels("target", size)
                set_lines(self.target_line, x, y.T, name)
                self.target_line.colors = colors[2]
                entries += legend_entries(name, colors[2], dashed=True)
        self.legend.value = legend_html(entries)
        self.errors.value = self._error_text(probe, item, labels, target is not None)
        self.table.value = self._table(probe, labels) if target is not None else ""

    def _error_text(self, probe, item, labels, known):
        if not known:
            label = html.escape(probe_label(probe))
            return f"No target known for {label}: no error shown."
        a, b = self.mse("A", probe, item), self.mse("B", probe, item)
        return (
            f"MSE (item {item}): A ({html.escape(labels[0])}) {a:.4g}, "
            f"B ({html.escape(labels[1])}) {b:.4g}"
        )

    def _table(self, probe, labels):
        rows = "".join(
            f"<tr><td>{i}</td><td>{self.mse('A', probe, i):.4g}</td>"
            f"<td>{self.mse('B', probe, i):.4g}</td></tr>"
            for i in range(self.minibatch_size)
        )
        head = "".join(
            f"<th>MSE {w}: {html.escape(lab)}</th>" for w, lab in zip("AB", labels)
        )
        return (
            f"<table class='nengodl-compare'><tr><th>batch item</th>{head}</tr>"
            f"{rows}</table>"
        )

    def close(self):
        """Forget the snapshots and close the widgets."""
        self.snapshots = []
        for child in self.children:
            close_tree(child)
        super().close()


def line_colors(size):
    """Colours of A's, B's and the target's lines for a probe of ``size`` dims.

    One colour per line: A takes the first ``size`` colours, B the next; a
    1-D target is grey, a wider one continues the palette (dashed).
    """
    target = [TARGET_COLOR] if size == 1 else palette(2 * size, size)
    return palette(0, size), palette(size, size), target
