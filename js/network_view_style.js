// Stylesheet of the network view. Colours come from JupyterLab's theme
// variables (--jp-*), so the light and dark themes both read well; the
// fallbacks after the commas are used outside JupyterLab.

/** Stylesheet, scoped to `.nengo-network-view`. */
export const STYLE = `
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
