// FreehandWidget's view: a canvas on which a person draws an input signal
// (y over the fraction of the run); the drawn points go to Python's `points`.

import { dataToPixel, makeFrame, mergeStroke, niceTicks, pixelToData, sortPoints } from "./freehand_math.js";

/**
 * @typedef {import("./freehand_math.js").Point} Point
 * @typedef {import("./freehand_math.js").Frame} Frame
 * @typedef {import("./network_view.js").Model} Model
 */

/** Least time (ms) between two `points` updates while a stroke is drawn. */
const SAVE_INTERVAL_MS = 150;
const fmt = (v) => String(Number(v.toPrecision(3)));

/** @param {CanvasRenderingContext2D} ctx @param {Frame} f */
function drawAxes(ctx, f) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(f.left, f.top, f.width, f.height);
  ctx.font = "11px system-ui, sans-serif";
  ctx.lineWidth = 1;
  ctx.fillStyle = "#4b5563";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of niceTicks(f.lo, f.hi, 5)) {
    const [, y] = dataToPixel([0, v], f);
    ctx.strokeStyle = v === 0 ? "#9ca3af" : "#eef0f3";
    ctx.beginPath();
    ctx.moveTo(f.left, y);
    ctx.lineTo(f.left + f.width, y);
    ctx.stroke();
    ctx.fillText(fmt(v), f.left - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const [x] = dataToPixel([v, f.lo], f);
    ctx.textAlign = v === 1 ? "right" : "center";
    ctx.fillText(`${v * 100}%`, x, f.top + f.height + 6);
  }
  ctx.strokeStyle = "#9ca3af";
  ctx.strokeRect(f.left + 0.5, f.top + 0.5, f.width - 1, f.height - 1);
}

/** @param {CanvasRenderingContext2D} ctx @param {Frame} f @param {Point[]} points */
function drawPoints(ctx, f, points) {
  if (points.length === 0) return;
  const pixels = points.map((p) => dataToPixel(p, f));
  const [[x0, y0]] = pixels;
  const [xn, yn] = pixels[pixels.length - 1];
  ctx.strokeStyle = "#2563eb";
  ctx.lineWidth = 2;
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(f.left, y0); // values are held constant before the first point
  for (const [x, y] of pixels) ctx.lineTo(x, y);
  ctx.lineTo(f.left + f.width, yn); // ... and after the last
  ctx.stroke();
  ctx.fillStyle = "#2563eb";
  if (pixels.length < 40) {
    for (const [x, y] of pixels) ctx.fillRect(x - 2, y - 2, 4, 4);
  } else {
    ctx.fillRect(x0 - 2, y0 - 2, 4, 4);
    ctx.fillRect(xn - 2, yn - 2, 4, 4);
  }
}

/** Canvas of width x height CSS px, sharp on high-density screens. */
function makeCanvas(width, height) {
  const canvas = document.createElement("canvas");
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.style.touchAction = "none";
  canvas.style.cursor = "crosshair";
  canvas.className = "nengo-freehand-canvas";
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  ctx.scale(ratio, ratio);
  return { canvas, ctx };
}

function makeHeader(model, onClear) {
  const header = document.createElement("div");
  header.style.cssText = "display:flex;align-items:center;gap:8px;font:13px system-ui,sans-serif;margin-bottom:4px";
  const title = document.createElement("span");
  title.className = "nengo-freehand-label";
  title.textContent = model.get("label");
  const clear = document.createElement("button");
  clear.className = "nengo-freehand-clear";
  clear.textContent = "clear";
  clear.addEventListener("click", onClear);
  header.append(title, clear);
  return header;
}

/**
 * Pointer handling: a stroke merges into the points, saved while drawing
 * (throttled) and when the pointer is released.
 */
function attachDrawing(canvas, model, frame, redraw) {
  let base = null;
  let stroke = [];
  let lastSave = 0;
  const current = () => mergeStroke(base ?? [], stroke);
  const save = () => {
    lastSave = Date.now();
    model.set("points", current());
    model.save_changes();
  };
  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return pixelToData([event.clientX - rect.left, event.clientY - rect.top], frame());
  };
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture?.(event.pointerId);
    base = sortPoints(model.get("points") ?? []);
    stroke = [at(event)];
    redraw(current());
  });
  canvas.addEventListener("pointermove", (event) => {
    if (base === null) return;
    stroke.push(at(event));
    redraw(current());
    if (Date.now() - lastSave >= SAVE_INTERVAL_MS) save();
  });
  const finish = () => {
    if (base === null) return;
    save();
    base = null;
    stroke = [];
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  return () => base !== null;
}

/**
 * Build the widget into `el` and keep it in sync with the model.
 * @param {{model: Model, el: HTMLElement}} ctx
 * @returns {() => void}  Clean-up.
 */
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "nengo-freehand";
  el.appendChild(root);
  const frame = () => makeFrame(model.get("width"), model.get("height"), model.get("y_range"));
  let ctx = null;
  const redraw = (points) => {
    const f = frame();
    ctx.clearRect(0, 0, model.get("width"), model.get("height"));
    drawAxes(ctx, f);
    drawPoints(ctx, f, points);
  };
  const clear = () => {
    model.set("points", []);
    model.save_changes();
  };
  let drawing = () => false;
  const build = () => {
    const made = makeCanvas(model.get("width"), model.get("height"));
    ctx = made.ctx;
    drawing = attachDrawing(made.canvas, model, frame, redraw);
    root.replaceChildren(makeHeader(model, clear), made.canvas);
    redraw(sortPoints(model.get("points") ?? []));
  };
  const onPoints = () => {
    if (!drawing()) redraw(sortPoints(model.get("points") ?? []));
  };
  const events = ["change:y_range", "change:width", "change:height", "change:label"];
  for (const e of events) model.on(e, build);
  model.on("change:points", onPoints);
  build();
  return () => {
    for (const e of events) model.off(e, build);
    model.off("change:points", onPoints);
  };
}

export default { render };
