// Edge curves: cubic Béziers from the right side of the source to the left side
// of the target; backward edges dip below, self-loops arc above.

/**
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedEdge} PlacedEdge
 * @typedef {import("./layout.js").GraphEdge} GraphEdge
 */

/** Spacing (px) between parallel edges joining the same two items. */
export const PARALLEL_STEP = 18;

/**
 * Offset of the k-th of several parallel edges: 0, +s, -s, +2s, -2s...
 * @param {number} k
 * @returns {number}
 */
export function parallelOffset(k) {
  if (k === 0) return 0;
  return (k % 2 ? 1 : -1) * Math.ceil(k / 2) * PARALLEL_STEP;
}

/**
 * Point at t = 1/2 of a cubic Bézier.
 * @param {number[]} p  [x0, y0, x1, y1, x2, y2, x3, y3]
 * @returns {[number, number]}
 */
export function bezierMid(p) {
  return [(p[0] + 3 * p[2] + 3 * p[4] + p[6]) / 8, (p[1] + 3 * p[3] + 3 * p[5] + p[7]) / 8];
}

const r1 = (v) => Math.round(v * 10) / 10;

function pathOf(p) {
  const q = p.map(r1);
  return `M${q[0]},${q[1]} C${q[2]},${q[3]} ${q[4]},${q[5]} ${q[6]},${q[7]}`;
}

function selfLoop(s, k) {
  const lift = 34 + 16 * k;
  const y0 = s.y - s.hh * 0.8;
  const p = [s.x + s.hw * 0.6, y0, s.x + s.hw + 26, y0 - lift, s.x - s.hw - 26, y0 - lift, s.x - s.hw * 0.6, y0];
  return { p, label: [s.x + s.hw + 34, y0 - lift * 0.6] };
}

function forward(s, t, offset) {
  const x0 = s.x + s.hw;
  const x3 = t.x - t.hw - 2;
  const dx = Math.max((x3 - x0) / 2, 20);
  const p = [x0, s.y, x0 + dx, s.y + offset, x3 - dx, t.y + offset, x3, t.y];
  return { p, label: bezierMid(p) };
}

function backward(s, t, offset) {
  const x0 = s.x + s.hw;
  const x3 = t.x - t.hw - 2;
  const drop = 40 + Math.abs(s.x - t.x) * 0.1 + Math.abs(offset);
  const low = Math.max(s.y + s.hh, t.y + t.hh) + drop;
  const p = [x0, s.y, x0 + 60, low, x3 - 60, low, x3, t.y];
  return { p, label: bezierMid(p) };
}

/**
 * Geometry of the drawn edges.
 * @param {{edge: GraphEdge, source: string, target: string, rerouted: boolean, selfLoop: boolean}[]} edges
 * @param {PlacedNode[]} nodes
 * @returns {PlacedEdge[]}
 */
export function edgeGeometry(edges, nodes) {
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Map();
  const out = [];
  for (const e of edges) {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    if (!s || !t) continue;
    const pair = [e.source, e.target].sort().join("\u0000");
    const k = seen.get(pair) ?? 0;
    seen.set(pair, k + 1);
    const geo = e.selfLoop
      ? selfLoop(s, k)
      : t.x > s.x
        ? forward(s, t, parallelOffset(k))
        : backward(s, t, parallelOffset(k));
    out.push({
      id: e.edge.id,
      source: e.source,
      target: e.target,
      rerouted: e.rerouted,
      selfLoop: e.selfLoop,
      d: pathOf(geo.p),
      labelX: r1(geo.label[0]),
      labelY: r1(geo.label[1]),
      edge: e.edge,
    });
  }
  return out;
}
