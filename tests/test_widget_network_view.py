"""NetworkViewWidget and network_graph, without a browser.

The JS unit tests (js/test/) lay out the graphs of the networks built here; the
fixtures they read are checked against ``network_graph`` below. To rewrite them
after a change of the graph format: ``NENGODL_UPDATE_FIXTURES=1 pytest
tests/test_widget_network_view.py``.
"""

import json
import os
import pathlib

import nengo
import numpy as np
import pytest
import traitlets
from tutorial_nets import build_tutorial_network

import nengodl_notebook
from nengodl_notebook.config import trainable_objects
from nengodl_notebook.widgets.network_view import (
    COLLAPSE_OVER,
    NetworkViewWidget,
    network_graph,
    synapse_text,
)

FIXTURES = pathlib.Path(__file__).parent.parent / "js" / "test" / "fixtures"


def tutorial_net():
    return build_tutorial_network().net


def subnet_net():
    """Nested sub-networks, a recurrent ensemble, neurons endpoints, a cycle."""
    with nengo.Network(seed=0, label="model") as net:
        stim = nengo.Node(np.sin, label="stimulus")
        bias = nengo.Node([0.5], label="bias")
        with nengo.Network(label="integrator"):
            a = nengo.Ensemble(100, 1, label="memory")
            nengo.Connection(a, a, synapse=0.1)
            with nengo.Network(label="readout"):
                b = nengo.Ensemble(50, 2, label="b")
                c = nengo.Ensemble(
                    500, 1, neuron_type=nengo.RectifiedLinear(), label="c"
                )
                nengo.Connection(b, c, function=lambda x: x[0] * x[1])
            nengo.Connection(a, b[0])
        ea = nengo.networks.EnsembleArray(30, 2)
        out = nengo.Node(size_in=1, label="output")
        nengo.Connection(stim, a, transform=0.1)
        nengo.Connection(bias, b[1])
        nengo.Connection(c, out)
        nengo.Connection(stim, ea.input[0])
        nengo.Connection(ea.output[0], out)
        nengo.Connection(out, a.neurons, transform=-np.ones((100, 1)))
        nengo.Probe(c, synapse=0.01)
        nengo.Probe(a.neurons)
    return net


def chains_net(n_chains=50):
    """``n_chains`` parallel copies of the tutorial chain, all in one network."""
    with nengo.Network(seed=0) as net:
        for _ in range(n_chains):
            inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
            square = nengo.Ensemble(20, 1)
            sin = nengo.Ensemble(20, 1)
            outpt = nengo.Node(size_in=1)
            nengo.Connection(inpt, square)
            nengo.Connection(square, sin, function=np.square)
            nengo.Connection(sin, outpt, function=np.sin)
    return net


def wide_net(n_stages=8):
    """A long pipeline of nested sub-networks, one of them large."""
    with nengo.Network(seed=0, label="pipeline") as net:
        prev = nengo.Node([0.5], label="in")
        for i in range(n_stages):
            with nengo.Network(label=f"stage {i}"):
                first = nengo.Ensemble(30, 1)
                nengo.Connection(prev, first)
                with nengo.Network(label=f"inner {i}"):
                    second = nengo.Ensemble(30, 1)
                    third = nengo.Ensemble(30, 1)
                    nengo.Connection(second, third)
                nengo.Connection(first, second)
                prev = third
        big = nengo.networks.EnsembleArray(10, 16, label="big array")
        nengo.Connection(prev, big.input[0])
        nengo.Probe(big.output)
    return net


def by_id(items):
    return {item["id"]: item for item in items}


