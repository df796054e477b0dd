// Pure helpers of the freehand canvas: pixel <-> data conversion, axis ticks
// and merging a drawn stroke into the list of points.

/**
 * @typedef {[number, number]} Point  [x, y]: x in [0, 1] (fraction of the run), y in data units.
 *
 * @typedef {Object} Frame  Plot area (px, in canvas coordinates) and data range.
 * @property {number} left
 * @property {number} top
 * @property {number} width
 * @property {number} height
 * @property {number} lo  Data value at the bottom.
 * @property {number} hi  Data value at the top.
 */

/** Space (px) around the plot area for the axes' tick labels. */
export const PADDING = { left: 46, right: 12, top: 10, bottom: 26 };

/**
 * The plot area of a canvas of the given size.
 * @param {number} width  Canvas width (px).
 * @param {number} height  Canvas height (px).
 * @param {number[]} yRange  [lo, hi].
 * @returns {Frame}
 */
export function makeFrame(width, height, yRange) {
  return {
    left: PADDING.left,
    top: PADDING.top,
    width: Math.max(width - PADDING.left - PADDING.right, 1),
    height: Math.max(height - PADDING.top - PADDING.bottom, 1),
    lo: yRange[0],
    hi: yRange[1],
  };
}

/**
 * Pixel position of a data point.
 * @param {Point} point
 * @param {Frame} f
 * @returns {[number, number]}
 */
export function dataToPixel([x, y], f) {
  return [f.left + x * f.width, f.top + ((f.hi - y) / (f.hi - f.lo)) * f.height];
}

const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/**
 * Data point under a pixel, clamped to the plot area.
 * @param {[number, number]} pixel
 * @param {Frame} f
 * @returns {Point}
 */
export function pixelToData([px, py], f) {
  const x = clamp((px - f.left) / f.width, 0, 1);
  const y = f.hi - ((py - f.top) / f.height) * (f.hi - f.lo);
  return [x, clamp(y, Math.min(f.lo, f.hi), Math.max(f.lo, f.hi))];
}

/**
 * Points sorted by x; of several points with the same x the latest is kept.
 * @param {Point[]} points  In drawing order.
 * @returns {Point[]}
 */
export function sortPoints(points) {
  const byX = new Map();
  for (const [x, y] of points) byX.set(x, y);
  return [...byX].sort((a, b) => a[0] - b[0]);
}

/**
 * Points after drawing a stroke: the stroke replaces what was drawn over its x range.
 * @param {Point[]} points  Existing points.
 * @param {Point[]} stroke  New points, in drawing order.
 * @returns {Point[]}  Sorted by x.
 */
export function mergeStroke(points, stroke) {
  if (stroke.length === 0) return sortPoints(points);
  const xs = stroke.map((p) => p[0]);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const kept = points.filter(([x]) => x < lo || x > hi);
  return sortPoints([...kept, ...stroke]);
}

/**
 * About `count` round tick values covering [lo, hi].
 * @param {number} lo
 * @param {number} hi
 * @param {number} [count]
 * @returns {number[]}
 */
export function niceTicks(lo, hi, count = 5) {
  const span = Math.abs(hi - lo);
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const raw = span / Math.max(count - 1, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const [a, b] = [Math.min(lo, hi), Math.max(lo, hi)];
  const ticks = [];
  for (let v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}
