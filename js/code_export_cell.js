// Where exported code goes: a new cell below the widget's cell (JupyterLab 4 /
// Notebook 7 with `window.jupyterapp`), else the clipboard, else only shown.

/**
 * @typedef {{node: Element}} Cell
 * @typedef {{widgets: Cell[], model: {sharedModel: {insertCell: Function}}}} Notebook
 * @typedef {{content?: Notebook, node: Element}} Panel
 * @typedef {{shell: {widgets: (area: string) => Iterable<Panel>, currentWidget?: Panel}}} App
 */

/**
 * The notebook and the index of the cell that holds `el`, or null.
 * @param {App | undefined} app
 * @param {Element} el
 * @returns {{notebook: Notebook, index: number} | null}
 */
export function findCell(app, el) {
  if (!app || !app.shell || typeof app.shell.widgets !== "function") return null;
  const panels = [];
  if (app.shell.currentWidget) panels.push(app.shell.currentWidget);
  for (const panel of app.shell.widgets("main")) panels.push(panel);
  for (const panel of panels) {
    const notebook = panel.content;
    if (!notebook || !Array.isArray(notebook.widgets) || !notebook.model) continue;
    const index = notebook.widgets.findIndex((cell) => cell.node.contains(el));
    if (index >= 0) return { notebook, index };
  }
  return null;
}

/**
 * Insert a code cell holding `source` below the cell that holds `el`.
 * @param {App | undefined} app
 * @param {Element} el
 * @param {string} source
 * @returns {boolean} whether a cell was inserted
 */
export function insertBelow(app, el, source) {
  const found = findCell(app, el);
  if (found === null) return false;
  found.notebook.model.sharedModel.insertCell(found.index + 1, {
    cell_type: "code",
    source,
    metadata: {},
  });
  return true;
}

/**
 * Put `source` where the front end allows: "cell", "clipboard" or "shown".
 * @param {App | undefined} app
 * @param {Element} el
 * @param {string} source
 * @param {{writeText: (s: string) => Promise<void>} | undefined} clipboard
 * @returns {Promise<string>}
 */
export async function deliver(app, el, source, clipboard) {
  try {
    if (insertBelow(app, el, source)) return "cell";
  } catch (e) {
    console.warn("nengodl_notebook: could not insert a cell", e);
  }
  if (clipboard && typeof clipboard.writeText === "function") {
    try {
      await clipboard.writeText(source);
      return "clipboard";
    } catch (e) {
      // no permission (e.g. the page is not focused): shown only
    }
  }
  return "shown";
}

/** What the status line says after each kind of delivery. */
export const DELIVERED_TEXT = {
  cell: "The code is in a new cell below the dashboard.",
  clipboard: "The code is on the clipboard (paste it into a cell).",
  shown: "Copy the code below into a cell.",
};