def test_tutorial_graph():
    graph = network_graph(tutorial_net())
    nodes, edges = by_id(graph["nodes"]), by_id(graph["edges"])
    assert set(nodes) == {"node0", "ens0", "ens1", "node1", "probe0", "probe1"}
    assert nodes["node0"] == {
        "id": "node0",
        "kind": "node",
        "label": "Node 1 (WhiteSignal)",
        "parent": None,
        "size_in": 0,
        "size_out": 1,
        "output": "WhiteSignal",
    }
    assert nodes["node1"]["output"] == "passthrough"
    assert (nodes["node1"]["size_in"], nodes["node1"]["size_out"]) == (1, 1)
    for ens in ("ens0", "ens1"):
        assert nodes[ens]["kind"] == "ensemble"
        assert nodes[ens]["n_neurons"] == 20 and nodes[ens]["dimensions"] == 1
        assert nodes[ens]["neuron_type"] == "LIF" and nodes[ens]["trainable"] is True
    flow = [(e["source"], e["target"], e.get("function")) for e in graph["edges"]]
    assert flow[:3] == [
        ("node0", "ens0", None),
        ("ens0", "ens1", "square"),
        ("ens1", "node1", "sin"),
    ]
    assert edges["conn1"]["synapse"] == "Lowpass(0.005)"
    assert edges["conn1"]["transform_shape"] == [1, 1]
    assert edges["conn1"]["trainable"] is True
    assert not edges["conn1"]["pre_neurons"] and not edges["conn1"]["post_neurons"]
    assert nodes["probe1"]["target"] == "node1"
    assert nodes["probe1"]["synapse"] == "Lowpass(0.01)"
    assert nodes["probe0"]["synapse"] == "none"
    probe_edges = [e for e in graph["edges"] if e["kind"] == "probe"]
    assert [(e["source"], e["target"]) for e in probe_edges] == [
        ("node0", "probe0"),
        ("node1", "probe1"),
    ]
    json.dumps(graph)  # JSON-able


def test_subnetwork_parents_and_neurons():
    net = subnet_net()
    graph = network_graph(net)
    nodes, edges = by_id(graph["nodes"]), by_id(graph["edges"])
    assert nodes["net0"] == {
        "id": "net0",
        "kind": "network",
        "label": "integrator",
        "parent": None,
        "network_type": "Network",
        "n_objects": 3,
        "collapsed_by_default": False,
    }
    assert nodes["net1"]["parent"] == "net0"
    assert nodes["net2"]["label"] == "EnsembleArray 3"
    labels = {n["label"]: n for n in graph["nodes"] if n["kind"] == "ensemble"}
    assert labels["memory"]["parent"] == "net0"
    assert labels["b"]["parent"] == labels["c"]["parent"] == "net1"
    assert labels["c"]["neuron_type"] == "RectifiedLinear"
    assert nodes["node0"]["label"] == "stimulus" and nodes["node0"]["parent"] is None
    to_neurons = [e for e in graph["edges"] if e.get("post_neurons")]
    assert len(to_neurons) == 1
    assert to_neurons[0]["target"] == labels["memory"]["id"]
    assert to_neurons[0]["transform_shape"] == [100, 1]
    loops = [e for e in graph["edges"] if e["source"] == e["target"]]
    assert [e["synapse"] for e in loops] == ["Lowpass(0.1)"]
    neuron_probe = [n for n in graph["nodes"] if n.get("target_neurons")]
    assert neuron_probe[0]["target"] == labels["memory"]["id"]
    assert {e["id"] for e in graph["edges"]} == set(edges)  # ids are unique
    assert graph == network_graph(net)  # stable


def test_synapse_text():
    assert synapse_text(None) == "none"
    assert synapse_text(nengo.Alpha(0.1)) == "Alpha(0.1)"
    assert synapse_text(nengo.LinearFilter([1], [0.1, 1])).startswith("LinearFilter")


@pytest.mark.parametrize(
    "name, build",
    [
        ("tutorial", tutorial_net),
        ("subnet", subnet_net),
        ("chains50", chains_net),
        ("wide", wide_net),
    ],
)
def test_js_fixtures_match_network_graph(name, build):
    path = FIXTURES / f"{name}.json"
    text = json.dumps(network_graph(build()), indent=1) + "\n"
    if os.environ.get("NENGODL_UPDATE_FIXTURES"):
        path.write_text(text)
    assert path.read_text() == text, f"rerun with NENGODL_UPDATE_FIXTURES=1 ({path})"


