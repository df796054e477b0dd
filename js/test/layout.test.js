// Unit tests of the pure layout (node --test); fixtures are network_graph()
// output of the networks in tests/test_widget_network_view.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { assignLayers, ensembleRadius, layoutGraph } from "../layout.js";
import { SIZES } from "../layout_sizes.js";

const fixture = (name) => JSON.parse(readFileSync(new URL(`fixtures/${name}.json`, import.meta.url), "utf8"));
const tutorial = fixture("tutorial");
const subnet = fixture("subnet");
const byId = (items) => new Map(items.map((i) => [i.id, i]));
const idOf = (graph, label) => graph.nodes.find((n) => n.label === label).id;

/** Vertical extent of a drawn item, shape and label. */
const extent = (n) => [n.y - n.hh, n.y + n.hh + SIZES.labelHeight];
const overlaps = (a, b) => a[0] < b[1] && b[0] < a[1];

function assertNoOverlaps(layout) {
  const nodes = layout.nodes;
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      if (nodes[i].layer !== nodes[j].layer) continue;
      assert.ok(!overlaps(extent(nodes[i]), extent(nodes[j])), `${nodes[i].id} overlaps ${nodes[j].id}`);
    }
  }
}

const inside = (n, box) =>
  n.x - n.hw >= box.x && n.x + n.hw <= box.x + box.w && n.y - n.hh >= box.y && n.y + n.hh <= box.y + box.h;

test("tutorial: layers follow the data flow", () => {
  const layout = layoutGraph(tutorial, []);
  const layer = new Map(layout.nodes.map((n) => [n.id, n.layer]));
  assert.deepEqual(
    ["node0", "ens0", "ens1", "node1", "probe0", "probe1"].map((id) => layer.get(id)),
    [0, 1, 2, 3, 1, 4],
  );
  const x = new Map(layout.nodes.map((n) => [n.id, n.x]));
  assert.ok(x.get("node0") < x.get("ens0") && x.get("ens0") < x.get("ens1") && x.get("ens1") < x.get("node1"));
  assert.equal(layout.boxes.length, 0);
  assert.equal(layout.edges.length, tutorial.edges.length);
  assertNoOverlaps(layout);
});

test("tutorial: the main chain is drawn on one line, probes off it", () => {
  const nodes = byId(layoutGraph(tutorial, []).nodes);
  const ys = ["node0", "ens0", "ens1", "node1"].map((id) => nodes.get(id).y);
  assert.ok(ys.every((y) => y === ys[0]), `chain ys ${ys}`);
  assert.ok(nodes.get("probe0").y > nodes.get("ens0").y);
});

test("everything fits in the drawing", () => {
  for (const [graph, collapsed] of [[tutorial, []], [subnet, []], [subnet, ["net0"]], [subnet, ["net1", "net2"]]]) {
    const layout = layoutGraph(graph, collapsed);
    for (const n of layout.nodes) {
      assert.ok(n.x - n.hw >= 0 && n.x + n.hw <= layout.width, `${n.id} x`);
      assert.ok(n.y - n.hh >= 0 && n.y + n.hh + SIZES.labelHeight <= layout.height, `${n.id} y`);
    }
    for (const b of layout.boxes) assert.ok(b.x >= 0 && b.x + b.w <= layout.width && b.y + b.h <= layout.height);
  }
});

test("longest-path layering with cycles, self-loops and late sources", () => {
  const edges = [
    { source: "a", target: "b" },
    { source: "b", target: "c" },
    { source: "c", target: "b" }, // a cycle
    { source: "c", target: "c", selfLoop: true },
    { source: "a", target: "c" }, // a shortcut: c stays after b
    { source: "bias", target: "c" }, // a source feeding a late layer
  ];
  const layers = assignLayers(["a", "b", "c", "bias", "alone"], edges);
  assert.deepEqual(Object.fromEntries(layers), { a: 0, b: 1, c: 2, bias: 1, alone: 0 });
});

test("sub-networks: boxes hold their members, nested boxes nest, siblings do not overlap", () => {
  const layout = layoutGraph(subnet, []);
  const nodes = byId(layout.nodes);
  const boxes = byId(layout.boxes);
  assert.deepEqual([...boxes.keys()].sort(), ["net0", "net1", "net2"]);
  for (const node of subnet.nodes) {
    if (node.kind === "network" || node.parent == null) continue;
    assert.ok(inside(nodes.get(node.id), boxes.get(node.parent)), `${node.id} in ${node.parent}`);
  }
  const [outer, inner, sibling] = ["net0", "net1", "net2"].map((id) => boxes.get(id));
  assert.ok(inner.x > outer.x && inner.x + inner.w < outer.x + outer.w);
  assert.ok(inner.y > outer.y && inner.y + inner.h <= outer.y + outer.h);
  assert.ok(!overlaps([outer.y, outer.y + outer.h], [sibling.y, sibling.y + sibling.h]));
  assert.equal(boxes.get("net0").depth, 0);
  assert.equal(boxes.get("net1").depth, 1);
  for (const n of layout.nodes) {
    if (subnet.nodes.find((m) => m.id === n.id).parent == null) {
      for (const b of layout.boxes) assert.ok(!inside(n, b), `${n.id} is not in ${b.id}`);
    }
  }
  assertNoOverlaps(layout);
});

