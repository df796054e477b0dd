// The controls above the drawing: zoom buttons, the hint, and a legend drawn
// with the drawing's own classes (so it shows the same colours and dashes).

import { drawShape, svg } from "./network_view_draw.js";
import { HINT } from "./network_view_text.js";

/** Legend entries: [text, group attributes, what to draw]. */
const ENTRIES = [
  ["trainable ensemble", { class: "nengo-ensemble", "data-trainable": "true" }, { kind: "ensemble", hw: 6, hh: 6 }],
  ["not trainable ensemble", { class: "nengo-ensemble", "data-trainable": "false" }, { kind: "ensemble", hw: 6, hh: 6 }],
  ["node", { class: "nengo-node" }, { kind: "node", hw: 6, hh: 6 }],
  ["probe", { class: "nengo-probe" }, { kind: "probe", hw: 5, hh: 5 }],
  ["collapsed sub-network (click to expand)", { class: "nengo-network collapsed" }, { kind: "network", hw: 10, hh: 6, collapsed: true }],
  ["trainable connection", { class: "nengo-connection", "data-trainable": "true" }, { line: true }],
  ["not trainable connection", { class: "nengo-connection", "data-trainable": "false" }, { line: true }],
  ["probe link", { class: "nengo-probe-edge" }, { line: true }],
];

function swatch(attrs, shape) {
  const icon = svg("svg", { width: 24, height: 14, class: "nengo-network-svg", "aria-hidden": "true" });
  const g = svg("g", attrs);
  if (shape.line) g.appendChild(svg("path", { d: "M1,7 L23,7", class: "line" }));
  else g.appendChild(drawShape({ ...shape, x: 12, y: 7 }));
  icon.appendChild(g);
  return icon;
}

/**
 * The legend, one item per kind of thing drawn.
 * @returns {HTMLElement}
 */
export function legend() {
  const box = document.createElement("div");
  box.className = "nengo-legend";
  for (const [text, attrs, shape] of ENTRIES) {
    const item = document.createElement("span");
    item.className = "nengo-legend-item";
    item.append(swatch(attrs, shape), text);
    box.appendChild(item);
  }
  return box;
}

function button(text, title, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

/**
 * Zoom buttons, the zoom level and the hint.
 * @param {{zoom: (steps: number) => void, fit: () => void}} actions
 * @returns {{bar: HTMLElement, level: HTMLElement}}
 */
export function toolbar(actions) {
  const bar = document.createElement("div");
  bar.className = "nengo-toolbar";
  const level = document.createElement("span");
  level.className = "nengo-zoom-level";
  const hint = document.createElement("span");
  hint.className = "nengo-hint";
  hint.textContent = HINT;
  bar.append(
    button("−", "Zoom out", () => actions.zoom(-1)),
    button("+", "Zoom in", () => actions.zoom(1)),
    button("Fit", "Fit to width", () => actions.fit()),
    level,
    hint,
  );
  return { bar, level };
}
