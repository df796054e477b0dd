// Tooltips name objects by their labels, never by the drawing's internal ids.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { layoutGraph } from "../layout.js";
import { edgeTooltip, nodeTooltip } from "../network_view_text.js";

const fixture = (name) => JSON.parse(readFileSync(new URL(`fixtures/${name}.json`, import.meta.url), "utf8"));
const ID = /\b(ens|node|net|conn|probe)\d+\b/;

for (const name of ["tutorial", "subnet", "wide"]) {
  test(`${name}: tooltips show labels, not ids`, () => {
    const graph = fixture(name);
    const labels = new Map(graph.nodes.map((n) => [n.id, n.label]));
    const collapsed = graph.nodes.filter((n) => n.collapsed_by_default).map((n) => n.id);
    const layout = layoutGraph(graph, collapsed);
    const texts = [
      ...layout.nodes.map(nodeTooltip),
      ...layout.edges.filter((e) => e.edge.kind === "connection").map((e) => edgeTooltip(e, (id) => labels.get(id))),
    ];
    assert.ok(texts.length > 5);
    for (const text of texts) assert.ok(!ID.test(text), `an id in ${JSON.stringify(text)}`);
  });
}

test("tutorial: the tooltips' texts", () => {
  const graph = fixture("tutorial");
  const labels = new Map(graph.nodes.map((n) => [n.id, n.label]));
  const layout = layoutGraph(graph, []);
  const node = new Map(layout.nodes.map((n) => [n.id, nodeTooltip(n)]));
  const edge = new Map(layout.edges.map((e) => [e.id, edgeTooltip(e, (id) => labels.get(id))]));
  assert.equal(node.get("ens0"), "Ensemble 1\nEnsemble: 20 LIF neurons, 1 dimension\ntrainable: yes (click to toggle)");
  assert.match(node.get("probe1"), /^Probe 2\nProbe: records output of Node 2 \(passthrough\)\nsynapse: Lowpass\(0\.01\)$/);
  assert.match(edge.get("conn1"), /^Connection Ensemble 1 → Ensemble 2\nfunction: square\n/);
});
