// The package as a cosmjs user gets it: `npm pack`, unpacked into an empty folder, imported from
// plain Node through its exports map, type-checked against its declarations, and its bin run.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};

let dir: string;
let app: string;
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pocval-pack-"));
  // dist/ is fresh (the global setup rebuilt it); --ignore-scripts skips `prepare`, a full
  // type-checked rebuild that `npm pack` would otherwise run.
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  files = packed!.files.map((f) => f.path);
  app = join(dir, "app");
  const modules = join(app, "node_modules");
  mkdirSync(join(modules, pkg.name), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync("tar", ["-xzf", join(dir, packed!.filename), "-C", join(modules, pkg.name), "--strip-components=1"]);
  // `npm install --offline <tgz>` cannot work on this machine: npm's cache holds no registry
  // metadata (ENOTCACHED for @bufbuild/protobuf), and the tests do not use the network. So the
  // tarball is unpacked as npm would, and each of its runtime dependencies is linked from this
  // repository's node_modules (installed from the same lockfile); what those need resolves there.
  for (const dep of Object.keys(pkg.dependencies)) {
    const target = join(modules, dep);
    mkdirSync(join(target, ".."), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), target, "dir");
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("holds the compiled code with declarations, the bin and the spec, and no sources or tests", () => {
    for (const f of [
      "package.json",
      "bin/pocval.js",
      "dist/cli/main.js",
      "dist/client/index.js",
      "dist/client/index.d.ts",
      "dist/core/index.d.ts",
      "dist/index.d.ts",
      "dist/sidecar/prove-worker.js",
      "localnet/scenarios/default.json",
      "docs/protocol.md",
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|scripts)\//.test(f) || f.endsWith(".tsbuildinfo"))).toEqual([]);
  });

  it("imports { setupPocvalExtension } from 'pocval/client' in plain Node and builds a working registry", () => {
    const script = `
      import { setupPocvalExtension, createPocvalRegistry, typeUrls } from "pocval/client";
      import { binomialPValue } from "pocval/core";
      import * as root from "pocval";
      const registry = createPocvalRegistry();
      const value = { creator: "pocval1x", pocPublicKey: "pk", proofApiUrl: "http://127.0.0.1:1" };
      const any = registry.encodeAsAny({ typeUrl: typeUrls.registerParticipant, value });
      const back = registry.decode(any);
      console.log(JSON.stringify({
        setup: typeof setupPocvalExtension,
        typeUrl: any.typeUrl,
        roundTrip: back.proofApiUrl,
        p: binomialPValue(3, 100, 0.01),
        rootHasClient: root.setupPocvalExtension === setupPocvalExtension,
        rootHasCore: typeof root.core.binomialPValue,
      }));
      try { await import("pocval/dist/client/index.js"); console.log("deep import allowed"); }
      catch (err) { console.log(err.code); }
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [json, deep] = r.stdout.trim().split("\n");
    expect(JSON.parse(json!)).toEqual({
      setup: "function",
      typeUrl: "/pocval.v1.MsgRegisterParticipant",
      roundTrip: "http://127.0.0.1:1",
      // scipy.stats.binom.sf(2, 100, 0.01)
      p: expect.closeTo(0.07937320225218, 12),
      rootHasClient: true,
      rootHasCore: "function",
    });
    // Only the exports map's entry points are public.
    expect(deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("type-checks a cosmjs user's file against the package's declarations", () => {
    writeFileSync(
      join(app, "use.ts"),
      `import { QueryClient } from "@cosmjs/stargate";
import type { CometClient } from "@cosmjs/tendermint-rpc";
import { createPocvalRegistry, setupPocvalExtension, typeUrls } from "pocval/client";
import { binomialPValue } from "pocval/core";

export async function tallies(comet: CometClient): Promise<number> {
  const q = QueryClient.withExtensions(comet, setupPocvalExtension);
  const list = await q.pocval.tallies(12n);
  const p: number = binomialPValue(3, 100, 0.01);
  createPocvalRegistry().lookupType(typeUrls.commitArtifacts);
  return list.length + p;
}
// A wrong use must fail: the declarations carry real types, not any.
// @ts-expect-error tallies takes a bigint stage height
export const wrong = (q: ReturnType<typeof setupPocvalExtension>) => q.pocval.tallies("12");
`,
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    // --skipLibCheck: the dependencies' own declarations are not this test's subject.
    const check = spawnSync(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "use.ts",
      ],
      { cwd: app, encoding: "utf8" },
    );
    expect(check.stdout).toBe("");
    expect(check.status).toBe(0);
  });

  it("runs its bin: the compiled CLI from the unpacked package", () => {
    const bin = join(app, "node_modules", pkg.name, "bin", "pocval.js");
    const version = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const binom = spawnSync(process.execPath, [bin, "stats", "binom", "--k", "3", "--n", "100", "--p", "0.01"], {
      encoding: "utf8",
    });
    expect(binom.status).toBe(0);
    expect(JSON.parse(binom.stdout).p_value).toBeCloseTo(0.07937320225218, 12);
  });
});
