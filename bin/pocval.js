#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds dist/ (the `prepare` script); after editing src/,
// `npm run build` (or any `npm test`, which rebuilds what changed) brings it up to date.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("pocval: dist/ is not built; run `npm run build` in the package\n");
  process.exit(1);
}
await import(main.href);
