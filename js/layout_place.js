// Vertical placement: each expanded sub-network is a block laid out on its own
// (recursively), then stacked with its siblings column by column ("skyline"),
// each item as close as it can get to the height of what feeds it.

import { SIZES, boxPadX, shapeHalf } from "./layout_sizes.js";

/**
 * @typedef {import("./layout.js").GraphNode} GraphNode
 * @typedef {import("./layout.js").PlacedNode} PlacedNode
 * @typedef {import("./layout.js").PlacedBox} PlacedBox
 *
 * @typedef {Object} Part  A placed atom or block, in its own frame (top = 0).
 * @property {string} id
 * @property {[number, number]} span  First and last layer.
 * @property {number} height
 * @property {number} level  0 for an atom; 1 + deepest box inside for a block.
 * @property {Map<string, number>} anchors  Centre y of every atom inside.
 * @property {{id: string, y: number, h: number, span: [number, number], level: number}[]} boxes
 * @property {number} order  Position in the graph's node list.
 *
 * @typedef {Object} PlaceInput
 * @property {Map<string, GraphNode>} byId
 * @property {Map<string, string>} rep
 * @property {Set<string>} closed  Collapsed sub-networks.
 * @property {string[]} items  Drawn atoms (incl. collapsed sub-networks).
 * @property {{source: string, target: string, selfLoop: boolean}[]} edges
 * @property {Map<string, number>} layers
 */

const ROOT = "";

function containerTree(input) {
  const { byId, rep, closed } = input;
  const children = new Map();
  for (const node of byId.values()) {
    if (rep.get(node.id) !== node.id) continue;
    const parent = byId.has(node.parent) && !closed.has(node.parent) ? node.parent : ROOT;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(node.id);
  }
  return children;
}

function atomPart(id, input, order) {
  const node = input.byId.get(id);
  const { hh } = shapeHalf(node, input.closed.has(id));
  const layer = input.layers.get(id) ?? 0;
  const above = input.edges.some((e) => e.selfLoop && e.source === id) ? SIZES.loopRoom : 0;
  return {
    id,
    span: [layer, layer],
    height: above + 2 * hh + SIZES.labelHeight,
    level: 0,
    anchors: new Map([[id, above + hh]]),
    boxes: [],
    order,
  };
}

/** Mean top that would put `part` level with what feeds it, or undefined. */
function desiredTop(part, placed, incoming) {
  const tops = [];
  for (const [target, yTarget] of part.anchors) {
    for (const source of incoming.get(target) ?? []) {
      if (placed.has(source)) tops.push(placed.get(source) - yTarget);
    }
  }
  return tops.length ? tops.reduce((a, b) => a + b, 0) / tops.length : undefined;
}

/** Parts grouped by first layer; each group ordered when its turn comes. */
function* orderParts(parts, placed, incoming) {
  const starts = [...new Set(parts.map((p) => p.span[0]))].sort((a, b) => a - b);
  for (const start of starts) {
    const key = new Map(
      parts
        .filter((p) => p.span[0] === start)
        .map((p) => [p, desiredTop(p, placed, incoming) ?? Infinity]),
    );
    yield [...key.keys()].sort((a, b) => key.get(a) - key.get(b) || a.order - b.order);
  }
}

function stack(parts, top, incoming) {
  const skyline = new Map();
  const placed = new Map();
  const tops = [];
  for (const group of orderParts(parts, placed, incoming)) {
    for (const part of group) {
      const layers = [];
      for (let l = part.span[0]; l <= part.span[1]; l++) layers.push(l);
      const free = Math.max(-Infinity, ...layers.map((l) => skyline.get(l) ?? -Infinity));
      const desired = desiredTop(part, placed, incoming);
      const fallback = free === -Infinity ? top : free;
      const y = desired === undefined ? fallback : Math.max(free, desired);
      for (const l of layers) skyline.set(l, y + part.height + SIZES.gap);
      for (const [id, dy] of part.anchors) placed.set(id, y + dy);
      tops.push([part, y]);
    }
  }
  // Items may sit above `top` (to line up with what feeds them): shift all down.
  const shift = top - Math.min(top, ...tops.map(([, y]) => y));
  for (const [id, y] of placed) placed.set(id, y + shift);
  const boxes = tops.flatMap(([part, y]) => part.boxes.map((b) => ({ ...b, y: b.y + y + shift })));
  const bottom = Math.max(top, ...tops.map(([part, y]) => y + shift + part.height));
  return { placed, boxes, bottom };
}

/**
 * Parts joined by edges, each group as one part (so that unconnected chains
 * are stacked whole, each level with its own input); lone parts stay as they are.
 * @param {Part[]} parts
 * @param {Map<string, string[]>} incoming
 * @returns {Part[]}
 */
