// What a click on the network drawing does, by click mode: "toggle" asks Python
// to flip an ensemble's or connection's `trainable` setting, "select" asks it to
// select an ensemble (e.g. to show its neurons) and changes nothing else. In
// both modes a click on a sub-network's title collapses it and a click on a
// collapsed sub-network expands it.

/** The click modes, each with its toolbar button's text and tooltip. */
export const MODE_BUTTONS = [
  ["toggle", "toggle trainable", "A click on an ensemble or connection toggles whether it trains"],
  ["select", "show neurons", "A click on an ensemble shows its neurons (its trainable setting is left as it is)"],
];

/**
 * @typedef {Object} Hit  What a click landed on.
 * @property {string} id  The drawn item's id.
 * @property {"ensemble" | "connection" | "collapsed" | "title"} what
 */

/**
 * The drawn item under a click, or null (background, probes, nodes...).
 * @param {Element} target  The click's target.
 * @returns {Hit | null}
 */
export function hitOf(target) {
  const item = target.closest("[data-id]");
  if (!item) return null;
  const id = item.getAttribute("data-id") ?? "";
  if (item.matches(".nengo-ensemble")) return { id, what: "ensemble" };
  if (item.matches(".nengo-connection")) return { id, what: "connection" };
  if (item.matches(".nengo-network.collapsed")) return { id, what: "collapsed" };
  if (item.matches(".nengo-network-title")) return { id, what: "title" };
  return null;
}

/**
 * What a click does: a message to Python, or a new `collapsed` list.
 * @param {Hit | null} hit
 * @param {string[]} collapsed  Ids of the collapsed sub-networks.
 * @param {string} mode  "toggle" or "select".
 * @returns {{message?: {type: string, id: string}, collapsed?: string[]} | null}
 */
export function clickAction(hit, collapsed, mode) {
  if (!hit) return null;
  const { id, what } = hit;
  if (what === "collapsed") return { collapsed: collapsed.filter((c) => c !== id) };
  if (what === "title") return { collapsed: [...collapsed, id] };
  if (mode === "select") return what === "ensemble" ? { message: { type: "select", id } } : null;
  return { message: { type: "toggle", id } };
}
