// Pure layout of a network graph (no DOM): data flows left to right in layers,
// sub-networks are boxes around their members, collapsed ones are single boxes.

import { edgeGeometry } from "./layout_edges.js";
import { placeAll } from "./layout_place.js";

export { SIZES, ensembleRadius, shapeHalf } from "./layout_sizes.js";

/**
 * @typedef {Object} GraphNode  A node of `network_graph(net)` (Python).
 * @property {string} id
 * @property {string} kind  "ensemble" | "node" | "network" | "probe"
 * @property {string} label
 * @property {?string} parent  Id of the sub-network holding it, or null.
 * @property {number} [n_neurons]
 *
 * @typedef {Object} GraphEdge  An edge of `network_graph(net)`.
 * @property {string} id
 * @property {string} kind  "connection" | "probe"
 * @property {string} source
 * @property {string} target
 *
 * @typedef {{nodes: GraphNode[], edges: GraphEdge[]}} Graph
 *
 * @typedef {Object} PlacedNode  A drawn shape, centred at (x, y).
 * @property {string} id
 * @property {string} kind
 * @property {number} x
 * @property {number} y
 * @property {number} hw  Half width.
 * @property {number} hh  Half height.
 * @property {number} layer
 * @property {boolean} collapsed  True for a collapsed sub-network's box.
 * @property {number} count  Objects inside a collapsed sub-network.
 * @property {GraphNode} node
 *
 * @typedef {Object} PlacedBox  An expanded sub-network's box (top-left corner).
 * @property {string} id
 * @property {number} x
 * @property {number} y
 * @property {number} w
 * @property {number} h
 * @property {number} depth  0 for a sub-network of the top-level network.
 * @property {GraphNode} node
 *
 * @typedef {Object} PlacedEdge
 * @property {string} id
 * @property {string} source  Drawn source (a collapsed box when rerouted).
 * @property {string} target
 * @property {boolean} rerouted  An endpoint is inside a collapsed sub-network.
 * @property {boolean} selfLoop
 * @property {string} d  SVG path.
 * @property {number} labelX
 * @property {number} labelY
 * @property {GraphEdge} edge
 *
 * @typedef {Object} Layout
 * @property {PlacedNode[]} nodes
 * @property {PlacedBox[]} boxes
 * @property {PlacedEdge[]} edges
 * @property {number} width
 * @property {number} height
 */

/**
 * Chain of network ids holding a node, innermost first.
 * @param {string} id
 * @param {Map<string, GraphNode>} byId
 * @returns {string[]}
 */
export function ancestors(id, byId) {
  const chain = [];
  let parent = byId.get(id)?.parent;
  while (parent != null && byId.has(parent) && !chain.includes(parent)) {
    chain.push(parent);
    parent = byId.get(parent).parent;
  }
  return chain;
}

/**
 * Which drawn item stands for each node: itself, or the outermost collapsed
 * sub-network around it.
 * @param {Graph} graph
 * @param {Map<string, GraphNode>} byId
 * @param {Set<string>} collapsed
 * @returns {Map<string, string>}
 */
export function representatives(graph, byId, collapsed) {
  const rep = new Map();
  for (const node of graph.nodes) {
    const closed = ancestors(node.id, byId).filter((a) => collapsed.has(a));
    rep.set(node.id, closed.length ? closed[closed.length - 1] : node.id);
  }
  return rep;
}

/**
 * Edges between drawn items; edges inside one collapsed sub-network are dropped.
 * @param {Graph} graph
 * @param {Map<string, string>} rep
 * @returns {{edge: GraphEdge, source: string, target: string, rerouted: boolean, selfLoop: boolean}[]}
 */
export function visibleEdges(graph, rep) {
  const out = [];
  for (const edge of graph.edges) {
    const source = rep.get(edge.source);
    const target = rep.get(edge.target);
    if (source == null || target == null) continue;
    const rerouted = source !== edge.source || target !== edge.target;
    if (source === target && rerouted) continue; // internal to a collapsed box
    out.push({ edge, source, target, rerouted, selfLoop: source === target });
  }
  return out;
}

function depthFirstOrder(ids, succ, indeg) {
  const state = new Map();
  const finished = [];
  const back = new Set();
  const visit = (v) => {
    state.set(v, 1);
    for (const [w, key] of succ.get(v)) {
      if (state.get(w) === 1) back.add(key);
      else if (!state.has(w)) visit(w);
    }
    state.set(v, 2);
    finished.push(v);
  };
  const starts = [...ids.filter((v) => indeg.get(v) === 0), ...ids];
  for (const v of starts) if (!state.has(v)) visit(v);
  return { topo: finished.reverse(), back };
}

/**
 * Longest-path layering from the inputs (cycles broken at DFS back edges);
 * sources feeding only later layers move right next to their first target.
 * @param {string[]} ids  Drawn items, in graph order.
 * @param {{source: string, target: string, selfLoop: boolean}[]} edges
 * @returns {Map<string, number>}
 */
export function assignLayers(ids, edges) {
  const succ = new Map(ids.map((v) => [v, []]));
  const indeg = new Map(ids.map((v) => [v, 0]));
  edges.forEach((e, key) => {
    if (e.selfLoop || !succ.has(e.source) || !succ.has(e.target)) return;
    succ.get(e.source).push([e.target, key]);
    indeg.set(e.target, indeg.get(e.target) + 1);
  });
  const { topo, back } = depthFirstOrder(ids, succ, indeg);
  const layer = new Map(ids.map((v) => [v, 0]));
  const hasPred = new Set();
  for (const v of topo) {
    for (const [w, key] of succ.get(v)) {
      if (back.has(key)) continue;
      hasPred.add(w);
      layer.set(w, Math.max(layer.get(w), layer.get(v) + 1));
    }
  }
  for (const v of [...topo].reverse()) {
    const next = succ.get(v).filter(([, key]) => !back.has(key));
    if (hasPred.has(v) || next.length === 0) continue;
    layer.set(v, Math.min(...next.map(([w]) => layer.get(w))) - 1);
  }
  return layer;
}

/**
 * Sub-networks with nothing but sub-networks inside: drawn as collapsed boxes.
 * @param {GraphNode[]} nodes
 * @param {Map<string, GraphNode>} byId
 * @returns {string[]}
 */
export function emptyNetworks(nodes, byId) {
  const full = new Set();
  for (const n of nodes) {
    if (n.kind !== "network") for (const a of ancestors(n.id, byId)) full.add(a);
  }
  return nodes.filter((n) => n.kind === "network" && !full.has(n.id)).map((n) => n.id);
}

/**
 * Positions of everything drawn for a graph.
 * @param {Graph} graph
 * @param {string[]} [collapsed]  Ids of collapsed sub-networks.
 * @returns {Layout}
 */
export function layoutGraph(graph, collapsed = []) {
  const nodes = graph?.nodes ?? [];
  const safe = { nodes, edges: graph?.edges ?? [] };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const closed = new Set(collapsed.filter((id) => byId.get(id)?.kind === "network"));
  for (const id of emptyNetworks(nodes, byId)) closed.add(id);
  const rep = representatives(safe, byId, closed);
  const isDrawn = (n) =>
    rep.get(n.id) === n.id && (n.kind !== "network" || closed.has(n.id));
  const items = nodes.filter(isDrawn).map((n) => n.id);
  const edges = visibleEdges(safe, rep);
  const layers = assignLayers(items, edges);
  const placed = placeAll({ byId, rep, closed, items, edges, layers });
  return { ...placed, edges: edgeGeometry(edges, placed.nodes) };
}
