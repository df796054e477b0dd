// Zoom arithmetic of the network view (no DOM): fit-to-width, zoom steps, and
// the scroll position that keeps the point under the cursor still.

/** Smallest and largest zoom factors. */
export const MIN_SCALE = 0.05;
export const MAX_SCALE = 4;
/** Factor of one zoom step (button or wheel notch). */
export const ZOOM_STEP = 1.25;

/**
 * Clamp a zoom factor to [MIN_SCALE, MAX_SCALE].
 * @param {number} scale
 * @returns {number}
 */
export function clampScale(scale) {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/**
 * Zoom factor at which a drawing `contentWidth` px wide fits `panelWidth` px;
 * never above 1 (small networks keep their natural size).
 * @param {number} contentWidth
 * @param {number} panelWidth  Width available (0 while the panel is hidden).
 * @returns {number | null}  null when there is no panel width to fit yet.
 */
export function fitScale(contentWidth, panelWidth) {
  if (!(panelWidth > 0) || !(contentWidth > 0)) return null;
  return clampScale(Math.min(1, panelWidth / contentWidth));
}

/**
 * The zoom factor `steps` steps from `scale` (positive zooms in).
 * @param {number} scale
 * @param {number} steps
 * @returns {number}
 */
export function zoomBy(scale, steps) {
  return clampScale(scale * ZOOM_STEP ** steps);
}

/**
 * Scroll offset that keeps the drawing point under `cursor` (px from the
 * viewport's edge) in place when the zoom changes from `before` to `after`.
 * @param {number} scroll  Current scroll offset (px).
 * @param {number} cursor  Cursor position within the viewport (px).
 * @param {number} before
 * @param {number} after
 * @returns {number}
 */
export function scrollForZoom(scroll, cursor, before, after) {
  return Math.max(0, ((scroll + cursor) / before) * after - cursor);
}