test("data flows left to right through the sub-networks", () => {
  const x = new Map(layoutGraph(subnet, []).nodes.map((n) => [n.id, n.x]));
  const [stim, memory, b, c, out] = ["stimulus", "memory", "b", "c", "output"].map((l) => x.get(idOf(subnet, l)));
  assert.ok(stim < memory && memory < b && b < c && c < out);
});

test("a collapsed sub-network is one box; its edges are rerouted", () => {
  const layout = layoutGraph(subnet, ["net0"]);
  const drawn = byId(layout.nodes);
  const memory = idOf(subnet, "memory");
  const c = idOf(subnet, "c");
  assert.ok(!drawn.has(memory) && !drawn.has(c) && !drawn.has("net1"), "members are hidden");
  assert.equal(drawn.get("net0").collapsed, true);
  assert.equal(drawn.get("net0").count, 3);
  assert.deepEqual(layout.boxes.map((b) => b.id), ["net2"]);
  const edges = byId(layout.edges);
  const stimToMemory = subnet.edges.find((e) => e.source === idOf(subnet, "stimulus") && e.target === memory);
  assert.equal(edges.get(stimToMemory.id).target, "net0");
  assert.equal(edges.get(stimToMemory.id).rerouted, true);
  const internal = subnet.edges.filter((e) => [memory, c, idOf(subnet, "b")].includes(e.source) && e.source !== e.target);
  const internalIds = internal.filter((e) => subnet.nodes.find((n) => n.id === e.target)?.parent?.startsWith("net")).map((e) => e.id);
  for (const id of internalIds) assert.ok(!edges.has(id), `${id} is inside the box`);
  const selfLoop = subnet.edges.find((e) => e.source === memory && e.target === memory);
  assert.ok(!edges.has(selfLoop.id), "the memory's recurrent connection is inside the box");
  for (const e of layout.edges) assert.ok(drawn.has(e.source) && drawn.has(e.target));
  assertNoOverlaps(layout);
});

test("collapsing an inner network keeps the outer box around it", () => {
  const layout = layoutGraph(subnet, ["net1"]);
  const boxes = byId(layout.boxes);
  const drawn = byId(layout.nodes);
  assert.ok(inside(drawn.get("net1"), boxes.get("net0")));
  assert.ok(!drawn.has(idOf(subnet, "c")));
  const cToOut = layout.edges.find((e) => e.target === idOf(subnet, "output") && e.source === "net1");
  assert.ok(cToOut?.rerouted);
});

test("collapsed ids that are not networks are ignored; empty networks are boxes", () => {
  const graph = {
    nodes: [
      { id: "net0", kind: "network", label: "empty", parent: null },
      { id: "node0", kind: "node", label: "n", parent: null },
    ],
    edges: [],
  };
  const layout = layoutGraph(graph, ["node0", "missing"]);
  const drawn = byId(layout.nodes);
  assert.equal(drawn.get("net0").collapsed, true);
  assert.equal(drawn.get("node0").collapsed, false);
  assert.deepEqual(layoutGraph({ nodes: [], edges: [] }, []).nodes, []);
});

test("edges leave the source's right side and end before the target", () => {
  const layout = layoutGraph(tutorial, []);
  const nodes = byId(layout.nodes);
  for (const e of layout.edges) {
    const [x0, , , , , , x3] = e.d.match(/-?[\d.]+/g).map(Number);
    assert.ok(Math.abs(x0 - (nodes.get(e.source).x + nodes.get(e.source).hw)) < 0.1);
    assert.ok(x3 < nodes.get(e.target).x - nodes.get(e.target).hw + 0.01);
    assert.ok(e.labelX > x0 && e.labelX < x3);
  }
});

test("parallel edges get different curves; self-loops arc above", () => {
  const graph = {
    nodes: [
      { id: "a", kind: "ensemble", label: "a", parent: null, n_neurons: 10 },
      { id: "b", kind: "ensemble", label: "b", parent: null, n_neurons: 10 },
    ],
    edges: [
      { id: "c0", kind: "connection", source: "a", target: "b" },
      { id: "c1", kind: "connection", source: "a", target: "b" },
      { id: "c2", kind: "connection", source: "b", target: "b" },
    ],
  };
  const layout = layoutGraph(graph, []);
  const edges = byId(layout.edges);
  assert.notEqual(edges.get("c0").d, edges.get("c1").d);
  assert.ok(edges.get("c2").selfLoop);
  assert.ok(edges.get("c2").labelY < byId(layout.nodes).get("b").y);
});

test("ensemble radius grows with the log of the size, within bounds", () => {
  assert.ok(ensembleRadius(20) < ensembleRadius(200));
  assert.ok(ensembleRadius(200) < ensembleRadius(2000));
  assert.equal(ensembleRadius(1), 9);
  assert.ok(ensembleRadius(1e9) <= SIZES.maxHalf);
});
