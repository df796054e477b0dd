// layout_edges.js
var PARALLEL_STEP = 18;
function parallelOffset(k) {
  if (k === 0) return 0;
  return (k % 2 ? 1 : -1) * Math.ceil(k / 2) * PARALLEL_STEP;
}
function bezierMid(p) {
  return [(p[0] + 3 * p[2] + 3 * p[4] + p[6]) / 8, (p[1] + 3 * p[3] + 3 * p[5] + p[7]) / 8];
}
var r1 = (v) => Math.round(v * 10) / 10;
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
function edgeGeometry(edges, nodes) {
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const seen = /* @__PURE__ */ new Map();
  const out = [];
  for (const e of edges) {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    if (!s || !t) continue;
    const pair = [e.source, e.target].sort().join("\0");
    const k = seen.get(pair) ?? 0;
    seen.set(pair, k + 1);
    const geo = e.selfLoop ? selfLoop(s, k) : t.x > s.x ? forward(s, t, parallelOffset(k)) : backward(s, t, parallelOffset(k));
    out.push({
      id: e.edge.id,
      source: e.source,
      target: e.target,
      rerouted: e.rerouted,
      selfLoop: e.selfLoop,
      d: pathOf(geo.p),
      labelX: r1(geo.label[0]),
      labelY: r1(geo.label[1]),
      edge: e.edge
    });
  }
  return out;
}

// layout_sizes.js
var SIZES = {
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
  boxPadStep: 10
};
function ensembleRadius(nNeurons) {
  const r = 6 + 3.2 * Math.log(Math.max(nNeurons || 1, 1));
  return Math.min(Math.max(r, 9), SIZES.maxHalf - 2);
}
function shapeHalf(node, collapsed) {
  if (collapsed) return { hw: SIZES.collapsedHalfW, hh: SIZES.collapsedHalfH };
  if (node.kind === "ensemble") {
    const r = ensembleRadius(node.n_neurons ?? 1);
    return { hw: r, hh: r };
  }
  if (node.kind === "probe") return { hw: SIZES.probeHalf, hh: SIZES.probeHalf };
  return { hw: SIZES.nodeHalf, hh: SIZES.nodeHalf };
}
function boxPadX(level) {
  return SIZES.boxPadX + (level - 1) * SIZES.boxPadStep;
}

