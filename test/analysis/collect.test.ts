import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CollectConfig,
  CollectError,
  type CollectProgress,
  calibrate,
  collect,
  loadDataset,
  serverFileName,
  writeCalibration,
} from "../../src/analysis/index.js";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { vectorFromBase64 } from "../../src/core/index.js";

const PROFILES = { H100_fp8: "h100-fp8", B200_fp8: "b200-fp8", A100_fp8: "a100-fp8", H100_int4: "h100-int4" };
let backends: ReferenceBackend[] = [];
let dir: string;

function config(servers: Record<string, string>, nonceCount = 400): CollectConfig {
  return {
    model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    seq_len: 1024,
    k_dim: 12,
    block_hash: "c0".repeat(32),
    public_key: "collect-test-key",
    block_height: 42,
    batch_size: 150,
    nonce_count: nonceCount,
    servers,
  };
}

/** A loopback port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocval-collect-"));
  backends = await Promise.all(Object.values(PROFILES).map((profile) => startReferenceBackend({ profile })));
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await rm(dir, { recursive: true, force: true });
});

const servers = (): Record<string, string> =>
  Object.fromEntries(Object.keys(PROFILES).map((n, i) => [n, backends[i]!.url]));

describe("collect", () => {
  it("writes one data collection file per server plus config.json, reporting progress per batch", async () => {
    const out = join(dir, "run1");
    const progress: CollectProgress[] = [];
    const written = await collect({ config: config(servers()), outDir: out, onProgress: (p) => progress.push(p) });
    expect(written).toHaveLength(5);
    expect((await readdir(out)).sort()).toEqual([
      "A100_fp8.json",
      "B200_fp8.json",
      "H100_fp8.json",
      "H100_int4.json",
      "config.json",
    ]);
    // 400 nonces in batches of 150: 150, 300, 400 per server.
    expect(progress.filter((p) => p.server === "H100_fp8").map((p) => p.done)).toEqual([150, 300, 400]);
    const file = JSON.parse(await readFile(join(out, "H100_fp8.json"), "utf8"));
    expect(Object.keys(file)).toEqual([
      "server_name",
      "server_url",
      "block_hash",
      "public_key",
      "nonces",
      "artifacts",
      "vectors",
      "encoding",
    ]);
    expect(file.nonces).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(file.encoding).toEqual({ dtype: "f16", k_dim: 12, endian: "le" });
    // The decoded vectors are the artifacts' f16 values.
    expect(file.vectors[7]).toEqual(Array.from(vectorFromBase64(file.artifacts[7].vector_b64, 12)));
    expect(JSON.parse(await readFile(join(out, "config.json"), "utf8"))).toEqual(config(servers()));
  });

  it("feeds calibrate: the FP8 machines are the honest cluster, INT4 pairs the cheater one", async () => {
    const out = join(dir, "run2");
    await collect({ config: config(servers(), 1000), outDir: out });
    const data = await loadDataset(out);
    expect(data.warnings).toEqual([]);
    const c = calibrate(data.servers);
    expect(c.honestServers).toEqual(["A100_fp8", "B200_fp8", "H100_fp8"]);
    expect(
      c.pairs.filter((p) => p.cluster === "cheater").every((p) => p.a === "H100_int4" || p.b === "H100_int4"),
    ).toBe(true);
    expect(c.honestDistances).toBe(3000);
    expect(c.falsePositives).toBe(60);
    // The report's classes: FP8 pairs near 0.07, INT4 against FP8 near 0.24.
    for (const p of c.pairs) expect(p.mean).toBeCloseTo(p.cluster === "honest" ? 0.07 : 0.24, 1);
    for (const p of c.pairs.filter((x) => x.cluster === "cheater")) expect(p.pValue).toBeLessThan(1e-100);
    const files = await writeCalibration(join(out, "calibration"), c, data);
    expect(files.map((f) => f.slice(f.lastIndexOf("/") + 1)).sort()).toEqual([
      "calibration.json",
      "honest_vs_cheater_separation.png",
      "honest_vs_cheater_separation.svg",
      "pairwise_distance_heatmap.png",
      "pairwise_distance_heatmap.svg",
      "report.md",
      "threshold_distributions.png",
      "threshold_distributions.svg",
    ]);
    const report = await readFile(join(out, "calibration", "report.md"), "utf8");
    expect(report).toContain("| A100_fp8 vs B200_fp8 | 1000 |");
    expect(report).toContain(`**${c.threshold.toFixed(6)}**`);
    expect(report).toContain("![Pairwise distance heatmap](./pairwise_distance_heatmap.png)");
  });

  it("writes the reachable servers' files and names the one that failed", async () => {
    const out = join(dir, "run3");
    const port = await closedPort();
    const s = { H100_fp8: backends[0]!.url, gone: `http://127.0.0.1:${port}` };
    const err = await collect({ config: config(s, 50), outDir: out, client: { retries: 0 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as CollectError).failures.map((f) => f.server)).toEqual(["gone"]);
    expect((err as Error).message).toMatch(/^1 server file\(s\) failed: gone \(gone\.json\): /);
    expect((await readdir(out)).sort()).toEqual(["H100_fp8.json", "config.json", "gone.json"]);
    // The real tool's error file: the server's identity and the error, no vectors.
    const gone = JSON.parse(await readFile(join(out, "gone.json"), "utf8"));
    expect(Object.keys(gone)).toEqual(["server_name", "server_url", "block_hash", "public_key", "error"]);
    expect(gone.error).toBe((err as CollectError).failures[0]!.error.message);
  });

  it("refuses server names that would overwrite config.json or each other", async () => {
    await expect(collect({ config: config({ config: backends[0]!.url }), outDir: join(dir, "x") })).rejects.toThrow(
      /reserved/,
    );
    await expect(
      collect({ config: config({ "a/b": backends[0]!.url, a_b: backends[1]!.url }), outDir: join(dir, "y") }),
    ).rejects.toThrow(/writes a_b\.json like server "a\/b"/);
    expect(serverFileName("H100 fp8 #1")).toBe("H100_fp8__1.json");
  });

  it("writes the real tool's multi-seed layout with error files, and calibrate reads it back", async () => {
    const out = join(dir, "multi");
    const port = await closedPort();
    const { block_hash: _, public_key: __, ...rest } = config({}, 120);
    const multi: CollectConfig = {
      ...rest,
      block_hashes: ["TEST_BLOCK_HsdcASH_123sdcsdc", "asdcdsc"],
      public_keys: ["test_nodesdcdcd"],
      r_target: 1.5,
      batch_size: 64,
      servers: { ...servers(), gone: `http://127.0.0.1:${port}` },
    };
    const err = await collect({ config: multi, outDir: out, client: { retries: 0 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    const names = (await readdir(out)).sort();
    const expected = [...Object.keys(PROFILES), "gone"].flatMap((s) => [
      `${s}_TEST_BLOCK_HsdcASH_123sdcsdc_test_nodesdcdcd.json`,
      `${s}_asdcdsc_test_nodesdcdcd.json`,
    ]);
    expect(names).toEqual([...expected, "config.json"].sort());
    const copy = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
    expect(copy.r_target).toBe(1.5);
    const one = JSON.parse(await readFile(join(out, "B200_fp8_asdcdsc_test_nodesdcdcd.json"), "utf8"));
    expect(one.block_hash).toBe("asdcdsc");
    expect(one.public_key).toBe("test_nodesdcdcd");
    expect(one.nonces).toHaveLength(120);

    const data = await loadDataset(out);
    expect(data.failed.map((f) => f.name)).toEqual(["gone", "gone"]);
    expect(data.servers).toHaveLength(8);
    const c = calibrate(data.servers, { policy: "worst-pair" });
    // Every pair pools its two seeds.
    for (const p of c.pairs) expect([p.n, p.seeds]).toEqual([240, 2]);
    expect(c.cheaterServers).toEqual(["H100_int4"]);
    expect(c.honestServers).toEqual(["A100_fp8", "B200_fp8", "H100_fp8"]);
    // The two seeds give different vectors: a pair's distances differ between them.
    const pair = c.pairs.find((p) => p.cluster === "honest")!;
    expect(Array.from(pair.distances.slice(0, 120))).not.toEqual(Array.from(pair.distances.slice(120)));
  });

  it("--continue keeps finished files and collects the failed and cut-short ones again", async () => {
    const out = join(dir, "resume");
    const port = await closedPort();
    const first = { H100_fp8: backends[0]!.url, B200_fp8: `http://127.0.0.1:${port}`, A100_fp8: backends[2]!.url };
    await collect({ config: config(first, 60), outDir: out, client: { retries: 0 } }).catch(() => undefined);
    expect(JSON.parse(await readFile(join(out, "B200_fp8.json"), "utf8")).error).toBeTypeOf("string");
    // An interrupted write leaves A100's file cut short.
    const a100 = await readFile(join(out, "A100_fp8.json"), "utf8");
    await writeFile(join(out, "A100_fp8.json"), a100.slice(0, 100));
    const h100Before = await stat(join(out, "H100_fp8.json"));
    const skipped: string[] = [];
    const second = { ...first, B200_fp8: backends[1]!.url };
    const written = await collect({
      config: config(second, 60),
      outDir: out,
      resume: true,
      onSkip: (f) => skipped.push(f),
    });
    expect(skipped).toEqual([join(out, "H100_fp8.json")]);
    expect(written.map((f) => f.slice(f.lastIndexOf("/") + 1)).sort()).toEqual([
      "A100_fp8.json",
      "B200_fp8.json",
      "config.json",
    ]);
    expect((await stat(join(out, "H100_fp8.json"))).mtimeMs).toBe(h100Before.mtimeMs);
    expect(await readFile(join(out, "A100_fp8.json"), "utf8")).toBe(a100);
    const data = await loadDataset(out);
    expect(data.failed).toEqual([]);
    expect(data.servers.map((s) => s.vectors.size)).toEqual([60, 60, 60]);
  });
});
