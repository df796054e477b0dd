// Texts (labels, tooltips) and the stylesheet of the network drawing.

/**
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedEdge} PlacedEdge
 * @typedef {import("./layout.js").GraphEdge} GraphEdge
 */

const yesNo = (v) => (v ? "yes" : "no");

/**
 * Tooltip of a drawn item.
 * @param {PlacedNode} n
 * @returns {string}
 */
export function nodeTooltip(n) {
  const d = /** @type {any} */ (n.node);
  if (n.collapsed) return `${d.label}: ${n.count} objects (click to expand)`;
  if (d.kind === "ensemble") {
    const dims = `${d.dimensions} dimension${d.dimensions === 1 ? "" : "s"}`;
    return `Ensemble ${d.label}\n${d.n_neurons} ${d.neuron_type} neurons, ${dims}\ntrainable: ${yesNo(d.trainable)} (click to toggle)`;
  }
  if (d.kind === "probe") {
    return `Probe ${d.label}\nrecords ${d.attr}${d.target_neurons ? " of the neurons" : ""} of ${d.target}\nsynapse: ${d.synapse}`;
  }
  return `Node ${d.label}\noutput: ${d.output}\nsize_in ${d.size_in}, size_out ${d.size_out}`;
}

/**
 * Tooltip of a connection.
 * @param {PlacedEdge} e
 * @returns {string}
 */
export function edgeTooltip(e) {
  const c = /** @type {any} */ (e.edge);
  const pre = c.pre_neurons ? `${c.source}.neurons` : c.source;
  const post = c.post_neurons ? `${c.target}.neurons` : c.target;
  const shape = (c.transform_shape ?? []).join("×");
  return [
    `Connection ${c.id}: ${pre} → ${post}`,
    `function: ${c.function ?? "none"}`,
    `synapse: ${c.synapse}`,
    `transform: ${shape}`,
    `trainable: ${yesNo(c.trainable)} (click to toggle)`,
  ].join("\n");
}

/**
 * Label lines of a connection, each [text, class]: its function (if any),
 * then its synapse.
 * @param {GraphEdge} edge
 * @returns {[string, string][]}
 */
export function edgeLabelLines(edge) {
  const c = /** @type {any} */ (edge);
  /** @type {[string, string][]} */
  const lines = [];
  if (c.function) lines.push([`${c.function}()`, "fn"]);
  if (c.synapse && c.synapse !== "none") lines.push([c.synapse, "syn"]);
  return lines;
}

/** Stylesheet, scoped to the drawing's classes. */
export const STYLE = `
.nengo-network-svg { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 12px; user-select: none; }
.nengo-network-svg .box { fill: rgba(99, 102, 241, 0.05); stroke: #818cf8; stroke-width: 1.2; }
.nengo-network-svg .title { fill: #4338ca; font-weight: 600; cursor: pointer; }
.nengo-network-svg .nengo-network.collapsed { cursor: pointer; }
.nengo-network-svg .nengo-network.collapsed .shape { fill: #eef2ff; stroke: #6366f1; stroke-width: 1.5; }
.nengo-network-svg .count { fill: #4338ca; font-weight: 600; }
.nengo-network-svg .label { fill: #1f2937; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.nengo-network-svg .nengo-ensemble { cursor: pointer; }
.nengo-network-svg .nengo-ensemble .shape { fill: #dbeafe; stroke: #2563eb; stroke-width: 2.5; }
.nengo-network-svg .nengo-ensemble[data-trainable="false"] .shape { fill: #f3f4f6; stroke: #9ca3af; stroke-dasharray: 4 3; stroke-width: 1.5; }
.nengo-network-svg .nengo-node .shape { fill: #fef3c7; stroke: #b45309; stroke-width: 1.5; }
.nengo-network-svg .nengo-probe .shape { fill: #6b7280; stroke: #374151; }
.nengo-network-svg .nengo-probe .label { fill: #6b7280; font-size: 10px; }
.nengo-network-svg .hit { fill: none; stroke: transparent; stroke-width: 12; }
.nengo-network-svg .line { fill: none; }
.nengo-network-svg .nengo-connection { cursor: pointer; }
.nengo-network-svg .nengo-connection .line { stroke: #2563eb; stroke-width: 2; }
.nengo-network-svg .nengo-connection[data-trainable="false"] .line { stroke: #9ca3af; stroke-dasharray: 5 4; stroke-width: 1.5; }
.nengo-network-svg .nengo-connection:hover .line, .nengo-network-svg .nengo-ensemble:hover .shape { filter: drop-shadow(0 0 2px #60a5fa); }
.nengo-network-svg .nengo-probe-edge .line { stroke: #9ca3af; stroke-width: 1; stroke-dasharray: 2 3; }
.nengo-network-svg .edge-label { font-size: 10.5px; fill: #1d4ed8; paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.nengo-network-svg .edge-label .syn { font-size: 9.5px; fill: #64748b; }
.nengo-network-svg .edge-label .fn { font-weight: 600; }
.nengo-network-svg .nengo-connection[data-trainable="false"] .edge-label .fn { fill: #6b7280; }
.nengo-network-svg .arrow-head { fill: #4b5563; }
.nengo-network-svg .probe-arrow-head { fill: #9ca3af; }
`;
