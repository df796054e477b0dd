// NetworkViewWidget's view: an SVG drawing of a nengo network in a zoomable,
// pannable viewport, with a legend. By the click mode, clicking an ensemble or
// connection asks Python to toggle its `trainable` setting, or clicking an
// ensemble asks it to select the ensemble; clicking a sub-network's title
// collapses or expands it. The drawing fits the panel's width when first shown.

import { layoutGraph } from "./layout.js";
import { clickAction, hitOf } from "./network_view_click.js";
import { drawNetwork } from "./network_view_draw.js";
import { legend, toolbar } from "./network_view_legend.js";
import { STYLE } from "./network_view_style.js";
import { fitScale, scrollForZoom, zoomBy } from "./view_zoom.js";

/**
 * @typedef {Object} Model  The part of anywidget's model that we use.
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(content: Object) => void} send
 * @property {(event: string, callback: Function) => void} on
 * @property {(event: string, callback: Function) => void} off
 */

/** Pointer travel (px) after which a press is a drag (pan), not a click. */
const DRAG_PX = 4;

/** Zoom of the drawing in its viewport; "fitted" until the user zooms. */
class Zoom {
  /** @param {HTMLElement} viewport @param {HTMLElement} level */
  constructor(viewport, level) {
    this.viewport = viewport;
    this.level = level;
    this.scale = 1;
    this.fitted = true;
    /** @type {SVGSVGElement | null} */
    this.svg = null;
    this.width = 0;
    this.height = 0;
  }

  /** Show a new drawing at the current zoom (refitted while fitted). */
  show(svgEl, width, height) {
    Object.assign(this, { svg: svgEl, width, height });
    if (this.fitted) this.fit();
    else this.apply(this.scale);
  }

  /** Fit the drawing to the viewport's width (no larger than its own size). */
  fit() {
    this.fitted = true;
    this.apply(fitScale(this.width, this.viewport.clientWidth) ?? this.scale);
  }

  /** Zoom `steps` steps about `cursor` (px in the viewport; its centre if absent). */
  zoom(steps, cursor) {
    this.fitted = false;
    const at = cursor ?? { x: this.viewport.clientWidth / 2, y: this.viewport.clientHeight / 2 };
    this.apply(zoomBy(this.scale, steps), at);
  }

  apply(scale, cursor) {
    const before = this.scale;
    const { scrollLeft, scrollTop } = this.viewport;
    this.scale = scale;
    if (this.svg) {
      this.svg.setAttribute("width", String(this.width * scale));
      this.svg.setAttribute("height", String(this.height * scale));
      this.svg.dataset.scale = String(scale);
    }
    this.level.textContent = `${Math.round(scale * 100)}%`;
    if (cursor) {
      this.viewport.scrollLeft = scrollForZoom(scrollLeft, cursor.x, before, scale);
      this.viewport.scrollTop = scrollForZoom(scrollTop, cursor.y, before, scale);
    }
  }
}

/** Drag to pan; a press that moved is not a click. */
function addPanning(viewport) {
  let press = null;
  let moved = false;
  const move = (e) => {
    const dx = e.clientX - press.x;
    const dy = e.clientY - press.y;
    if (!moved && Math.hypot(dx, dy) < DRAG_PX) return;
    moved = true;
    viewport.classList.add("panning");
    viewport.scrollLeft = press.left - dx;
    viewport.scrollTop = press.top - dy;
  };
  const up = () => {
    press = null;
    viewport.classList.remove("panning");
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", up);
    document.removeEventListener("pointercancel", up);
  };
  const down = (e) => {
    if (e.button !== 0) return;
    press = { x: e.clientX, y: e.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    moved = false;
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
    document.addEventListener("pointercancel", up);
  };
  const click = (e) => {
    if (moved) e.stopPropagation();
    moved = false;
  };
  viewport.addEventListener("pointerdown", down);
  viewport.addEventListener("click", click, true);
  return () => {
    up();
    viewport.removeEventListener("pointerdown", down);
    viewport.removeEventListener("click", click, true);
  };
}

function element(tag, className, parent) {
  const el = document.createElement(tag);
  el.className = className;
  parent.appendChild(el);
  return el;
}

/**
 * Draw the network into `el` and keep it up to date.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void}  Clean-up.
 */
function render({ model, el }) {
  const container = element("div", "nengo-network-view", el);
  element("style", "", container).textContent = STYLE;
  const viewport = document.createElement("div");
  viewport.className = "nengo-network-viewport";
  /** @type {Zoom} */
  let zoom;
  const setTrait = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  const { bar, level, setMode } = toolbar({
    zoom: (steps) => zoom.zoom(steps),
    fit: () => zoom.fit(),
    mode: (mode) => setTrait("click_mode", mode),
  });
  zoom = new Zoom(viewport, level);
  const key = legend();
  container.append(bar, key.box, viewport);
  const draw = () => {
    const graph = model.get("graph") ?? { nodes: [], edges: [] };
    const labels = new Map(graph.nodes.map((n) => [n.id, n.label]));
    const layout = layoutGraph(graph, model.get("collapsed") ?? []);
    const click = { mode: model.get("click_mode"), selected: model.get("selected") };
    const drawing = drawNetwork(layout, (id) => labels.get(id) ?? "?", click);
    const { scrollLeft, scrollTop } = viewport; // a redraw keeps the view where it was
    viewport.replaceChildren(drawing);
    zoom.show(drawing, layout.width, layout.height);
    Object.assign(viewport, { scrollLeft, scrollTop });
  };
  const modeChanged = () => {
    setMode(model.get("click_mode"));
    key.setMode(model.get("click_mode"));
    draw();
  };
  const onClick = (event) => {
    const hit = hitOf(/** @type {Element} */ (event.target));
    const action = clickAction(hit, model.get("collapsed") ?? [], model.get("click_mode"));
    if (action?.message) model.send(action.message);
    if (action?.collapsed) setTrait("collapsed", action.collapsed);
  };
  const onWheel = (event) => {
    if (!event.ctrlKey && !event.metaKey) return; // plain wheel scrolls
    event.preventDefault();
    const rect = viewport.getBoundingClientRect();
    zoom.zoom(event.deltaY < 0 ? 1 : -1, { x: event.clientX - rect.left, y: event.clientY - rect.top });
  };
  let lastWidth = 0;
  const resized = new ResizeObserver(() => {
    if (viewport.clientWidth === lastWidth) return;
    lastWidth = viewport.clientWidth;
    if (zoom.fitted) zoom.fit();
  });
  resized.observe(viewport);
  const stopPanning = addPanning(viewport);
  viewport.addEventListener("click", onClick);
  viewport.addEventListener("wheel", onWheel, { passive: false });
  const redrawOn = ["change:graph", "change:collapsed", "change:selected"];
  for (const event of redrawOn) model.on(event, draw);
  model.on("change:click_mode", modeChanged);
  modeChanged();
  return () => {
    for (const event of redrawOn) model.off(event, draw);
    model.off("change:click_mode", modeChanged);
    viewport.removeEventListener("click", onClick);
    viewport.removeEventListener("wheel", onWheel);
    stopPanning();
    resized.disconnect();
  };
}

export default { render };
