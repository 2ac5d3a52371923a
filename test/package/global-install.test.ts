// The package as a validator operator installs it: `npm install -g` of the `npm pack` tarball into
// an empty prefix (dependencies from the npm registry, as on a fresh host), then `pocval --version`
// from the prefix's bin; and the rule behind it: what dist/ loads at run time is exactly what
// package.json's `dependencies` list, so a host gets no dev tools and misses nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Build and test tools: a host running pocval needs none of them. */
const DEV_TOOLS = ["typescript", "vitest", "vite", "tsx", "solc", "playwright-core", "@biomejs/biome", "@bufbuild/buf"];

/** Every `.js` file under dir. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(m?js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The npm package a bare specifier names (`@scope/name/sub` -> `@scope/name`); undefined for node: and relative ones. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:") || specifier.startsWith("/")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * Packages dist/ imports (static, dynamic with a literal, or require.resolve), with one file that does.
 * The dashboard page is bundled by vite at build time (dist/dashboard-web holds no imports).
 */
function runtimeImports(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /\bfrom\s+"([^"]+)"/g,
    /\bimport\s*\(\s*"([^"]+)"\s*\)/g,
    /\bimport\s+"([^"]+)"/g,
    /\brequire(?:\.resolve)?\(\s*"([^"]+)"\s*\)/g,
  ];
  for (const file of jsFiles(join(ROOT, "dist"))) {
    const text = readFileSync(file, "utf8");
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const name = packageOf(m[1]!);
        // Its own name appears in doc comments' examples (`import ... from "pocval"`).
        if (name !== undefined && name !== pkg.name && !found.has(name)) found.set(name, relative(ROOT, file));
      }
    }
  }
  return found;
}

describe("runtime dependencies", () => {
  it("dist/ imports only packages listed in dependencies or optionalDependencies", () => {
    const listed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
    const missing = [...runtimeImports()].filter(([name]) => !listed.has(name)).map(([n, f]) => `${n} (${f})`);
    expect(missing).toEqual([]);
  });

  it("every listed dependency is loaded by dist/ (none is a dev tool kept by mistake)", () => {
    const used = runtimeImports();
    const unused = Object.keys(pkg.dependencies).filter((d) => !used.has(d));
    expect(unused).toEqual([]);
    // Only needed by `localnet --chain evm` on linux-x64, so a host of another platform still installs.
    expect(Object.keys(pkg.optionalDependencies)).toEqual(["@foundry-rs/anvil-linux-amd64"]);
    for (const dev of DEV_TOOLS) expect(pkg.devDependencies, dev).toHaveProperty(dev);
  });

  it("bin/pocval.js refuses a Node.js outside engines.node with one line, and runs inside it", () => {
    expect(pkg.engines.node).toBe("^20.19.0 || ^22.12.0 || ^24.0.0");
    const run = (version: string) =>
      spawnSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `Object.defineProperty(process.versions, "node", { value: "${version}" });
           process.argv.push("pocval", "--version");
           await import(${JSON.stringify(join(ROOT, "bin", "pocval.js"))});`,
        ],
        { encoding: "utf8" },
      );
    for (const old of ["18.20.4", "20.18.3", "22.11.0", "23.5.0"]) {
      const r = run(old);
      expect(r.status, old).toBe(1);
      expect(r.stderr).toBe(
        `pocval: Node.js ${old} is not supported; it needs ^20.19.0 || ^22.12.0 || ^24.0.0 (engines.node)\n`,
      );
    }
    for (const ok of ["20.19.0", "22.12.0", "24.3.1"]) expect(run(ok).stdout, ok).toBe(`${pkg.version}\n`);
  });
});

describe("npm install -g <tarball> into an empty prefix", () => {
  let dir: string;
  let prefix: string;
  let install: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pocval-global-"));
    prefix = join(dir, "prefix");
    // dist/ is fresh (the global setup rebuilt it); --ignore-scripts skips `prepare`'s type-checked rebuild.
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarball = join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
    // better-sqlite3's install script takes a prebuilt binary from github.com (not reachable from this
    // machine) and otherwise compiles SQLite (minutes on a loaded 2-core host). An offline mirror's
    // prebuild is what prebuild-install reads from npm_config_better_sqlite3_local_prebuilds: made here
    // from the same version compiled for this Node's ABI by this repository's own `npm ci`.
    const prebuilds = join(dir, "prebuilds");
    mkdirSync(prebuilds);
    const sqlite = join(ROOT, "node_modules", "better-sqlite3");
    const sqliteVersion = (JSON.parse(readFileSync(join(sqlite, "package.json"), "utf8")) as { version: string })
      .version;
    const name = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    execFileSync("tar", ["-czf", join(prebuilds, name), "-C", sqlite, "build/Release/better_sqlite3.node"]);
    install = spawnSync("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-fund", tarball], {
      encoding: "utf8",
      env: {
        ...process.env,
        npm_config_nodedir: process.env.npm_config_nodedir ?? "/usr",
        npm_config_better_sqlite3_local_prebuilds: prebuilds,
        // The test's own npm settings must not leak in (vitest may run under `npm test`).
        npm_config_global: undefined,
        npm_config_prefix: undefined,
      },
      timeout: 600_000,
    });
  }, 620_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installs and `pocval --version` prints the package's version", () => {
    expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
    const bin = join(prefix, "bin", "pocval");
    expect(existsSync(bin)).toBe(true);
    const version = spawnSync(bin, ["--version"], { encoding: "utf8" });
    expect(version.stderr).toBe("");
    expect(version.stdout).toBe(`${pkg.version}\n`);
  });

  it("holds the runtime dependencies only, with a working SQLite for the journal", () => {
    const modules = join(prefix, "lib", "node_modules", pkg.name, "node_modules");
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(modules, dep)), dep).toBe(true);
    // The dev tools (some devDependencies, @cosmjs/amino for one, are also a runtime dependency's own).
    for (const dev of DEV_TOOLS) expect(existsSync(join(modules, dev)), dev).toBe(false);
    // The sidecar's journal needs the native module: loading it from the installed package proves it built.
    const sqlite = spawnSync(
      process.execPath,
      [
        "-e",
        "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select 41 + 1 as x').get().x)",
      ],
      { cwd: join(prefix, "lib", "node_modules", pkg.name), encoding: "utf8" },
    );
    expect(sqlite.stdout).toBe("42\n");
  });
});
