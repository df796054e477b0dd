// code_export_cell.js
function findCell(app, el) {
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
function insertBelow(app, el, source) {
  const found = findCell(app, el);
  if (found === null) return false;
  found.notebook.model.sharedModel.insertCell(found.index + 1, {
    cell_type: "code",
    source,
    metadata: {}
  });
  return true;
}
async function deliver(app, el, source, clipboard) {
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
    }
  }
  return "shown";
}
var DELIVERED_TEXT = {
  cell: "The code is in a new cell below the dashboard.",
  clipboard: "The code is on the clipboard (paste it into a cell).",
  shown: "Copy the code below into a cell."
};

// code_export.js
function make(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== void 0) node.textContent = text;
  return node;
}
function render({ model, el }) {
  const root = make("div", { class: "nengo-code-export" });
  root.style.cssText = "display:flex;flex-direction:column;gap:4px;margin:2px 0";
  const row = make("div", {});
  row.style.cssText = "display:flex;gap:8px;align-items:center";
  const button = make("button", { class: "jupyter-button nengo-export-button" }, "Export code");
  const status = make("span", { class: "nengo-export-status" });
  const copy = make("button", { class: "jupyter-button nengo-export-copy" }, "Copy");
  const code = make("textarea", { class: "nengo-export-source", readonly: "", rows: "14", spellcheck: "false" });
  code.style.cssText = "width:100%;font-family:var(--jp-code-font-family, monospace);font-size:12px;white-space:pre;background:var(--jp-layout-color1, #fff);color:var(--jp-content-font-color1, #000)";
  row.append(button, status, copy);
  root.append(row, code);
  el.append(root);
  const show = () => {
    const source = model.get("source");
    code.value = source;
    code.hidden = copy.hidden = source === "";
    const error = model.get("error");
    const delivered = model.get("delivered");
    status.textContent = error || DELIVERED_TEXT[delivered] || "";
  };
  const onRequest = async () => {
    const source = model.get("source");
    const where = await deliver(window.jupyterapp, el, source, navigator.clipboard);
    model.set("delivered", where);
    model.save_changes();
  };
  button.addEventListener("click", () => model.send({ type: "export" }));
  copy.addEventListener("click", async () => {
    const where = await deliver(void 0, el, code.value, navigator.clipboard);
    status.textContent = where === "clipboard" ? DELIVERED_TEXT.clipboard : "Select the code and copy it (Ctrl+C).";
    if (where !== "clipboard") code.select();
  });
  model.on("change:source", show);
  model.on("change:error", show);
  model.on("change:delivered", show);
  model.on("change:request", onRequest);
  show();
  return () => {
    model.off("change:source", show);
    model.off("change:error", show);
    model.off("change:delivered", show);
    model.off("change:request", onRequest);
  };
}
var code_export_default = { render };
export {
  code_export_default as default
};
