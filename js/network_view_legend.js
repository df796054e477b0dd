// The controls above the drawing: zoom buttons, the click mode, the hint, and a
// legend drawn with the drawing's own classes (so it shows the same colours and
// dashes).

import { MODE_BUTTONS } from "./network_view_click.js";
import { drawShape, svg } from "./network_view_draw.js";
import { hintText } from "./network_view_text.js";

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
/** Shown in "select" mode only. */
const SELECTED = ["selected ensemble", { class: "nengo-ensemble", "data-trainable": "true", "data-selected": "true" }, { kind: "ensemble", hw: 5, hh: 5, selected: true }];

function swatch(attrs, shape) {
  const icon = svg("svg", { width: 24, height: 14, class: "nengo-network-svg", "aria-hidden": "true" });
  const g = svg("g", attrs);
  if (shape.selected) g.appendChild(svg("circle", { cx: 12, cy: 7, r: 6.5, class: "selection" }));
  if (shape.line) g.appendChild(svg("path", { d: "M1,7 L23,7", class: "line" }));
  else g.appendChild(drawShape({ ...shape, x: 12, y: 7 }));
  icon.appendChild(g);
  return icon;
}

/**
 * The legend, one item per kind of thing drawn.
 * @returns {{box: HTMLElement, setMode: (mode: string) => void}}
 */
export function legend() {
  const box = document.createElement("div");
  box.className = "nengo-legend";
  const items = [...ENTRIES, SELECTED].map(([text, attrs, shape]) => {
    const item = document.createElement("span");
    item.className = "nengo-legend-item";
    item.append(swatch(attrs, shape), text);
    box.appendChild(item);
    return item;
  });
  const selected = items[items.length - 1];
  const setMode = (mode) => {
    selected.style.display = mode === "select" ? "" : "none";
  };
  return { box, setMode };
}

/**
 * "Click: [toggle trainable] [show neurons]": one pressed button per mode.
 * @param {(mode: string) => void} choose  Called with the mode clicked.
 * @returns {{group: HTMLElement, setMode: (mode: string) => void}}
 */
function modeButtons(choose) {
  const group = document.createElement("span");
  group.className = "nengo-click-mode";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Click mode");
  const label = document.createElement("span");
  label.textContent = "Click:";
  group.appendChild(label);
  const buttons = MODE_BUTTONS.map(([mode, text, title]) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.title = title;
    b.dataset.mode = mode;
    b.addEventListener("click", () => choose(mode));
    group.appendChild(b);
    return b;
  });
  const setMode = (mode) => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
  };
  return { group, setMode };
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
 * Zoom buttons, the zoom level, the click mode and the hint (which follows it).
 * @param {{zoom: (steps: number) => void, fit: () => void, mode: (mode: string) => void}} actions
 * @returns {{bar: HTMLElement, level: HTMLElement, setMode: (mode: string) => void}}
 */
export function toolbar(actions) {
  const bar = document.createElement("div");
  bar.className = "nengo-toolbar";
  const level = document.createElement("span");
  level.className = "nengo-zoom-level";
  const modes = modeButtons(actions.mode);
  const hint = document.createElement("span");
  hint.className = "nengo-hint";
  bar.append(
    button("−", "Zoom out", () => actions.zoom(-1)),
    button("+", "Zoom in", () => actions.zoom(1)),
    button("Fit", "Fit to width", () => actions.fit()),
    level,
    modes.group,
    hint,
  );
  const setMode = (mode) => {
    modes.setMode(mode);
    hint.textContent = hintText(mode);
  };
  return { bar, level, setMode };
}
