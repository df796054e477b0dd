"""The Python source that reproduces a Dashboard's current state.

`export_source` writes a script to paste after the cell that defines the network:
the ``trainable`` settings switched in the dashboard, the designed ``data=``
arrays as plain NumPy (freehand drawings saved as ``.npy`` files), the Simulator
and a run with those inputs, and the training call with the Training tab's
settings (`code_source_training`).
"""

import pathlib
import re

import nengo
import numpy as np

from nengodl_notebook.config import trainable_objects
from nengodl_notebook.widgets.code_names import ObjectNames, user_namespace
from nengodl_notebook.widgets.code_source_training import training_lines
from nengodl_notebook.widgets.input_designer import NODE_OUTPUT
from nengodl_notebook.widgets.sim_access import innermost_network

HEADER = """\
# Code exported from the nengodl_notebook Dashboard: run it after the cell that
# defines the network, to get the dashboard's current state as a script.
import keras
import nengo
import numpy as np

import nengodl_notebook as nengo_dl
"""


def changed_trainable(before: dict, now: dict) -> dict:
    """``{obj: value}`` to set so that ``before`` becomes ``now``.

    An Ensemble's Neurons follow it unless they say otherwise, so a Neurons
    entry is only given when its value changed on its own.
    """
    result = {}
    for obj, value in now.items():
        if before.get(obj, True) == value:
            continue
        if isinstance(obj, nengo.ensemble.Neurons):
            ens = obj.ensemble
            if before.get(ens, True) != now[ens] and now[ens] == value:
                continue  # follows its ensemble
        result[obj] = value
    return result


def trainable_lines(net: nengo.Network, before: dict, names: ObjectNames) -> list:
    """``config[obj].trainable = ...`` lines for what changed since ``before``."""
    lines = ["", "# -- What trains (the Network tab) " + "-" * 44]
    changes = changed_trainable(before, trainable_objects(net))
    if not changes:
        return lines + ["# Nothing switched: trainable as set in the network's code."]
    lines += [
        "# Switched in the dashboard (everything else keeps the setting of the",
        "# network's code). Each setting goes into the config of the innermost network",
        "# holding the object, so it wins over outer networks' settings;",
        "# configure_settings() adds the `trainable` parameter there (nothing else).",
    ]
    by_owner: dict = {}
    for obj, value in changes.items():
        target = obj.ensemble if isinstance(obj, nengo.ensemble.Neurons) else obj
        by_owner.setdefault(innermost_network(net, target), []).append((obj, value))
    for owner, items in by_owner.items():
        owner_name = names(owner)
        lines += [f"with {owner_name}:", "    nengo_dl.configure_settings()"]
        for obj, value in items:
            lines.append(f"{owner_name}.config[{names(obj)}].trainable = {value}")
    return lines


def _preset_expr(preset: str, p: dict) -> str:
    """NumPy code for `input_designer.preset_signal` (same numbers)."""
    if preset == "constant":
        return f"np.full(n_steps, {float(p['value'])!r})"
    if preset == "ramp":
        return f"np.linspace({p['start']!r}, {p['end']!r}, n_steps)"
    if preset == "sine":
        return (
            f"{p['amplitude']!r} * np.sin(2 * np.pi * {p['frequency']!r} * t "
            f"+ {p['phase']!r})"
        )
    if preset == "step":
        return (
            f"np.where(t < {p['time']!r} - 0.5 * dt, {p['before']!r}, {p['after']!r})"
        )
    if preset == "white signal":
        high = p["high"]
        return (
            f"nengo.processes.WhiteSignal(max(n_steps * dt, 1 / {high!r}), {high!r}, "
            f"rms={p['rms']!r}).run_steps(\n        n_steps, d=1, dt=dt, "
            f"rng=np.random.RandomState({int(p['seed'])}))[:, 0]"
        )
    raise ValueError(f"Unknown preset {preset!r}")


def _own_output_expr(node: nengo.Node, name: str) -> str:
    """Code for `input_designer.own_output` of ``node`` (same numbers)."""
    out = node.output
    if out is None:
        return f"np.zeros((n_steps, {node.size_out}))"
    if isinstance(out, nengo.Process):
        return (
            f"{name}.output.run_steps(n_steps, d={node.size_out}, dt=dt, "
            "rng=np.random.RandomState(0)).reshape(n_steps, -1)"
        )
    if callable(out):
        return (
            f"np.array([np.ravel({name}.output(ti)) for ti in t], dtype=float)"
            ".reshape(n_steps, -1)"
        )
    return f"np.tile(np.ravel(np.asarray({name}.output, dtype=float)), (n_steps, 1))"


def _entry(designer, node, item, dim):
    """(preset, its parameter values) of one designer entry."""
    spec = designer._specs[node][item][dim]  # the designer's own record of the entry
    preset = spec["preset"]
    params = {p.name: p.default for p in designer.params.get(preset, ())}
    params.update(spec["params"].get(preset, {}))
    return preset, params


