// Exported code goes into a new cell below the widget's cell when the app is
// reachable, else onto the clipboard, else it is only shown.
import assert from "node:assert/strict";
import { test } from "node:test";

import { deliver, findCell, insertBelow } from "../code_export_cell.js";


function fakeApp(nCells, holderIndex, widget) {
  const inserted = [];
  const cells = Array.from({ length: nCells }, (_, i) => ({
    node: { contains: (x) => i === holderIndex && x === widget },
  }));
  const notebook = { widgets: cells, model: { sharedModel: { insertCell: (i, cell) => inserted.push([i, cell]) } } };
  const panel = { content: notebook, node: {} };
  const other = { node: {} }; // e.g. a launcher: no notebook
  return { app: { shell: { widgets: () => [other, panel], currentWidget: other } }, inserted };
}

test("findCell finds the notebook cell that holds the widget", () => {
  const widget = {};
  const { app } = fakeApp(4, 2, widget);
  assert.equal(findCell(app, widget).index, 2);
  assert.equal(findCell(app, {}), null);
  assert.equal(findCell(undefined, widget), null);
  assert.equal(findCell({}, widget), null);
});

test("insertBelow inserts a code cell right after the widget's cell", () => {
  const widget = {};
  const { app, inserted } = fakeApp(3, 1, widget);
  assert.equal(insertBelow(app, widget, "x = 1\n"), true);
  assert.deepEqual(inserted, [[2, { cell_type: "code", source: "x = 1\n", metadata: {} }]]);
});

test("deliver: cell, else clipboard, else shown", async () => {
  const widget = {};
  const { app, inserted } = fakeApp(2, 0, widget);
  const copied = [];
  const clipboard = { writeText: async (s) => void copied.push(s) };
  assert.equal(await deliver(app, widget, "a", clipboard), "cell");
  assert.equal(inserted.length, 1);
  assert.deepEqual(copied, []);
  assert.equal(await deliver(undefined, widget, "b", clipboard), "clipboard");
  assert.deepEqual(copied, ["b"]);
  const refusing = { writeText: async () => { throw new Error("not allowed"); } };
  assert.equal(await deliver(undefined, widget, "c", refusing), "shown");
  assert.equal(await deliver(undefined, widget, "c", undefined), "shown");
});