// layout_place.js
var ROOT = "";
function containerTree(input) {
  const { byId, rep, closed } = input;
  const children = /* @__PURE__ */ new Map();
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
    anchors: /* @__PURE__ */ new Map([[id, above + hh]]),
    boxes: [],
    order
  };
}
function desiredTop(part, placed, incoming) {
  const tops = [];
  for (const [target, yTarget] of part.anchors) {
    for (const source of incoming.get(target) ?? []) {
      if (placed.has(source)) tops.push(placed.get(source) - yTarget);
    }
  }
  return tops.length ? tops.reduce((a, b) => a + b, 0) / tops.length : void 0;
}
function* orderParts(parts, placed, incoming) {
  const starts = [...new Set(parts.map((p) => p.span[0]))].sort((a, b) => a - b);
  for (const start of starts) {
    const key = new Map(
      parts.filter((p) => p.span[0] === start).map((p) => [p, desiredTop(p, placed, incoming) ?? Infinity])
    );
    yield [...key.keys()].sort((a, b) => key.get(a) - key.get(b) || a.order - b.order);
  }
}
function stack(parts, top, incoming) {
  const skyline = /* @__PURE__ */ new Map();
  const placed = /* @__PURE__ */ new Map();
  const tops = [];
  for (const group of orderParts(parts, placed, incoming)) {
    for (const part of group) {
      const layers = [];
      for (let l = part.span[0]; l <= part.span[1]; l++) layers.push(l);
      const free = Math.max(-Infinity, ...layers.map((l) => skyline.get(l) ?? -Infinity));
      const desired = desiredTop(part, placed, incoming);
      const fallback = free === -Infinity ? top : free;
      const y = desired === void 0 ? fallback : Math.max(free, desired);
      for (const l of layers) skyline.set(l, y + part.height + SIZES.gap);
      for (const [id, dy] of part.anchors) placed.set(id, y + dy);
      tops.push([part, y]);
    }
  }
  const shift = top - Math.min(top, ...tops.map(([, y]) => y));
  for (const [id, y] of placed) placed.set(id, y + shift);
  const boxes = tops.flatMap(([part, y]) => part.boxes.map((b) => ({ ...b, y: b.y + y + shift })));
  const bottom = Math.max(top, ...tops.map(([part, y]) => y + shift + part.height));
  return { placed, boxes, bottom };
}
function connectedGroups(parts, incoming) {
  const owner = /* @__PURE__ */ new Map();
  parts.forEach((p, i) => p.anchors.forEach((_, id) => owner.set(id, i)));
  const root = parts.map((_, i) => i);
  const find = (i) => root[i] === i ? i : root[i] = find(root[i]);
  for (const [target, sources] of incoming) {
    for (const source of sources) {
      if (owner.has(target) && owner.has(source)) root[find(owner.get(target))] = find(owner.get(source));
    }
  }
  const groups = /* @__PURE__ */ new Map();
  parts.forEach((p, i) => {
    const key = find(i);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  });
  if (groups.size === 1) return parts;
  return [...groups.values()].map((group) => group.length === 1 ? group[0] : groupPart(group, incoming));
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
    order: Math.min(...parts.map((p) => p.order))
  };
}
function spanOf(parts) {
  return parts.length ? [Math.min(...parts.map((p) => p.span[0])), Math.max(...parts.map((p) => p.span[1]))] : [0, 0];
}
function blockPart(id, input, tree, incoming, order) {
  const children = (tree.get(id) ?? []).map(
    (child, i) => isExpanded(child, input) ? blockPart(child, input, tree, incoming, i) : atomPart(child, input, i)
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
  const incoming = /* @__PURE__ */ new Map();
  for (const e of edges) {
    if (e.selfLoop) continue;
    if (!incoming.has(e.target)) incoming.set(e.target, []);
    incoming.get(e.target).push(e.source);
  }
  return incoming;
}
function placeAll(input) {
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

// layout.js
function ancestors(id, byId) {
  const chain = [];
  let parent = byId.get(id)?.parent;
  while (parent != null && byId.has(parent) && !chain.includes(parent)) {
    chain.push(parent);
    parent = byId.get(parent).parent;
  }
  return chain;
}
function representatives(graph, byId, collapsed) {
  const rep = /* @__PURE__ */ new Map();
  for (const node of graph.nodes) {
    const closed = ancestors(node.id, byId).filter((a) => collapsed.has(a));
    rep.set(node.id, closed.length ? closed[closed.length - 1] : node.id);
  }
  return rep;
}
function visibleEdges(graph, rep) {
  const out = [];
  for (const edge of graph.edges) {
    const source = rep.get(edge.source);
    const target = rep.get(edge.target);
    if (source == null || target == null) continue;
    const rerouted = source !== edge.source || target !== edge.target;
    if (source === target && rerouted) continue;
    out.push({ edge, source, target, rerouted, selfLoop: source === target });
  }
  return out;
}
function depthFirstOrder(ids, succ, indeg) {
  const state = /* @__PURE__ */ new Map();
  const finished = [];
  const back = /* @__PURE__ */ new Set();
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
function assignLayers(ids, edges) {
  const succ = new Map(ids.map((v) => [v, []]));
  const indeg = new Map(ids.map((v) => [v, 0]));
  edges.forEach((e, key) => {
    if (e.selfLoop || !succ.has(e.source) || !succ.has(e.target)) return;
    succ.get(e.source).push([e.target, key]);
    indeg.set(e.target, indeg.get(e.target) + 1);
  });
  const { topo, back } = depthFirstOrder(ids, succ, indeg);
  const layer = new Map(ids.map((v) => [v, 0]));
  const hasPred = /* @__PURE__ */ new Set();
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
function emptyNetworks(nodes, byId) {
  const full = /* @__PURE__ */ new Set();
  for (const n of nodes) {
    if (n.kind !== "network") for (const a of ancestors(n.id, byId)) full.add(a);
  }
  return nodes.filter((n) => n.kind === "network" && !full.has(n.id)).map((n) => n.id);
}
function layoutGraph(graph, collapsed = []) {
  const nodes = graph?.nodes ?? [];
  const safe = { nodes, edges: graph?.edges ?? [] };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const closed = new Set(collapsed.filter((id) => byId.get(id)?.kind === "network"));
  for (const id of emptyNetworks(nodes, byId)) closed.add(id);
  const rep = representatives(safe, byId, closed);
  const isDrawn = (n) => rep.get(n.id) === n.id && (n.kind !== "network" || closed.has(n.id));
  const items = nodes.filter(isDrawn).map((n) => n.id);
  const edges = visibleEdges(safe, rep);
  const layers = assignLayers(items, edges);
  const placed = placeAll({ byId, rep, closed, items, edges, layers });
  return { ...placed, edges: edgeGeometry(edges, placed.nodes) };
}

// network_view_click.js
var MODE_BUTTONS = [
  ["toggle", "toggle trainable", "A click on an ensemble or connection toggles whether it trains"],
  ["select", "show neurons", "A click on an ensemble shows its neurons (its trainable setting is left as it is)"]
];
function hitOf(target) {
  const item = target.closest("[data-id]");
  if (!item) return null;
  const id = item.getAttribute("data-id") ?? "";
  if (item.matches(".nengo-ensemble")) return { id, what: "ensemble" };
  if (item.matches(".nengo-connection")) return { id, what: "connection" };
  if (item.matches(".nengo-network.collapsed")) return { id, what: "collapsed" };
  if (item.matches(".nengo-network-title")) return { id, what: "title" };
  return null;
}
function clickAction(hit, collapsed, mode) {
  if (!hit) return null;
  const { id, what } = hit;
  if (what === "collapsed") return { collapsed: collapsed.filter((c) => c !== id) };
  if (what === "title") return { collapsed: [...collapsed, id] };
  if (mode === "select") return what === "ensemble" ? { message: { type: "select", id } } : null;
  return { message: { type: "toggle", id } };
}

// network_view_text.js
var yesNo = (v) => v ? "yes" : "no";
var plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
function clickText(mode, kind) {
  if (mode !== "select") return "(click to toggle)";
  return kind === "ensemble" ? "(click to show its neurons)" : '(the click mode "toggle trainable" toggles it)';
}
function nodeTooltip(n, mode) {
  const d = (
    /** @type {any} */
    n.node
  );
  if (n.collapsed) return `${d.label}: ${plural(n.count, "object")} (click to expand)`;
  if (d.kind === "ensemble") {
    return [
      d.label,
      `Ensemble: ${d.n_neurons} ${d.neuron_type} neurons, ${plural(d.dimensions, "dimension")}`,
      `trainable: ${yesNo(d.trainable)} ${clickText(mode, "ensemble")}`
    ].join("\n");
  }
  if (d.kind === "probe") {
    const what = d.target_neurons ? `${d.attr} of the neurons` : d.attr;
    return `${d.label}
Probe: records ${what} of ${d.target_label ?? "?"}
synapse: ${d.synapse}`;
  }
  return `${d.label}
Node: output ${d.output}
size_in ${d.size_in}, size_out ${d.size_out}`;
}
function edgeTooltip(e, labelOf, mode) {
  const c = (
    /** @type {any} */
    e.edge
  );
  const pre = `${labelOf(c.source)}${c.pre_neurons ? ".neurons" : ""}`;
  const post = `${labelOf(c.target)}${c.post_neurons ? ".neurons" : ""}`;
  const ends = `${pre} \u2192 ${post}`;
  const title = c.label && c.label !== ends ? `Connection ${c.label}: ${ends}` : `Connection ${ends}`;
  const shape = (c.transform_shape ?? []).join("\xD7");
  return [
    title,
    `function: ${c.function ?? "none"}`,
    `synapse: ${c.synapse}`,
    `transform: ${shape}`,
    `trainable: ${yesNo(c.trainable)} ${clickText(mode, "connection")}`
  ].join("\n");
}
function edgeLabelLines(edge) {
  const c = (
    /** @type {any} */
    edge
  );
  const lines = [];
  if (c.function) lines.push([`${c.function}()`, "fn"]);
  if (c.synapse && c.synapse !== "none") lines.push([c.synapse, "syn"]);
  return lines;
}
var HINT_END = "click a sub-network's title to collapse it. Ctrl + wheel zooms, drag pans.";
function hintText(mode) {
  if (mode === "select") return `Click an ensemble to show its neurons (trainable settings stay as they are); ${HINT_END}`;
  return `Click an ensemble or connection to toggle whether it trains; ${HINT_END}`;
}

// network_view_draw.js
var SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text != null) el.textContent = text;
  return el;
}
function addTitle(parent, text) {
  parent.appendChild(svg("title", {}, text));
}
function label(x, y, lines, cls) {
  const text = svg("text", { x, y, class: cls, "text-anchor": "middle" });
  lines.forEach(([line, lineCls], i) => {
    text.appendChild(svg("tspan", { x, dy: i === 0 ? 0 : "1.2em", class: lineCls }, line));
  });
  return text;
}
var short = (s, n = 22) => s.length > n ? `${s.slice(0, n - 1)}\u2026` : s;
function drawBox(box) {
  const g = svg("g", { class: "nengo-network", "data-id": box.id, "data-collapsed": "false" });
  addTitle(g, `${box.node.label} (${box.node.network_type ?? "Network"}): click the title to collapse`);
  g.appendChild(svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 12, class: "box" }));
  const title = svg("g", { class: "nengo-network-title", "data-id": box.id });
  title.appendChild(svg("text", { x: box.x + 12, y: box.y + 17, class: "title" }, `\u25BE ${short(box.node.label, 30)}`));
  g.appendChild(title);
  return g;
}
function drawShape(n) {
  const { x, y, hw, hh } = n;
  if (n.collapsed) return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: Math.min(10, hh), class: "shape" });
  if (n.kind === "ensemble") return svg("circle", { cx: x, cy: y, r: hw, class: "shape" });
  if (n.kind === "probe") {
    return svg("path", { d: `M${x},${y - hh} L${x + hw},${y} L${x},${y + hh} L${x - hw},${y} Z`, class: "shape" });
  }
  return svg("rect", { x: x - hw, y: y - hh, width: 2 * hw, height: 2 * hh, rx: 2, class: "shape" });
}
function drawNode(n, click) {
  const cls = n.collapsed ? "nengo-network collapsed" : `nengo-${n.kind}`;
  const attrs = { class: cls, "data-id": n.id };
  if (n.collapsed) attrs["data-collapsed"] = "true";
  if (n.kind === "ensemble") attrs["data-trainable"] = String(Boolean(n.node.trainable));
  const selected = !n.collapsed && click.mode === "select" && click.selected === n.id;
  if (selected) attrs["data-selected"] = "true";
  const g = svg("g", attrs);
  addTitle(g, nodeTooltip(n, click.mode));
  if (selected) g.appendChild(svg("circle", { cx: n.x, cy: n.y, r: n.hw + 5, class: "selection" }));
  g.appendChild(drawShape(n));
  if (n.collapsed) g.appendChild(svg("text", { x: n.x, y: n.y + 4, class: "count", "text-anchor": "middle" }, `\u25B8 ${n.count}`));
  g.appendChild(label(n.x, n.y + n.hh + 13, [[short(n.node.label), ""]], "label"));
  return g;
}
function drawEdge(e, labelOf, mode) {
  const isProbe = e.edge.kind === "probe";
  const attrs = { class: isProbe ? "nengo-probe-edge" : "nengo-connection", "data-id": e.id };
  if (!isProbe) attrs["data-trainable"] = String(Boolean(e.edge.trainable));
  if (e.rerouted) attrs["data-rerouted"] = "true";
  const g = svg("g", attrs);
  if (!isProbe) addTitle(g, edgeTooltip(e, labelOf, mode));
  g.appendChild(svg("path", { d: e.d, class: "hit" }));
  g.appendChild(svg("path", { d: e.d, class: "line", "marker-end": `url(#${isProbe ? "probe-arrow" : "arrow"})` }));
  const lines = isProbe ? [] : edgeLabelLines(e.edge);
  const y = lines.length === 1 ? e.labelY - 5 : e.labelY - 3;
  if (lines.length) g.appendChild(label(e.labelX, y, lines, "edge-label"));
  return g;
}
function markers() {
  const defs = svg("defs");
  for (const [id, size] of [["arrow", 9], ["probe-arrow", 6]]) {
    const m = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: size, markerHeight: size, markerUnits: "userSpaceOnUse", orient: "auto" });
    m.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", class: `${id}-head` }));
    defs.appendChild(m);
  }
  return defs;
}
function drawNetwork(layout, labelOf, click = {}) {
  const attrs = { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, class: "nengo-network-svg" };
  const root = (
    /** @type {SVGSVGElement} */
    svg("svg", attrs)
  );
  root.appendChild(markers());
  for (const box of layout.boxes) root.appendChild(drawBox(box));
  const edges = svg("g", { class: "edges" });
  for (const e of layout.edges) edges.appendChild(drawEdge(e, labelOf, click.mode));
  root.appendChild(edges);
  for (const n of layout.nodes) root.appendChild(drawNode(n, click));
  return root;
}