def _file_stem(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "node"


class _InputWriter:
    """Lines that rebuild ``designer.data()``; drawn arrays saved under ``folder``."""

    def __init__(self, designer, names, folder):
        self.designer, self.names, self.folder = designer, names, str(folder)
        self.saved: list[pathlib.Path] = []

    def node_lines(self, node):
        name, d = self.names(node), self.designer
        var = f"{_file_stem(name)}_data"
        lines = [
            "",
            f"# {name}: {d.minibatch_size} batch item(s) x n_steps x {node.size_out} "
            "dimension(s)",
            f"{var} = np.zeros((minibatch_size, n_steps, {node.size_out}))",
        ]
        own = None
        for dim in range(node.size_out):
            entries = [_entry(d, node, i, dim) for i in range(d.minibatch_size)]
            preset = entries[0][0]
            same = all(e == entries[0] for e in entries)
            if same and preset in ("freehand", "array"):
                same = False  # each drawing is its own file
            for item in [slice(None)] if same else range(d.minibatch_size):
                index = ":" if same else str(item)
                preset, params = entries[0 if same else item]
                if preset == NODE_OUTPUT:
                    if own is None:
                        own = f"{_file_stem(name)}_own"
                        lines.insert(3, f"{own} = {_own_output_expr(node, name)}")
                        lines.insert(3, "# the Node's own output at each step's time")
                    expr = f"{own}[:, {dim}]"
                elif preset in ("freehand", "array"):
                    expr = self._saved(name, node, item, dim, preset)
                else:
                    expr = _preset_expr(preset, params)
                comment = f"  # {preset}" if preset != NODE_OUTPUT else "  # own output"
                lines.append(f"{var}[{index}, :, {dim}] = {expr}{comment}")
        lines.append(f"data[{name}] = {var}")
        return lines

    def _saved(self, name, node, item, dim, preset):
        values = self.designer.entry_values(node, item, dim)
        kind = "drawn" if preset == "freehand" else "array"
        path = pathlib.Path(self.folder) / f"{_file_stem(name)}_{item}_{dim}_{kind}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.asarray(values, dtype=float))
        self.saved.append(path)
        return f"np.load({str(path)!r})"


def input_lines(designer, names: ObjectNames, folder) -> tuple[list, list]:
    """Lines that compute ``designer.data()``, and the ``.npy`` files written."""
    writer = _InputWriter(designer, names, folder)
    lines = [
        "",
        "# -- Inputs (the Inputs tab): data[node] is (minibatch_size, n_steps, size) "
        + "-" * 3,
        f"minibatch_size, n_steps, dt = {designer.minibatch_size}, "
        f"{designer.n_steps}, {designer.dt!r}",
        "t = dt * np.arange(1, n_steps + 1)  # the time of each step",
        "data = {}",
    ]
    designed = designer.data()
    for node in designer.nodes:
        if node in designed:
            lines += writer.node_lines(node)
    left = [names(n) for n in designer.nodes if n not in designed]
    if left:
        lines.append(
            f"# left out of data (they give their own output): {', '.join(left)}"
        )
    return lines, writer.saved


def simulator_lines(dashboard, names: ObjectNames) -> list:
    """The Simulator as the dashboard builds it, and a run with the inputs."""
    strategy = getattr(dashboard, "strategy", None)
    given = (
        []
        if strategy is None
        else [
            "import tensorflow as tf",
            f"strategy = tf.distribute.{type(strategy).__name__}()"
            "  # the dashboard's strategy: give it the devices you gave it",
        ]
    )
    return [
        "",
        "# -- The Simulator, and a run with these inputs (the Run tab) " + "-" * 17,
        *given,
        f"sim = nengo_dl.Simulator({names.net_name}, dt={dashboard.dt!r}, "
        f"seed={dashboard.seed}, minibatch_size={dashboard.minibatch_size}"
        + (")" if strategy is None else ", strategy=strategy)"),
        "sim.run_steps(n_steps, data=data)  # sim.data[probe]: (items, steps, size)",
    ]


def export_source(dashboard, namespace=None, folder="exported_inputs") -> str:
    """The script that reproduces ``dashboard``'s trainable settings, inputs and
    training settings.

    Parameters
    ----------
    dashboard : Dashboard
    namespace : dict, optional
        Where objects are found by identity to be named by their variables
        (default: the IPython user namespace).
    folder : str or pathlib.Path
        Where drawn (freehand) and given arrays are saved as ``.npy`` files; the
        script loads them from this path.

    Returns
    -------
    str
    """
    namespace = user_namespace() if namespace is None else namespace
    names = ObjectNames(dashboard.net, namespace)
    lines = [HEADER.rstrip("\n")]
    lines += trainable_lines(dashboard.net, dashboard.initial_trainable, names)
    inputs, _ = input_lines(dashboard.designer, names, folder)
    lines += inputs
    if dashboard.training_panel is not None:
        lines += simulator_lines(dashboard, names)
        lines += training_lines(dashboard, names, namespace)
    return "\n".join(lines) + "\n"
