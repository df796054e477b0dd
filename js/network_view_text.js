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
 * What a click on an ensemble or connection does, for its tooltip.
 * @param {unknown} mode  The click mode ("toggle" when not "select").
 * @param {string} kind  "ensemble" or "connection".
 * @returns {string}
 */
function clickText(mode, kind) {
  if (mode !== "select") return "(click to toggle)";
  return kind === "ensemble" ? "(click to show its neurons)" : '(the click mode "toggle trainable" toggles it)';
}

/**
 * Tooltip of a drawn item.
 * @param {PlacedNode} n
 * @param {unknown} [mode]  The click mode ("toggle" when not "select").
 * @returns {string}
 */
export function nodeTooltip(n, mode) {
  const d = /** @type {any} */ (n.node);
  if (n.collapsed) return `${d.label}: ${plural(n.count, "object")} (click to expand)`;
  if (d.kind === "ensemble") {
    return [
      d.label,
      `Ensemble: ${d.n_neurons} ${d.neuron_type} neurons, ${plural(d.dimensions, "dimension")}`,
      `trainable: ${yesNo(d.trainable)} ${clickText(mode, "ensemble")}`,
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
 * @param {unknown} [mode]  The click mode ("toggle" when not "select").
 * @returns {string}
 */
export function edgeTooltip(e, labelOf, mode) {
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
    `trainable: ${yesNo(c.trainable)} ${clickText(mode, "connection")}`,
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

const HINT_END = "click a sub-network's title to collapse it. Ctrl + wheel zooms, drag pans.";

/**
 * The one-line hint shown above the drawing, for a click mode.
 * @param {string} mode  "toggle" or "select".
 * @returns {string}
 */
export function hintText(mode) {
  if (mode === "select") return `Click an ensemble to show its neurons (trainable settings stay as they are); ${HINT_END}`;
  return `Click an ensemble or connection to toggle whether it trains; ${HINT_END}`;
}
