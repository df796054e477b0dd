// NetworkViewWidget's view: an SVG drawing of a nengo network. Clicking an
// ensemble or connection asks Python to toggle its `trainable` setting;
// clicking a sub-network's title collapses or expands it.

import { layoutGraph } from "./layout.js";
import { STYLE, edgeLabelLines, edgeTooltip, nodeTooltip } from "./network_view_text.js";

/**
 * @typedef {import("./layout.js").Graph} Graph
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedBox} PlacedBox
 * @typedef {import("./layout.js").PlacedEdge} PlacedEdge
 *
 * @typedef {Object} Model  The part of anywidget's model that we use.
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(content: Object) => void} send
 * @property {(event: string, callback: Function) => void} on
 * @property {(event: string, callback: Function) => void} off
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
function svg(tag, attrs = {}, text) {
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

/** @param {PlacedNode} n @returns {SVGElement} */
function drawShape(n) {
  const { x, y, hw, hh } = n;
  if (n.collapsed) return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: 10, class: "shape" });
  if (n.kind === "ensemble") return svg("circle", { cx: x, cy: y, r: hw, class: "shape" });
  if (n.kind === "probe") {
    return svg("path", { d: `M${x},${y - hh} L${x + hw},${y} L${x},${y + hh} L${x - hw},${y} Z`, class: "shape" });
  }
  return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: 2, class: "shape" });
}

/** @param {PlacedNode} n @returns {SVGElement} */
function drawNode(n) {
  const cls = n.collapsed ? "nengo-network collapsed" : `nengo-${n.kind}`;
  const attrs = { class: cls, "data-id": n.id };
  if (n.collapsed) attrs["data-collapsed"] = "true";
  if (n.kind === "ensemble") attrs["data-trainable"] = String(Boolean(n.node.trainable));
  const g = svg("g", attrs);
  addTitle(g, nodeTooltip(n));
  g.appendChild(drawShape(n));
  if (n.collapsed) g.appendChild(svg("text", { x: n.x, y: n.y + 4, class: "count", "text-anchor": "middle" }, `▸ ${n.count}`));
  g.appendChild(label(n.x, n.y + n.hh + 13, [[short(n.node.label), ""]], "label"));
  return g;
}

/** @param {PlacedEdge} e @returns {SVGElement} */
function drawEdge(e) {
  const isProbe = e.edge.kind === "probe";
  const attrs = { class: isProbe ? "nengo-probe-edge" : "nengo-connection", "data-id": e.id };
  if (!isProbe) attrs["data-trainable"] = String(Boolean(e.edge.trainable));
  if (e.rerouted) attrs["data-rerouted"] = "true";
  const g = svg("g", attrs);
  if (!isProbe) addTitle(g, edgeTooltip(e));
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
 * The whole drawing for the model's current `graph` and `collapsed`.
 * @param {Model} model
 * @returns {SVGSVGElement}
 */
export function drawNetwork(model) {
  const layout = layoutGraph(model.get("graph") ?? { nodes: [], edges: [] }, model.get("collapsed") ?? []);
  const root = /** @type {SVGSVGElement} */ (svg("svg", { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: "nengo-network-svg" }));
  root.appendChild(svg("style", {}, STYLE));
  root.appendChild(markers());
  for (const box of layout.boxes) root.appendChild(drawBox(box));
  const edges = svg("g", { class: "edges" });
  for (const e of layout.edges) edges.appendChild(drawEdge(e));
  root.appendChild(edges);
  for (const n of layout.nodes) root.appendChild(drawNode(n));
  return root;
}

/**
 * What a click at `target` does: a toggle message, or a new `collapsed` list.
 * @param {Element} target
 * @param {string[]} collapsed
 * @returns {{toggle?: string, collapsed?: string[]} | null}
 */
export function clickAction(target, collapsed) {
  const item = target.closest("[data-id]");
  if (!item) return null;
  const id = item.getAttribute("data-id");
  if (item.matches(".nengo-ensemble, .nengo-connection")) return { toggle: id };
  if (item.matches(".nengo-network.collapsed")) return { collapsed: collapsed.filter((c) => c !== id) };
  if (item.matches(".nengo-network-title")) return { collapsed: [...collapsed, id] };
  return null;
}

/**
 * Draw the network into `el` and keep it up to date.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void}  Clean-up.
 */
function render({ model, el }) {
  const container = document.createElement("div");
  container.className = "nengo-network-view";
  container.style.overflowX = "auto";
  el.appendChild(container);
  const draw = () => container.replaceChildren(drawNetwork(model));
  const onClick = (event) => {
    const action = clickAction(/** @type {Element} */ (event.target), model.get("collapsed") ?? []);
    if (action?.toggle) model.send({ type: "toggle", id: action.toggle });
    if (action?.collapsed) {
      model.set("collapsed", action.collapsed);
      model.save_changes();
    }
  };
  container.addEventListener("click", onClick);
  model.on("change:graph", draw);
  model.on("change:collapsed", draw);
  draw();
  return () => {
    model.off("change:graph", draw);
    model.off("change:collapsed", draw);
    container.removeEventListener("click", onClick);
  };
}

export default { render };
