#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds dist/ (the `prepare` script); after editing src/,
// `npm run build` (or any `npm test`, which rebuilds what changed) brings it up to date.
// It first refuses a Node.js outside package.json's `engines.node` (the one home of the
// supported versions), so an old runtime fails with one clear line, not a syntax error deep down.
import { existsSync, readFileSync } from "node:fs";

/** True when version `x.y.z` satisfies a range of `^x.y.z` alternatives joined by `||`. */
function satisfies(version, range) {
  const [major, minor, patch] = version.split(".").map(Number);
  return range.split("||").some((alt) => {
    const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt);
    if (!m) return true; // a form this check does not read is left to npm
    const [want, wantMinor, wantPatch] = m.slice(1).map(Number);
    return major === want && (minor > wantMinor || (minor === wantMinor && patch >= wantPatch));
  });
}

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const range = pkg.engines?.node;
if (typeof range === "string" && !satisfies(process.versions.node, range)) {
  process.stderr.write(`pocval: Node.js ${process.versions.node} is not supported; it needs ${range} (engines.node)\n`);
  process.exit(1);
}
const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("pocval: dist/ is not built; run `npm run build` in the package\n");
  process.exit(1);
}
await import(main.href);
