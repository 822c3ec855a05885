// Runs a table of cases through the widgets' page-side modules and reports every mismatch.
// tests/test_widgets_js.py generates the table from the Python reference functions and writes
//   <dir>/<module>.mjs   the ES module each widget carries into the page (its _esm)
//   <dir>/cases.json     [{module, fn, args, expected, tol}]
// Usage: node run_cases.mjs <dir>; prints {"count": n, "failures": [...]} as JSON.
import fs from "node:fs";
import path from "node:path";
import {pathToFileURL} from "node:url";

const dir = process.argv[2];
const cases = JSON.parse(fs.readFileSync(path.join(dir, "cases.json"), "utf-8"));
const modules = {};

// Equal, with numbers within tol (absolute and relative) when tol is given; null matches null.
function same(got, want, tol) {
  if (typeof want === "number" && typeof got === "number") {
    return tol === null ? Object.is(got, want) || got === want
                        : Math.abs(got - want) <= tol * (1 + Math.abs(want));
  }
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => same(got[i], w, tol));
  }
  if (want !== null && typeof want === "object") {
    return got !== null && typeof got === "object" && Object.keys(want).every(k => same(got[k], want[k], tol));
  }
  return got === want;
}

const failures = [];
for (const [i, c] of cases.entries()) {
  modules[c.module] ??= await import(pathToFileURL(path.join(dir, `${c.module}.mjs`)).href);
  let got;
  try {
    got = modules[c.module][c.fn](...c.args);
  } catch (e) {
    got = {error: e.message};                     // an InputError's message, as Python's
  }
  if (!same(got, c.expected, c.tol ?? null)) failures.push({case: i, ...c, got});
}
console.log(JSON.stringify({count: cases.length, failures: failures.slice(0, 20),
                            failed: failures.length}));