function connectedGroups(parts, incoming) {
  const owner = new Map();
  parts.forEach((p, i) => p.anchors.forEach((_, id) => owner.set(id, i)));
  const root = parts.map((_, i) => i);
  const find = (i) => (root[i] === i ? i : (root[i] = find(root[i])));
  for (const [target, sources] of incoming) {
    for (const source of sources) {
      if (owner.has(target) && owner.has(source)) root[find(owner.get(target))] = find(owner.get(source));
    }
  }
  const groups = new Map();
  parts.forEach((p, i) => {
    const key = find(i);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  });
  if (groups.size === 1) return parts;
  return [...groups.values()].map((group) => (group.length === 1 ? group[0] : groupPart(group, incoming)));
}

function groupPart(parts, incoming) {
  const { placed, boxes, bottom } = stack(parts, 0, incoming);
  return {
    id: parts[0].id,
    span: spanOf(parts),
    height: bottom,
    level: Math.max(...parts.map((p) => p.level)),
    anchors: placed,
    boxes,
    order: Math.min(...parts.map((p) => p.order)),
  };
}

function spanOf(parts) {
  return parts.length
    ? [Math.min(...parts.map((p) => p.span[0])), Math.max(...parts.map((p) => p.span[1]))]
    : [0, 0];
}

function blockPart(id, input, tree, incoming, order) {
  const children = (tree.get(id) ?? []).map((child, i) =>
    isExpanded(child, input)
      ? blockPart(child, input, tree, incoming, i)
      : atomPart(child, input, i),
  );
  const parts = connectedGroups(children, incoming);
  const top = id === ROOT ? 0 : SIZES.boxTitle;
  const { placed, boxes, bottom } = stack(parts, top, incoming);
  const span = spanOf(parts);
  const level = 1 + Math.max(0, ...parts.map((p) => p.level));
  const height = bottom + (id === ROOT ? 0 : SIZES.boxBottom);
  if (id !== ROOT) boxes.push({ id, y: 0, h: height, span, level });
  return { id, span, height, level, anchors: placed, boxes, order };
}

function isExpanded(id, input) {
  const node = input.byId.get(id);
  return node?.kind === "network" && !input.closed.has(id);
}

function incomingMap(edges) {
  const incoming = new Map();
  for (const e of edges) {
    if (e.selfLoop) continue;
    if (!incoming.has(e.target)) incoming.set(e.target, []);
    incoming.get(e.target).push(e.source);
  }
  return incoming;
}

/**
 * Place every drawn atom and sub-network box.
 * @param {PlaceInput} input
 * @returns {{nodes: PlacedNode[], boxes: PlacedBox[], width: number, height: number, column: number}}
 */
export function placeAll(input) {
  const tree = containerTree(input);
  const root = blockPart(ROOT, input, tree, incomingMap(input.edges), 0);
  const maxLevel = Math.max(1, ...root.boxes.map((b) => b.level));
  const reach = SIZES.maxHalf + boxPadX(maxLevel);
  const column = Math.max(SIZES.minColumn, 2 * reach + SIZES.edgeRoom);
  const nLayers = Math.max(0, ...input.layers.values()) + 1;
  const colX = (layer) => SIZES.margin + column * (layer + 0.5);
  const nodes = input.items.map((id) => {
    const node = input.byId.get(id);
    const collapsed = input.closed.has(id);
    const layer = input.layers.get(id) ?? 0;
    const y = SIZES.margin + (root.anchors.get(id) ?? 0);
    const count = collapsed ? countInside(id, input) : 0;
    return { id, kind: node.kind, x: colX(layer), y, layer, collapsed, count, node, ...shapeHalf(node, collapsed) };
  });
  const boxes = root.boxes.map((b) => {
    const pad = SIZES.maxHalf + boxPadX(b.level);
    const x = colX(b.span[0]) - pad;
    const w = colX(b.span[1]) + pad - x;
    return { id: b.id, x, y: SIZES.margin + b.y, w, h: b.h, depth: 0, level: b.level, node: input.byId.get(b.id) };
  });
  for (const box of boxes) box.depth = nestingDepth(box.id, input.byId);
  boxes.sort((a, b) => a.depth - b.depth);
  const height = 2 * SIZES.margin + root.height;
  return { nodes, boxes, width: 2 * SIZES.margin + column * nLayers, height, column };
}

function nestingDepth(id, byId) {
  let depth = 0;
  for (let p = byId.get(id)?.parent; p != null && byId.has(p) && depth < 100; depth++) {
    p = byId.get(p).parent;
  }
  return depth;
}

function countInside(id, input) {
  let count = 0;
  for (const node of input.byId.values()) {
    if (node.kind !== "network" && input.rep.get(node.id) === id && node.id !== id) count++;
  }
  return count;
}
