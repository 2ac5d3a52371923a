#!/usr/bin/env node
// Regenerates src/gen from proto/ with buf + ts-proto (local plugin, no remote dependencies).
// With --check it generates into a temporary folder and exits 1 when src/gen differs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const committed = join(root, "src/gen");
const check = process.argv.includes("--check");

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    })
    .sort();
}

function generate(outputBase) {
  // buf.gen.yaml writes to src/gen relative to --output.
  execFileSync(join(root, "node_modules/.bin/buf"), ["generate", "--output", outputBase], {
    cwd: root,
    stdio: "inherit",
  });
}

if (!check) {
  rmSync(committed, { recursive: true, force: true });
  generate(root);
  console.log(`generated ${listFiles(committed).length} files in src/gen`);
} else {
  const base = mkdtempSync(join(tmpdir(), "pocval-gen-"));
  try {
    generate(base);
    const fresh = join(base, "src/gen");
    const names = new Set([
      ...listFiles(fresh).map((f) => relative(fresh, f)),
      ...listFiles(committed).map((f) => relative(committed, f)),
    ]);
    const stale = [...names].filter((name) => {
      const a = join(fresh, name);
      const b = join(committed, name);
      return !existsSync(a) || !existsSync(b) || readFileSync(a, "utf8") !== readFileSync(b, "utf8");
    });
    if (stale.length > 0) {
      console.error(`src/gen is stale (run npm run proto): ${stale.join(", ")}`);
      process.exit(1);
    }
    console.log("src/gen matches proto/");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