// network_view_legend.js
var ENTRIES = [
  ["trainable ensemble", { class: "nengo-ensemble", "data-trainable": "true" }, { kind: "ensemble", hw: 6, hh: 6 }],
  ["not trainable ensemble", { class: "nengo-ensemble", "data-trainable": "false" }, { kind: "ensemble", hw: 6, hh: 6 }],
  ["node", { class: "nengo-node" }, { kind: "node", hw: 6, hh: 6 }],
  ["probe", { class: "nengo-probe" }, { kind: "probe", hw: 5, hh: 5 }],
  ["collapsed sub-network (click to expand)", { class: "nengo-network collapsed" }, { kind: "network", hw: 10, hh: 6, collapsed: true }],
  ["trainable connection", { class: "nengo-connection", "data-trainable": "true" }, { line: true }],
  ["not trainable connection", { class: "nengo-connection", "data-trainable": "false" }, { line: true }],
  ["probe link", { class: "nengo-probe-edge" }, { line: true }]
];
var SELECTED = ["selected ensemble", { class: "nengo-ensemble", "data-trainable": "true", "data-selected": "true" }, { kind: "ensemble", hw: 5, hh: 5, selected: true }];
function swatch(attrs, shape) {
  const icon = svg("svg", { width: 24, height: 14, class: "nengo-network-svg", "aria-hidden": "true" });
  const g = svg("g", attrs);
  if (shape.selected) g.appendChild(svg("circle", { cx: 12, cy: 7, r: 6.5, class: "selection" }));
  if (shape.line) g.appendChild(svg("path", { d: "M1,7 L23,7", class: "line" }));
  else g.appendChild(drawShape({ ...shape, x: 12, y: 7 }));
  icon.appendChild(g);
  return icon;
}
function legend() {
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
function modeButtons(choose) {
  const group = document.createElement("span");
  group.className = "nengo-click-mode";
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Click mode");
  const label2 = document.createElement("span");
  label2.textContent = "Click:";
  group.appendChild(label2);
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
function toolbar(actions) {
  const bar = document.createElement("div");
  bar.className = "nengo-toolbar";
  const level = document.createElement("span");
  level.className = "nengo-zoom-level";
  const modes = modeButtons(actions.mode);
  const hint = document.createElement("span");
  hint.className = "nengo-hint";
  bar.append(
    button("\u2212", "Zoom out", () => actions.zoom(-1)),
    button("+", "Zoom in", () => actions.zoom(1)),
    button("Fit", "Fit to width", () => actions.fit()),
    level,
    modes.group,
    hint
  );
  const setMode = (mode) => {
    modes.setMode(mode);
    hint.textContent = hintText(mode);
  };
  return { bar, level, setMode };
}

// network_view_style.js
var STYLE = `
.nengo-network-view {
  --nv-bg: var(--jp-layout-color0, #ffffff);
  --nv-panel: var(--jp-layout-color2, #f3f4f6);
  --nv-fg: var(--jp-ui-font-color1, #1f2937);
  --nv-fg2: var(--jp-ui-font-color2, #4b5563);
  --nv-muted: var(--jp-ui-font-color3, #9ca3af);
  --nv-border: var(--jp-border-color2, #e5e7eb);
  --nv-brand: var(--jp-brand-color1, #2563eb);
  --nv-node: var(--jp-warn-color1, #b45309);
  --nv-net: #6366f1;
  --nv-sel: var(--jp-accent-color1, #388e3c);
  --nv-net-text: color-mix(in srgb, var(--nv-net) 65%, var(--nv-fg));
  color: var(--nv-fg);
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: 12px;
}
.nengo-network-view .nengo-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 2px 0 4px; }
.nengo-network-view .nengo-toolbar button {
  min-width: 28px; height: 24px; padding: 0 8px; cursor: pointer; font: inherit;
  color: var(--nv-fg); background: var(--nv-panel); border: 1px solid var(--jp-border-color1, #d1d5db); border-radius: 3px;
}
.nengo-network-view .nengo-toolbar button:hover { border-color: var(--nv-brand); }
.nengo-network-view .nengo-toolbar button[aria-pressed="true"] {
  color: var(--nv-brand); font-weight: 600; border-color: var(--nv-brand);
  background: color-mix(in srgb, var(--nv-brand) 14%, var(--nv-bg));
}
.nengo-network-view .nengo-click-mode { display: inline-flex; align-items: center; gap: 3px; margin: 0 4px; }
.nengo-network-view .nengo-click-mode > span { color: var(--nv-fg2); margin-right: 2px; }
.nengo-network-view .nengo-zoom-level { min-width: 3.5em; color: var(--nv-fg2); font-variant-numeric: tabular-nums; }
.nengo-network-view .nengo-hint { color: var(--nv-fg2); }
.nengo-network-view .nengo-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0 0 6px; color: var(--nv-fg2); }
.nengo-network-view .nengo-legend-item { display: inline-flex; align-items: center; gap: 4px; }
.nengo-network-view .nengo-network-viewport {
  overflow: auto; max-height: 640px; scrollbar-gutter: stable; cursor: grab;
  background: var(--nv-bg); border: 1px solid var(--nv-border); border-radius: 4px;
}
.nengo-network-view .nengo-network-viewport.panning { cursor: grabbing; }
.nengo-network-view .nengo-network-viewport > svg { display: block; }
.nengo-network-svg { font-size: 12px; user-select: none; }
.nengo-network-svg .box { fill: color-mix(in srgb, var(--nv-net) 6%, transparent); stroke: color-mix(in srgb, var(--nv-net) 75%, var(--nv-bg)); stroke-width: 1.2; }
.nengo-network-svg .title { fill: var(--nv-net-text); font-weight: 600; cursor: pointer; }
.nengo-network-svg .nengo-network.collapsed { cursor: pointer; }
.nengo-network-svg .nengo-network.collapsed .shape { fill: color-mix(in srgb, var(--nv-net) 14%, var(--nv-bg)); stroke: var(--nv-net); stroke-width: 1.5; }
.nengo-network-svg .count { fill: var(--nv-net-text); font-weight: 600; }
.nengo-network-svg .label { fill: var(--nv-fg); paint-order: stroke; stroke: var(--nv-bg); stroke-width: 3px; stroke-linejoin: round; }
.nengo-network-svg .nengo-ensemble { cursor: pointer; }
.nengo-network-svg .nengo-ensemble .shape { fill: color-mix(in srgb, var(--nv-brand) 22%, var(--nv-bg)); stroke: var(--nv-brand); stroke-width: 2.5; }
.nengo-network-svg .nengo-ensemble[data-trainable="false"] .shape { fill: var(--nv-panel); stroke: var(--nv-muted); stroke-dasharray: 4 3; stroke-width: 1.5; }
.nengo-network-svg .selection { fill: none; stroke: var(--nv-sel); stroke-width: 3; }
.nengo-network-svg .nengo-node .shape { fill: color-mix(in srgb, var(--nv-node) 22%, var(--nv-bg)); stroke: var(--nv-node); stroke-width: 1.5; }
.nengo-network-svg .nengo-probe .shape { fill: var(--nv-fg2); stroke: var(--nv-fg); stroke-width: 0.5; }
.nengo-network-svg .nengo-probe .label { fill: var(--nv-fg2); font-size: 10px; }
.nengo-network-svg .hit { fill: none; stroke: transparent; stroke-width: 12; }
.nengo-network-svg .line { fill: none; }
.nengo-network-svg .nengo-connection { cursor: pointer; }
.nengo-network-svg .nengo-connection .line { stroke: var(--nv-brand); stroke-width: 2; }
.nengo-network-svg .nengo-connection[data-trainable="false"] .line { stroke: var(--nv-muted); stroke-dasharray: 5 4; stroke-width: 1.5; }
.nengo-network-svg .nengo-connection:hover .line, .nengo-network-svg .nengo-ensemble:hover .shape { filter: drop-shadow(0 0 2px var(--nv-brand)); }
.nengo-network-svg .nengo-probe-edge .line { stroke: var(--nv-muted); stroke-width: 1; stroke-dasharray: 2 3; }
.nengo-network-svg .edge-label { font-size: 10.5px; fill: color-mix(in srgb, var(--nv-brand) 75%, var(--nv-fg)); paint-order: stroke; stroke: var(--nv-bg); stroke-width: 4px; stroke-linejoin: round; }
.nengo-network-svg .edge-label .syn { font-size: 9.5px; fill: var(--nv-fg2); }
.nengo-network-svg .edge-label .fn { font-weight: 600; }
.nengo-network-svg .nengo-connection[data-trainable="false"] .edge-label .fn { fill: var(--nv-muted); }
.nengo-network-svg .arrow-head { fill: var(--nv-fg2); }
.nengo-network-svg .probe-arrow-head { fill: var(--nv-muted); }
`;

// view_zoom.js
var MIN_SCALE = 0.05;
var MAX_SCALE = 4;
var ZOOM_STEP = 1.25;
function clampScale(scale) {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}
function fitScale(contentWidth, panelWidth) {
  if (!(panelWidth > 0) || !(contentWidth > 0)) return null;
  return clampScale(Math.min(1, panelWidth / contentWidth));
}
function zoomBy(scale, steps) {
  return clampScale(scale * ZOOM_STEP ** steps);
}
function scrollForZoom(scroll, cursor, before, after) {
  return Math.max(0, (scroll + cursor) / before * after - cursor);
}

// network_view.js
var DRAG_PX = 4;
var Zoom = class {
  /** @param {HTMLElement} viewport @param {HTMLElement} level */
  constructor(viewport, level) {
    this.viewport = viewport;
    this.level = level;
    this.scale = 1;
    this.fitted = true;
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
};
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
function render({ model, el }) {
  const container = element("div", "nengo-network-view", el);
  element("style", "", container).textContent = STYLE;
  const viewport = document.createElement("div");
  viewport.className = "nengo-network-viewport";
  let zoom;
  const setTrait = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  const { bar, level, setMode } = toolbar({
    zoom: (steps) => zoom.zoom(steps),
    fit: () => zoom.fit(),
    mode: (mode) => setTrait("click_mode", mode)
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
    const { scrollLeft, scrollTop } = viewport;
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
    const hit = hitOf(
      /** @type {Element} */
      event.target
    );
    const action = clickAction(hit, model.get("collapsed") ?? [], model.get("click_mode"));
    if (action?.message) model.send(action.message);
    if (action?.collapsed) setTrait("collapsed", action.collapsed);
  };
  const onWheel = (event) => {
    if (!event.ctrlKey && !event.metaKey) return;
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
var network_view_default = { render };
export {
  network_view_default as default
};
