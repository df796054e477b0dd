// CodeExportWidget's view: an "Export code" button; the exported source goes into
// a new cell below (or the clipboard) and is shown read-only with a Copy button.

import { DELIVERED_TEXT, deliver } from "./code_export_cell.js";

/** @typedef {import("./network_view.js").Model} Model */

/** @param {string} tag @param {Object<string, string>} attrs @param {string} [text] */
function make(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {{model: Model, el: HTMLElement}} ctx */
function render({ model, el }) {
  const root = make("div", { class: "nengo-code-export" });
  root.style.cssText = "display:flex;flex-direction:column;gap:4px;margin:2px 0";
  const row = make("div", {});
  row.style.cssText = "display:flex;gap:8px;align-items:center";
  const button = make("button", { class: "jupyter-button nengo-export-button" }, "Export code");
  const status = make("span", { class: "nengo-export-status" });
  const copy = make("button", { class: "jupyter-button nengo-export-copy" }, "Copy");
  const code = make("textarea", { class: "nengo-export-source", readonly: "", rows: "14", spellcheck: "false" });
  code.style.cssText =
    "width:100%;font-family:var(--jp-code-font-family, monospace);font-size:12px;white-space:pre;" +
    "background:var(--jp-layout-color1, #fff);color:var(--jp-content-font-color1, #000)";
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
    // @ts-ignore -- JupyterLab's application object, when exposed
    const where = await deliver(window.jupyterapp, el, source, navigator.clipboard);
    model.set("delivered", where);
    model.save_changes();
  };
  button.addEventListener("click", () => model.send({ type: "export" }));
  copy.addEventListener("click", async () => {
    const where = await deliver(undefined, el, code.value, navigator.clipboard);
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

export default { render };
