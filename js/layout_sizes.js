// Sizes (px) of the shapes and boxes of the network drawing.

/**
 * @typedef {import("./layout.js").GraphNode} GraphNode
 */

/** Sizes in px. */
export const SIZES = {
  margin: 24,
  minColumn: 180,
  edgeRoom: 84,
  gap: 20,
  labelHeight: 18,
  loopRoom: 30,
  nodeHalf: 11,
  probeHalf: 7,
  collapsedHalfW: 34,
  collapsedHalfH: 17,
  maxHalf: 34,
  boxTitle: 26,
  boxBottom: 6,
  boxPadX: 12,
  boxPadStep: 10,
};

/**
 * Radius of an ensemble's circle: grows with the log of its size.
 * @param {number} nNeurons
 * @returns {number}
 */
export function ensembleRadius(nNeurons) {
  const r = 6 + 3.2 * Math.log(Math.max(nNeurons || 1, 1));
  return Math.min(Math.max(r, 9), SIZES.maxHalf - 2);
}

/**
 * Half sizes of the shape drawn for a node.
 * @param {GraphNode} node
 * @param {boolean} collapsed  Drawn as a collapsed sub-network box.
 * @returns {{hw: number, hh: number}}
 */
export function shapeHalf(node, collapsed) {
  if (collapsed) return { hw: SIZES.collapsedHalfW, hh: SIZES.collapsedHalfH };
  if (node.kind === "ensemble") {
    const r = ensembleRadius(node.n_neurons ?? 1);
    return { hw: r, hh: r };
  }
  if (node.kind === "probe") return { hw: SIZES.probeHalf, hh: SIZES.probeHalf };
  return { hw: SIZES.nodeHalf, hh: SIZES.nodeHalf };
}

/**
 * Horizontal padding of a sub-network box that holds `level - 1` levels of
 * boxes (so outer boxes stay visibly outside inner ones).
 * @param {number} level  1 for a box without boxes inside.
 * @returns {number}
 */
export function boxPadX(level) {
  return SIZES.boxPadX + (level - 1) * SIZES.boxPadStep;
}
