"""A drawing of a nengo Network whose clicks switch what is trainable.

``network_graph`` turns a network into a JSON-able dict of nodes and edges;
``NetworkViewWidget`` shows it (``static/network_view.js``, built from
``js/network_view.js``) and flips the ``trainable`` config setting of the
Ensemble or Connection a person clicks, or (``click_mode="select"``) selects
the clicked Ensemble, e.g. to show its neurons.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import anywidget
import nengo
import traitlets
from nengo.connection import LearningRule
from nengo.ensemble import Neurons

from nengodl_notebook.config import configure_settings, trainable_objects
from nengodl_notebook.widgets.sim_access import innermost_network

__all__ = [
    "CLICK_MODES",
    "COLLAPSE_OVER",
    "NetworkViewWidget",
    "network_graph",
    "synapse_text",
]

_KIND_PREFIX = {
    nengo.Ensemble: "ens",
    nengo.Node: "node",
    nengo.Network: "net",
    nengo.Connection: "conn",
    nengo.Probe: "probe",
}


def synapse_text(synapse: Any) -> str:
    """Short text for a synapse: ``"none"``, ``"Lowpass(0.005)"``, ``"Alpha(0.1)"``...

    Parameters
    ----------
    synapse : nengo.synapses.Synapse or None
        The synapse of a Connection or Probe.

    Returns
    -------
    str
        ``"none"`` for no synapse; ``Name(tau)`` for synapses with one time
        constant; ``str(synapse)`` otherwise.
    """
    if synapse is None:
        return "none"
    tau = getattr(synapse, "tau", None)
    if tau is not None and isinstance(synapse, (nengo.Lowpass, nengo.Alpha)):
        return f"{type(synapse).__name__}({tau:g})"
    return str(synapse)


def _function_name(function: Any) -> str | None:
    if function is None:
        return None
    if callable(function):
        return getattr(function, "__name__", type(function).__name__)
    return "points"  # an array of function values at the eval points


def _node_output(node: nengo.Node) -> str:
    output = node.output
    if output is None:
        return "passthrough"
    if isinstance(output, nengo.Process):
        return type(output).__name__
    if callable(output):
        return _function_name(output) or "function"
    return "constant"


_KIND_NAME = {
    "ens": "Ensemble",
    "node": "Node",
    "net": "Network",
    "conn": "Connection",
    "probe": "Probe",
}

#: Sub-networks with more objects than this (ensembles, nodes and probes at any
#: depth) are drawn collapsed when a view is first shown.
COLLAPSE_OVER = 12


def _label(obj: Any, obj_id: str) -> str:
    """The nengo label, or a readable name: ``"Ensemble 3"``, ``"Node 1 (sin)"``."""
    if obj.label is not None:
        return str(obj.label)
    prefix = obj_id.rstrip("0123456789")
    name = f"{_KIND_NAME[prefix]} {int(obj_id[len(prefix) :]) + 1}"
    if isinstance(obj, nengo.Node):
        return f"{name} ({_node_output(obj)})"
    if isinstance(obj, nengo.Network) and type(obj) is not nengo.Network:
        return f"{type(obj).__name__} {int(obj_id[len(prefix) :]) + 1}"
    return name


class _IdMap:
    """Stable string ids for the objects of a network, in build order."""

    def __init__(self, net: nengo.Network) -> None:
        self.objects: dict[str, Any] = {}
        self.ids: dict[Any, str] = {}
        self.parents: dict[str, str | None] = {}
        self.connections: list[nengo.Connection] = []
        self.probes: list[nengo.Probe] = []
        self._counts = dict.fromkeys(_KIND_PREFIX.values(), 0)
        self._walk(net, None)

    def _add(self, obj: Any, parent: str | None) -> str:
        prefix = next(p for cls, p in _KIND_PREFIX.items() if isinstance(obj, cls))
        obj_id = f"{prefix}{self._counts[prefix]}"
        self._counts[prefix] += 1
        self.objects[obj_id] = obj
        self.ids[obj] = obj_id
        self.parents[obj_id] = parent
        return obj_id

    def _walk(self, net: nengo.Network, parent: str | None) -> None:
        for obj in net.ensembles + net.nodes + net.probes + net.connections:
            self._add(obj, parent)
        self.connections.extend(net.connections)
        self.probes.extend(net.probes)
        for sub in net.networks:
            self._walk(sub, self._add(sub, parent))

    def endpoint(self, obj: Any) -> tuple[str | None, bool]:
        """Id of a connection/probe endpoint, and whether it was ``ens.neurons``."""
        if isinstance(obj, Neurons):
            return self.ids.get(obj.ensemble), True
        if isinstance(obj, LearningRule):
            return self.ids.get(obj.connection.post_obj), False
        if isinstance(obj, nengo.Connection):
            return self.endpoint(obj.post_obj)[0], False
        return self.ids.get(obj), False


def _object_node(obj: Any, obj_id: str, parent: str | None, trainable: dict) -> dict:
    node: dict[str, Any] = {
        "id": obj_id,
        "label": _label(obj, obj_id),
        "parent": parent,
    }
    if isinstance(obj, nengo.Ensemble):
        node.update(
            kind="ensemble",
            n_neurons=int(obj.n_neurons),
            dimensions=int(obj.dimensions),
            neuron_type=type(obj.neuron_type).__name__,
            trainable=bool(trainable.get(obj, True)),
        )
    elif isinstance(obj, nengo.Node):
        node.update(
            kind="node",
            size_in=int(obj.size_in),
            size_out=int(obj.size_out),
            output=_node_output(obj),
        )
    elif isinstance(obj, nengo.Network):
        node.update(kind="network", network_type=type(obj).__name__)
    return node


def _endpoint_text(label: str, neurons: bool) -> str:
    return f"{label}.neurons" if neurons else label


def _connection_edge(
    conn: nengo.Connection, ids: _IdMap, trainable: dict, labels: dict
) -> dict:
    source, pre_neurons = ids.endpoint(conn.pre_obj)
    target, post_neurons = ids.endpoint(conn.post_obj)
    transform = conn.transform
    pre = _endpoint_text(labels.get(source, "?"), pre_neurons)
    post = _endpoint_text(labels.get(target, "?"), post_neurons)
    return {
        "id": ids.ids[conn],
        "kind": "connection",
        "label": str(conn.label) if conn.label is not None else f"{pre} → {post}",
        "source": source,
        "target": target,
        "pre_neurons": pre_neurons,
        "post_neurons": post_neurons,
        "function": _function_name(conn.function),
        "synapse": synapse_text(conn.synapse),
        "transform_shape": [int(transform.size_out), int(transform.size_in)],
        "trainable": bool(trainable.get(conn, True)),
        "parent": ids.parents[ids.ids[conn]],
    }


def _probe_parts(probe: nengo.Probe, ids: _IdMap, labels: dict) -> tuple[dict, dict]:
    probe_id = ids.ids[probe]
    source, neurons = ids.endpoint(probe.target)
    target_id = ids.ids.get(probe.target, source)  # a probed Connection keeps its id
    node = {
        "id": probe_id,
        "kind": "probe",
        "label": _label(probe, probe_id),
        "parent": ids.parents[probe_id],
        "target": target_id,
        "target_label": _endpoint_text(labels.get(target_id, "?"), neurons),
        "target_neurons": neurons,
        "attr": str(probe.attr),
        "synapse": synapse_text(probe.synapse),
    }
    edge = {
        "id": f"{probe_id}_edge",
        "kind": "probe",
        "source": source,
        "target": probe_id,
        "parent": ids.parents[probe_id],
    }
    return node, edge


def _count_objects(ids: _IdMap) -> dict[str, int]:
    """Ensembles, Nodes and Probes inside each sub-network, at any depth."""
    counts = dict.fromkeys(ids.parents, 0)
    for obj_id, obj in ids.objects.items():
        if not isinstance(obj, (nengo.Ensemble, nengo.Node, nengo.Probe)):
            continue
        parent = ids.parents[obj_id]
        while parent is not None:
            counts[parent] += 1
            parent = ids.parents[parent]
    return counts


def _build_graph(ids: _IdMap, trainable: dict) -> dict:
    nodes = [
        _object_node(obj, obj_id, ids.parents[obj_id], trainable)
        for obj_id, obj in ids.objects.items()
        if isinstance(obj, (nengo.Ensemble, nengo.Node, nengo.Network))
    ]
    labels = {node["id"]: node["label"] for node in nodes}
    counts = _count_objects(ids)
    for node in nodes:
        if node["kind"] == "network":
            node["n_objects"] = counts[node["id"]]
            node["collapsed_by_default"] = counts[node["id"]] > COLLAPSE_OVER
    edges = [_connection_edge(c, ids, trainable, labels) for c in ids.connections]
    labels.update((edge["id"], edge["label"]) for edge in edges)  # probed connections
    for probe in ids.probes:
        node, edge = _probe_parts(probe, ids, labels)
        nodes.append(node)
        edges.append(edge)
    known = {node["id"] for node in nodes}
    edges = [e for e in edges if e["source"] in known and e["target"] in known]
    return {"nodes": nodes, "edges": edges}


def network_graph(net: nengo.Network, trainable: dict | None = None) -> dict:
    """The nodes and edges of a network, as a JSON-able dict.

    Parameters
    ----------
    net : nengo.Network
        The network to describe.
    trainable : dict, optional
        ``{obj: bool}`` as given by ``nengodl_notebook.config.trainable_objects``;
        computed from ``net`` when None.

    Returns
    -------
    dict
        ``{"nodes": [...], "edges": [...]}``. Every node has ``id``, ``kind``
        (``"ensemble"``, ``"node"``, ``"network"`` or ``"probe"``), ``label`` and
        ``parent`` (the id of the sub-network holding it, or None). Ensembles add
        ``n_neurons``, ``dimensions``, ``neuron_type`` and ``trainable``; Nodes
        ``size_in``, ``size_out`` and ``output``; sub-networks ``network_type``,
        ``n_objects`` (Ensembles, Nodes and Probes inside, at any depth) and
        ``collapsed_by_default`` (more than ``COLLAPSE_OVER`` objects); probes
        ``target``, ``target_label``, ``target_neurons``, ``attr`` and
        ``synapse``. Edges have ``id``, ``kind`` (``"connection"`` or
        ``"probe"``), ``source``, ``target`` and ``parent``; connections add
        ``label``, ``pre_neurons``, ``post_neurons``, ``function`` (name or None),
        ``synapse`` (text), ``transform_shape`` and ``trainable``.

    Notes
    -----
    Ids are the kind's prefix (``ens``, ``node``, ``net``, ``conn``, ``probe``)
    and a counter over a walk of the network (its objects, then each
    sub-network's), so they stay the same while the network's structure does.
    ``ens.neurons`` endpoints map to the ensemble's id. Labels are the nengo
    labels; unlabeled objects are named by kind and number in that walk
    (``"Ensemble 2"``, ``"Node 1 (WhiteSignal)"``, ``"EnsembleArray 1"``),
    unlabeled connections by their ends (``"Ensemble 1 → Ensemble 2"``).
    """
    if trainable is None:
        trainable = trainable_objects(net)
    return _build_graph(_IdMap(net), trainable)


def _has_trainable_param(config: nengo.Config, cls: type) -> bool:
    return cls in config.params and "trainable" in config[cls].extra_params


#: What a click on an Ensemble does: flip its trainable setting, or select it.
CLICK_MODES = ("toggle", "select")


class NetworkViewWidget(anywidget.AnyWidget):
    """An SVG drawing of a network; a click toggles trainable or selects.

    Parameters
    ----------
    net : nengo.Network
        The network to draw. Its config is changed by clicks.
    **kwargs
        Trait values (e.g. ``collapsed=["net0"]``).

    Attributes
    ----------
    graph : dict
        ``network_graph(net)``, synced to the browser.
    collapsed : list of str
        Ids of the sub-networks drawn as a single box (two-way). Unless given,
        those of more than ``COLLAPSE_OVER`` objects.
    click_mode : str
        ``"toggle"`` (default): a click on an Ensemble or Connection flips its
        trainable setting; ``"select"``: a click on an Ensemble selects it and
        changes nothing (two-way; the toolbar's "Click:" buttons set it).
    selected : str
        Id of the selected Ensemble ("" for none), highlighted in select mode.
    on_change : list of callable
        Called as ``callback(obj, trainable)`` after each toggle.
    on_select : list of callable
        Called as ``callback(ensemble)`` after each selection.

    Notes
    -----
    The browser sends ``{"type": "toggle", "id": ...}`` or ``{"type":
    "select", "id": ...}`` for a click on an object. After changing the
    network's config from Python, call ``refresh()`` to redraw.
    """

    _esm = pathlib.Path(__file__).parent / "static" / "network_view.js"

    graph = traitlets.Dict().tag(sync=True)
    collapsed = traitlets.List(traitlets.Unicode()).tag(sync=True)
    click_mode = traitlets.Enum(CLICK_MODES, default_value="toggle").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)

    def __init__(self, net: nengo.Network, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.net = net
        self.on_change: list[Callable[[Any, bool], None]] = []
        self.on_select: list[Callable[[Any], None]] = []
        self._ids = _IdMap(net)
        self.refresh()
        if "collapsed" not in kwargs:
            self.collapsed = [
                node["id"]
                for node in self.graph["nodes"]
                if node.get("collapsed_by_default")
            ]
        self.on_msg(self._on_msg)

    def refresh(self) -> None:
        """Re-read the network (structure and trainable config) into ``graph``."""
        self._ids = _IdMap(self.net)
        self.graph = _build_graph(self._ids, trainable_objects(self.net))

    def object_for(self, obj_id: str) -> Any:
        """The nengo object drawn with id ``obj_id``."""
        return self._ids.objects[obj_id]

    def id_for(self, obj: Any) -> str:
        """The id with which the nengo object ``obj`` is drawn."""
        return self._ids.ids[obj]

    def set_trainable(
        self, obj: nengo.Ensemble | nengo.Connection, value: bool
    ) -> None:
        """Set the trainable config of ``obj``, as a click does, and redraw.

        Parameters
        ----------
        obj : nengo.Ensemble or nengo.Connection
            An object of the network.
        value : bool
            The new setting, stored in the config of the innermost network
            holding ``obj`` (so that it wins over outer networks' settings).
        """
        trainable_kind = isinstance(obj, (nengo.Ensemble, nengo.Connection))
        owner = innermost_network(self.net, obj) if trainable_kind else None
        if owner is None:
            raise ValueError(f"{obj} is not an Ensemble or Connection of the network")
        if not _has_trainable_param(owner.config, type(obj)):
            with owner:
                configure_settings()
        owner.config[obj].trainable = bool(value)
        self.refresh()
        for callback in list(self.on_change):
            callback(obj, bool(value))

    def toggle(self, obj_id: str) -> None:
        """Flip the trainable setting of the Ensemble or Connection ``obj_id``."""
        obj = self._ids.objects.get(obj_id)
        if not isinstance(obj, (nengo.Ensemble, nengo.Connection)):
            return  # a stale or non-trainable id: nothing to flip
        current = trainable_objects(self.net).get(obj, True)
        self.set_trainable(obj, not current)

    def select(self, ensemble: nengo.Ensemble) -> None:
        """Select ``ensemble``, as a click in select mode does (trainable unchanged).

        Parameters
        ----------
        ensemble : nengo.Ensemble
            An Ensemble of the network; highlighted, and passed to each
            ``on_select`` callback.
        """
        obj_id = self._ids.ids.get(ensemble)
        if obj_id is None or not isinstance(ensemble, nengo.Ensemble):
            raise ValueError(f"{ensemble} is not an Ensemble of the network")
        self.selected = obj_id
        for callback in list(self.on_select):
            callback(ensemble)

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        obj_id = str(content.get("id"))
        if content.get("type") == "toggle":
            self.toggle(obj_id)
        elif content.get("type") == "select":
            obj = self._ids.objects.get(obj_id)
            if isinstance(obj, nengo.Ensemble):  # else stale or not an ensemble
                self.select(obj)
