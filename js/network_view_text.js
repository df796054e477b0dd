// Texts of the network drawing: tooltips and connection labels. Objects are
// named by their labels (network_graph gives unlabeled ones readable names).

/**
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedEdge} PlacedEdge
 * @typedef {import("./layout.js").GraphEdge} GraphEdge
 */

const yesNo = (v) => (v ? "yes" : "no");
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Tooltip of a drawn item.
 * @param {PlacedNode} n
 * @returns {string}
 */
export function nodeTooltip(n) {
  const d = /** @type {any} */ (n.node);
  if (n.collapsed) return `${d.label}: ${plural(n.count, "object")} (click to expand)`;
  if (d.kind === "ensemble") {
    return [
      d.label,
      `Ensemble: ${d.n_neurons} ${d.neuron_type} neurons, ${plural(d.dimensions, "dimension")}`,
      `trainable: ${yesNo(d.trainable)} (click to toggle)`,
    ].join("\n");
  }
  if (d.kind === "probe") {
    const what = d.target_neurons ? `${d.attr} of the neurons` : d.attr;
    return `${d.label}\nProbe: records ${what} of ${d.target_label ?? "?"}\nsynapse: ${d.synapse}`;
  }
  return `${d.label}\nNode: output ${d.output}\nsize_in ${d.size_in}, size_out ${d.size_out}`;
}

/**
 * Tooltip of a connection.
 * @param {PlacedEdge} e
 * @param {(id: string) => string} labelOf  Label of a graph node by id.
 * @returns {string}
 */
export function edgeTooltip(e, labelOf) {
  const c = /** @type {any} */ (e.edge);
  const pre = `${labelOf(c.source)}${c.pre_neurons ? ".neurons" : ""}`;
  const post = `${labelOf(c.target)}${c.post_neurons ? ".neurons" : ""}`;
  const ends = `${pre} → ${post}`;
  const title = c.label && c.label !== ends ? `Connection ${c.label}: ${ends}` : `Connection ${ends}`;
  const shape = (c.transform_shape ?? []).join("×");
  return [
    title,
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

/** The one-line hint shown above the drawing. */
export const HINT =
  "Click an ensemble or connection to toggle whether it trains; click a sub-network's title to collapse it. " +
  "Ctrl + wheel zooms, drag pans.";
