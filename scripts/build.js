#!/usr/bin/env node
// Builds the package's JavaScript into dist/ with tsc (tsconfig.build.json), only when a source
// is newer than the last build. `node scripts/build.js` is what the tests' global setup and
// `npm run localnet` call, so an edit in src/ needs no manual build step; it emits without type
// checking (that is `npm run typecheck`). `--check` is the full type-checked build `npm run build`
// (and so `npm ci`, through `prepare`) runs.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = join(root, "dist", ".build-stamp");

/** The newest modification time among the build's inputs (src/ except the dashboard page, and the tsconfigs). */
function newestInput() {
  let newest = Math.max(
    statSync(join(root, "tsconfig.json")).mtimeMs,
    statSync(join(root, "tsconfig.build.json")).mtimeMs,
  );
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join(root, "src", "dashboard", "web")) walk(path);
      } else {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  walk(join(root, "src"));
  return newest;
}

/** True when dist/ was built after the last change to any input. */
export function isFresh() {
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput();
}

/**
 * Builds dist/ when it is stale (or always, with force); returns the milliseconds spent (0 when fresh).
 * Throws with tsc's output when the build fails.
 */
export function ensureBuilt({ check = false, force = false } = {}) {
  if (!force && isFresh()) return 0;
  const started = Date.now();
  // The stamp's time is taken before tsc reads the sources: an edit during the build makes the next call rebuild.
  const startedAt = new Date();
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const args = [tsc, "-p", join(root, "tsconfig.build.json"), ...(check ? [] : ["--noCheck"])];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${r.stdout}${r.stderr}`);
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  return Date.now() - started;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  try {
    const ms = ensureBuilt({ check, force: check });
    if (ms > 0) process.stderr.write(`built dist/ in ${(ms / 1000).toFixed(1)} s${check ? " (type-checked)" : ""}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
