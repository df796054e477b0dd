// Layouts of large networks (node --test): 50 parallel chains stay aligned, a
// wide nested pipeline fits the panel, large sub-networks start collapsed.
// Fixtures are network_graph() of chains_net() and wide_net() in
// tests/test_widget_network_view.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { layoutGraph } from "../layout.js";
import { MAX_SCALE, MIN_SCALE, fitScale, scrollForZoom, zoomBy } from "../view_zoom.js";

const fixture = (name) => JSON.parse(readFileSync(new URL(`fixtures/${name}.json`, import.meta.url), "utf8"));
const chains = fixture("chains50");
const wide = fixture("wide");
const defaultCollapsed = (graph) => graph.nodes.filter((n) => n.collapsed_by_default).map((n) => n.id);

/** The chains of chains50.json: [input, square, sin, output] ids, followed by connections. */
function chainsOf(graph) {
  const next = new Map(graph.edges.filter((e) => e.kind === "connection").map((e) => [e.source, e.target]));
  const targets = new Set(next.values());
  const inputs = graph.nodes.filter((n) => n.kind === "node" && next.has(n.id) && !targets.has(n.id));
  return inputs.map((n) => [n.id, next.get(n.id), next.get(next.get(n.id)), next.get(next.get(next.get(n.id)))]);
}

test("50 chains: each input is level with its own chain", () => {
  const layout = layoutGraph(chains, []);
  const y = new Map(layout.nodes.map((n) => [n.id, n.y]));
  const rows = chainsOf(chains);
  assert.equal(rows.length, 50);
  for (const row of rows) {
    const ys = row.map((id) => y.get(id));
    assert.ok(Math.max(...ys) - Math.min(...ys) <= 1, `chain ${row} at ys ${ys}`);
  }
  const starts = rows.map(([input]) => y.get(input));
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b), "chains are drawn in order");
});

test("50 chains: the height grows by at most 70 px per chain", () => {
  const layout = layoutGraph(chains, []);
  assert.ok(layout.height <= 50 * 70 + 48, `height ${layout.height}`);
  assert.ok(layout.width <= 5 * 180 + 48, `width ${layout.width}`);
});

test("wide nested network: the fit scale makes it no wider than the panel", () => {
  const layout = layoutGraph(wide, defaultCollapsed(wide));
  for (const panel of [400, 900, 1400]) {
    const scale = fitScale(layout.width, panel);
    assert.ok(layout.width > panel, `the test network is wider than ${panel} px`);
    assert.ok(scale * layout.width <= panel, `${scale} x ${layout.width} > ${panel}`);
    assert.ok(scale * layout.width > panel * 0.99, "and uses the panel's width");
  }
  assert.equal(fitScale(300, 1000), 1, "small drawings keep their size");
  assert.equal(fitScale(300, 0), null, "a hidden panel has nothing to fit");
});

test("sub-networks past the threshold are drawn collapsed, the others open", () => {
  const collapsed = defaultCollapsed(wide);
  const big = wide.nodes.find((n) => n.label === "big array");
  assert.deepEqual(collapsed, [big.id]);
  const layout = layoutGraph(wide, collapsed);
  const drawn = new Map(layout.nodes.map((n) => [n.id, n]));
  assert.equal(drawn.get(big.id).collapsed, true);
  assert.equal(drawn.get(big.id).count, big.n_objects);
  const inside = wide.nodes.filter((n) => n.parent === big.id);
  assert.ok(inside.length > 12 && inside.every((n) => !drawn.has(n.id)));
  const open = wide.nodes.filter((n) => n.kind === "network" && n.id !== big.id).map((n) => n.id);
  assert.deepEqual(layout.boxes.map((b) => b.id).sort(), open.sort());
  const expanded = layoutGraph(wide, []);
  assert.ok(expanded.height > layout.height);
});

test("zoom steps are bounded; zooming keeps the point under the cursor", () => {
  assert.ok(zoomBy(1, 1) > 1 && zoomBy(1, -1) < 1);
  assert.equal(zoomBy(1, 100), MAX_SCALE);
  assert.equal(zoomBy(1, -100), MIN_SCALE);
  assert.ok(Math.abs(zoomBy(zoomBy(0.8, 1), -1) - 0.8) < 1e-12);
  // point 300 px into the drawing at scale 1, under a cursor 100 px into the view
  const scroll = scrollForZoom(200, 100, 1, 2);
  assert.equal(scroll + 100, 600);
  assert.equal(scrollForZoom(0, 100, 1, 0.5), 0);
});
