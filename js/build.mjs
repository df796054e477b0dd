// Bundles each widget's ES module into nengodl_notebook/widgets/static/<name>.js.
// Usage: node build.mjs [outdir]  (the Python tests build into a temporary outdir
// and compare the bytes with the committed bundles).
import * as esbuild from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Entry points: one per widget, named like the Python module. */
const ENTRIES = ["network_view.js", "freehand.js", "code_export.js"];
const outdir = process.argv[2]
  ? path.resolve(process.argv[2])
  : path.join(here, "..", "nengodl_notebook", "widgets", "static");

await esbuild.build({
  absWorkingDir: here,
  entryPoints: ENTRIES,
  bundle: true,
  format: "esm",
  outdir,
  logLevel: "warning",
});