def test_labels_name_unlabeled_objects_not_ids():
    graph = network_graph(tutorial_net())
    nodes, edges = by_id(graph["nodes"]), by_id(graph["edges"])
    assert [nodes[i]["label"] for i in ("node0", "ens0", "ens1", "node1")] == [
        "Node 1 (WhiteSignal)",
        "Ensemble 1",
        "Ensemble 2",
        "Node 2 (passthrough)",
    ]
    assert [edges[f"conn{i}"]["label"] for i in range(3)] == [
        "Node 1 (WhiteSignal) → Ensemble 1",
        "Ensemble 1 → Ensemble 2",
        "Ensemble 2 → Node 2 (passthrough)",
    ]
    assert nodes["probe1"]["label"] == "Probe 2"
    assert nodes["probe1"]["target_label"] == "Node 2 (passthrough)"
    ids = set(nodes) | set(edges)
    texts = [n["label"] for n in graph["nodes"]] + [
        e["label"] for e in graph["edges"] if e["kind"] == "connection"
    ]
    assert not [t for t in texts if any(i in t.split() for i in ids)]


def test_labels_use_nengo_labels_and_neurons_ends():
    graph = network_graph(subnet_net())
    edges = [e for e in graph["edges"] if e["kind"] == "connection"]
    labels = [e["label"] for e in edges]
    assert "memory → memory" in labels
    assert "b → c" in labels
    assert "output → memory.neurons" in labels
    probes = [n for n in graph["nodes"] if n["kind"] == "probe"]
    assert [p["target_label"] for p in probes] == ["c", "memory.neurons"]
    with nengo.Network() as net:
        a = nengo.Ensemble(5, 1, label="a")
        conn = nengo.Connection(a, a, label="feedback")
        nengo.Probe(conn)
    graph = network_graph(net)
    assert by_id(graph["edges"])["conn0"]["label"] == "feedback"
    assert by_id(graph["nodes"])["probe0"]["target_label"] == "feedback"


def test_large_subnetworks_are_collapsed_by_default():
    net = wide_net()
    graph = network_graph(net)
    networks = {n["label"]: n for n in graph["nodes"] if n["kind"] == "network"}
    assert networks["big array"]["n_objects"] == 16 + 2  # ensembles, input, output
    assert networks["stage 0"]["n_objects"] == 3
    assert networks["inner 0"]["n_objects"] == 2
    flagged = [label for label, n in networks.items() if n["collapsed_by_default"]]
    assert flagged == ["big array"]
    assert COLLAPSE_OVER == 12

    widget = NetworkViewWidget(net)
    assert widget.collapsed == [networks["big array"]["id"]]
    assert widget.get_state(["collapsed"])["collapsed"] == widget.collapsed
    assert NetworkViewWidget(net, collapsed=[]).collapsed == []  # the caller's wins
    with nengo.Network() as small:
        with nengo.Network():
            for _ in range(COLLAPSE_OVER):
                nengo.Node(size_in=1)
    assert NetworkViewWidget(small).collapsed == []  # at the threshold: drawn open


def click(widget, obj_id):
    """What anywidget does with a custom message from the browser."""
    widget._handle_custom_msg({"type": "toggle", "id": obj_id}, [])


def test_click_toggles_trainable():
    net = tutorial_net()
    widget = NetworkViewWidget(net)
    changes = []
    widget.on_change.append(lambda obj, value: changes.append((obj, value)))
    ens = widget.object_for("ens0")
    conn = widget.object_for("conn1")
    assert widget.id_for(ens) == "ens0"

    click(widget, "ens0")
    assert trainable_objects(net)[ens] is False
    assert trainable_objects(net)[ens.neurons] is False  # neurons follow
    assert by_id(widget.graph["nodes"])["ens0"]["trainable"] is False
    assert changes == [(ens, False)]

    click(widget, "conn1")
    assert trainable_objects(net)[conn] is False
    assert by_id(widget.graph["edges"])["conn1"]["trainable"] is False

    click(widget, "ens0")
    assert trainable_objects(net)[ens] is True
    assert by_id(widget.graph["nodes"])["ens0"]["trainable"] is True
    assert by_id(widget.graph["nodes"])["ens1"]["trainable"] is True
    assert len(changes) == 3


def test_click_ignores_other_ids_and_messages():
    widget = NetworkViewWidget(tutorial_net())
    before = widget.graph
    click(widget, "node0")
    click(widget, "nope")
    widget._handle_custom_msg({"type": "other"}, [])
    widget._handle_custom_msg("text", [])
    assert widget.graph == before


def send(widget, kind, obj_id):
    """A click message of ``kind`` ("toggle" or "select"), as the browser sends it."""
    widget._handle_custom_msg({"type": kind, "id": obj_id}, [])


