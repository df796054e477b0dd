// The SVG drawing of a laid-out network graph (shapes, edges, boxes, labels).

import { edgeLabelLines, edgeTooltip, nodeTooltip } from "./network_view_text.js";

/**
 * @typedef {import("./layout.js").Layout} Layout
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedBox} PlacedBox
 * @typedef {import("./layout.js").PlacedEdge} PlacedEdge
 * @typedef {{mode?: string, selected?: string}} ClickState  The click mode and
 *   the selected ensemble's id (highlighted in "select" mode).
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text != null) el.textContent = text;
  return el;
}

/** @param {SVGElement} parent @param {string} text */
function addTitle(parent, text) {
  parent.appendChild(svg("title", {}, text));
}

/**
 * Text centred at (x, y); one tspan per line, each [text, class].
 * @param {number} x
 * @param {number} y
 * @param {[string, string][]} lines
 * @param {string} cls
 * @returns {SVGElement}
 */
function label(x, y, lines, cls) {
  const text = svg("text", { x, y, class: cls, "text-anchor": "middle" });
  lines.forEach(([line, lineCls], i) => {
    text.appendChild(svg("tspan", { x, dy: i === 0 ? 0 : "1.2em", class: lineCls }, line));
  });
  return text;
}

const short = (s, n = 22) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** @param {PlacedBox} box @returns {SVGElement} */
function drawBox(box) {
  const g = svg("g", { class: "nengo-network", "data-id": box.id, "data-collapsed": "false" });
  addTitle(g, `${box.node.label} (${box.node.network_type ?? "Network"}): click the title to collapse`);
  g.appendChild(svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 12, class: "box" }));
  const title = svg("g", { class: "nengo-network-title", "data-id": box.id });
  title.appendChild(svg("text", { x: box.x + 12, y: box.y + 17, class: "title" }, `▾ ${short(box.node.label, 30)}`));
  g.appendChild(title);
  return g;
}

/**
 * The shape of a drawn item centred at (x, y), or of a legend swatch.
 * @param {{x: number, y: number, hw: number, hh: number, kind: string, collapsed?: boolean}} n
 * @returns {SVGElement}
 */
export function drawShape(n) {
  const { x, y, hw, hh } = n;
  if (n.collapsed) return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: Math.min(10, hh), class: "shape" });
  if (n.kind === "ensemble") return svg("circle", { cx: x, cy: y, r: hw, class: "shape" });
  if (n.kind === "probe") {
    return svg("path", { d: `M${x},${y - hh} L${x + hw},${y} L${x},${y + hh} L${x - hw},${y} Z`, class: "shape" });
  }
  return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: 2, class: "shape" });
}

/** @param {PlacedNode} n @param {ClickState} click @returns {SVGElement} */
function drawNode(n, click) {
  const cls = n.collapsed ? "nengo-network collapsed" : `nengo-${n.kind}`;
  const attrs = { class: cls, "data-id": n.id };
  if (n.collapsed) attrs["data-collapsed"] = "true";
  if (n.kind === "ensemble") attrs["data-trainable"] = String(Boolean(n.node.trainable));
  const selected = !n.collapsed && click.mode === "select" && click.selected === n.id;
  if (selected) attrs["data-selected"] = "true";
  const g = svg("g", attrs);
  addTitle(g, nodeTooltip(n, click.mode));
  if (selected) g.appendChild(svg("circle", { cx: n.x, cy: n.y, r: n.hw + 5, class: "selection" }));
  g.appendChild(drawShape(n));
  if (n.collapsed) g.appendChild(svg("text", { x: n.x, y: n.y + 4, class: "count", "text-anchor": "middle" }, `▸ ${n.count}`));
  g.appendChild(label(n.x, n.y + n.hh + 13, [[short(n.node.label), ""]], "label"));
  return g;
}

/**
 * @param {PlacedEdge} e
 * @param {(id: string) => string} labelOf
 * @param {string} [mode]  The click mode.
 * @returns {SVGElement}
 */
function drawEdge(e, labelOf, mode) {
  const isProbe = e.edge.kind === "probe";
  const attrs = { class: isProbe ? "nengo-probe-edge" : "nengo-connection", "data-id": e.id };
  if (!isProbe) attrs["data-trainable"] = String(Boolean(e.edge.trainable));
  if (e.rerouted) attrs["data-rerouted"] = "true";
  const g = svg("g", attrs);
  if (!isProbe) addTitle(g, edgeTooltip(e, labelOf, mode));
  g.appendChild(svg("path", { d: e.d, class: "hit" }));
  g.appendChild(svg("path", { d: e.d, class: "line", "marker-end": `url(#${isProbe ? "probe-arrow" : "arrow"})` }));
  const lines = isProbe ? [] : edgeLabelLines(e.edge);
  // One line sits just above the curve; two lines straddle it.
  const y = lines.length === 1 ? e.labelY - 5 : e.labelY - 3;
  if (lines.length) g.appendChild(label(e.labelX, y, lines, "edge-label"));
  return g;
}

function markers() {
  const defs = svg("defs");
  for (const [id, size] of [["arrow", 9], ["probe-arrow", 6]]) {
    const m = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: size, markerHeight: size, markerUnits: "userSpaceOnUse", orient: "auto" });
    m.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", class: `${id}-head` }));
    defs.appendChild(m);
  }
  return defs;
}

/**
 * The whole drawing of a layout, in its own coordinates (viewBox); the caller
 * sets the drawn size (zoom) with the `width` and `height` attributes.
 * @param {Layout} layout
 * @param {(id: string) => string} labelOf  Label of a graph node by id.
 * @param {ClickState} [click]  For the tooltips and the selection's highlight.
 * @returns {SVGSVGElement}
 */
export function drawNetwork(layout, labelOf, click = {}) {
  const attrs = { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: "nengo-network-svg" };
  const root = /** @type {SVGSVGElement} */ (svg("svg", attrs));
  root.appendChild(markers());
  for (const box of layout.boxes) root.appendChild(drawBox(box));
  const edges = svg("g", { class: "edges" });
  for (const e of layout.edges) edges.appendChild(drawEdge(e, labelOf, click.mode));
  root.appendChild(edges);
  for (const n of layout.nodes) root.appendChild(drawNode(n, click));
  return root;
}
