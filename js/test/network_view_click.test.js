// The click mode: "toggle" sends toggle messages, "select" sends select messages
// for ensembles only; collapsing works the same in both; texts follow the mode.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { layoutGraph } from "../layout.js";
import { MODE_BUTTONS, clickAction } from "../network_view_click.js";
import { edgeTooltip, hintText, nodeTooltip } from "../network_view_text.js";

const ens = { id: "ens0", what: "ensemble" };
const conn = { id: "conn1", what: "connection" };

test("toggle mode: ensembles and connections send a toggle message", () => {
  assert.deepEqual(clickAction(ens, [], "toggle"), { message: { type: "toggle", id: "ens0" } });
  assert.deepEqual(clickAction(conn, [], "toggle"), { message: { type: "toggle", id: "conn1" } });
});

test("select mode: an ensemble sends a select message, a connection nothing", () => {
  assert.deepEqual(clickAction(ens, [], "select"), { message: { type: "select", id: "ens0" } });
  assert.equal(clickAction(conn, [], "select"), null);
});

test("collapsing and expanding do not depend on the mode", () => {
  for (const mode of ["toggle", "select"]) {
    assert.deepEqual(clickAction({ id: "net1", what: "title" }, ["net0"], mode), { collapsed: ["net0", "net1"] });
    assert.deepEqual(clickAction({ id: "net0", what: "collapsed" }, ["net0", "net2"], mode), { collapsed: ["net2"] });
    assert.equal(clickAction(null, [], mode), null);
  }
});

test("the toolbar's mode buttons", () => {
  assert.deepEqual(
    MODE_BUTTONS.map(([mode, text]) => [mode, text]),
    [["toggle", "toggle trainable"], ["select", "show neurons"]],
  );
});

test("the hint follows the mode", () => {
  assert.match(hintText("toggle"), /^Click an ensemble or connection to toggle whether it trains; /);
  assert.match(hintText("select"), /^Click an ensemble to show its neurons /);
  assert.doesNotMatch(hintText("select"), /toggle whether/);
  for (const mode of ["toggle", "select"]) assert.match(hintText(mode), /Ctrl \+ wheel zooms, drag pans\.$/);
});

test("tooltips say what a click does in each mode", () => {
  const graph = JSON.parse(readFileSync(new URL("fixtures/tutorial.json", import.meta.url), "utf8"));
  const labels = (id) => graph.nodes.find((n) => n.id === id)?.label;
  const layout = layoutGraph(graph, []);
  const node = layout.nodes.find((n) => n.id === "ens0");
  const edge = layout.edges.find((e) => e.id === "conn1");
  assert.match(nodeTooltip(node, "toggle"), /\ntrainable: yes \(click to toggle\)$/);
  assert.match(nodeTooltip(node, "select"), /\ntrainable: yes \(click to show its neurons\)$/);
  assert.match(edgeTooltip(edge, labels, "toggle"), /\(click to toggle\)$/);
  assert.doesNotMatch(edgeTooltip(edge, labels, "select"), /click to toggle/);
});