def test_select_message_calls_on_select_and_keeps_trainable():
    net = tutorial_net()
    widget = NetworkViewWidget(net)
    selected, changes = [], []
    widget.on_select.append(selected.append)
    widget.on_change.append(lambda obj, value: changes.append((obj, value)))
    before = dict(trainable_objects(net))
    graph = widget.graph

    send(widget, "select", "ens1")
    assert selected == [widget.object_for("ens1")]
    assert widget.selected == "ens1"  # highlighted in the drawing
    assert trainable_objects(net) == before
    assert widget.graph == graph
    assert changes == []

    for other in ("conn1", "node0", "probe0", "nope"):  # not an ensemble: ignored
        send(widget, "select", other)
    assert len(selected) == 1 and widget.selected == "ens1"
    assert trainable_objects(net) == before


def test_select_from_python_and_bad_objects():
    net = tutorial_net()
    widget = NetworkViewWidget(net)
    selected = []
    widget.on_select.append(selected.append)
    ens = widget.object_for("ens0")
    widget.select(ens)
    assert selected == [ens] and widget.selected == "ens0"
    stranger = nengo.Ensemble(5, 1, label="stranger", add_to_container=False)
    with pytest.raises(ValueError, match="stranger.*not an Ensemble of the network"):
        widget.select(stranger)
    with pytest.raises(ValueError, match="not an Ensemble of the network"):
        widget.select(widget.object_for("conn0"))
    assert selected == [ens]


def test_click_mode_trait():
    widget = NetworkViewWidget(tutorial_net())
    assert widget.click_mode == "toggle"
    assert widget.get_state()["click_mode"] == "toggle"
    widget.set_state({"click_mode": "select"})  # the toolbar's "show neurons"
    assert widget.click_mode == "select"
    assert NetworkViewWidget(tutorial_net(), click_mode="select").click_mode == "select"
    with pytest.raises(traitlets.TraitError, match="click_mode.*'toggle', 'select'"):
        widget.click_mode = "neurons"


def test_toggle_in_subnetwork_wins_over_outer_config():
    net = subnet_net()
    with net:
        nengodl_notebook.configure_settings(trainable=False)
    widget = NetworkViewWidget(net)
    memory = next(e for e in net.all_ensembles if e.label == "memory")
    memory_id = widget.id_for(memory)
    assert by_id(widget.graph["nodes"])[memory_id]["trainable"] is False

    click(widget, memory_id)
    integrator = net.networks[0]
    assert integrator.config[memory].trainable is True  # innermost network
    assert trainable_objects(net)[memory] is True
    assert by_id(widget.graph["nodes"])[memory_id]["trainable"] is True
    others = [n for n in widget.graph["nodes"] if n["kind"] == "ensemble"]
    assert [n["trainable"] for n in others if n["id"] != memory_id] == [False] * 4


def test_python_config_change_and_refresh():
    net = tutorial_net()
    widget = NetworkViewWidget(net)
    ens = widget.object_for("ens1")
    with net:
        nengodl_notebook.configure_settings(trainable=None)
    net.config[ens].trainable = False
    assert by_id(widget.graph["nodes"])["ens1"]["trainable"] is True  # not yet
    widget.refresh()
    assert by_id(widget.graph["nodes"])["ens1"]["trainable"] is False

    widget.set_trainable(widget.object_for("conn0"), False)
    assert by_id(widget.graph["edges"])["conn0"]["trainable"] is False
    with pytest.raises(ValueError, match="not an Ensemble or Connection"):
        widget.set_trainable(nengo.Ensemble(5, 1, add_to_container=False), True)


def test_state_round_trip():
    widget = NetworkViewWidget(subnet_net(), collapsed=["net1"])
    state = widget.get_state()
    assert state["collapsed"] == ["net1"]
    assert state["graph"] == widget.graph
    assert state["_esm"].startswith("//") or "export" in state["_esm"]

    widget.set_state({"collapsed": ["net0", "net2"]})  # as the browser does
    assert widget.collapsed == ["net0", "net2"]
    other = NetworkViewWidget(subnet_net())
    other.set_state(widget.get_state(["collapsed"]))
    assert other.collapsed == ["net0", "net2"]
