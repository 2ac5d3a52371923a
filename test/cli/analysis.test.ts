import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { UsageError } from "../../src/cli/args.js";
import calibrate from "../../src/cli/calibrate.js";
import collect from "../../src/cli/collect.js";
import { runGroup } from "../../src/cli/command.js";
import simulate from "../../src/cli/simulate.js";
import { vectorToBase64 } from "../../src/core/index.js";
import { writeRealFolder } from "../analysis/real-folder.js";

const calibrateCmd = (argv: string[]) => runGroup(calibrate, argv);
const collectCmd = (argv: string[]) => runGroup(collect, argv);
const simulateCmd = (argv: string[]) => runGroup(simulate, argv);

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DEFAULT_6 = join(ROOT, "localnet/stakes/default-6.json");
const PRESET_377 = join(ROOT, "localnet/stakes/377-heavy-tailed.json");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `pocval` command as a user would. */
function pocval(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin/pocval.js"), ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a command group in this process, capturing what it prints (faster than a child for flag checks). */
async function inProcess(
  run: (argv: string[]) => Promise<void>,
  args: string[],
): Promise<{ stdout: string; error?: Error }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await run(args);
    return { stdout: chunks.join("") };
  } catch (error) {
    return { stdout: chunks.join(""), error: error as Error };
  } finally {
    process.stdout.write = write;
  }
}

let dir: string;
let backends: ReferenceBackend[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocval-cli-analysis-"));
  backends = await Promise.all(["h100-fp8", "b200-fp8", "int4"].map((profile) => startReferenceBackend({ profile })));
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await rm(dir, { recursive: true, force: true });
});

describe("pocval simulate", () => {
  it("network --json prints exactly docs/cli.md's shape, exact values from the binomial", async () => {
    const r = await pocval([
      "simulate",
      "network",
      "--stakes",
      DEFAULT_6,
      "--rate",
      "0.04",
      "--rounds",
      "20000",
      "--seed",
      "5",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["exact", "monte_carlo"]);
    expect(Object.keys(out.exact)).toEqual(["p_convicted", "share_median", "share_p95"]);
    expect(Object.keys(out.monte_carlo)).toEqual([
      "rounds",
      "p_convicted",
      "ci95",
      "share_median",
      "share_p95",
      "share_max",
    ]);
    // scipy enumeration of the 2^6 voter sets.
    expect(out.exact.p_convicted).toBeCloseTo(0.5379716266268421, 13);
    expect(out.monte_carlo.rounds).toBe(20000);
    expect(out.monte_carlo.ci95[0]).toBeLessThanOrEqual(out.exact.p_convicted);
    expect(out.monte_carlo.ci95[1]).toBeGreaterThanOrEqual(out.exact.p_convicted);
  });

  it("network over the 377 preset prints human tables with both methods", async () => {
    const r = await inProcess(simulateCmd, ["network", "--stakes", PRESET_377, "--rate", "0.04"]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/^377 validators, total stake 1000007/);
    expect(r.stdout).toMatch(/P\[convicted\]\s+0\.736699\s+0\.73\d+ \(\d+\/100000\)/);
    expect(r.stdout).toContain("votes cheater iff k >= 8");
    expect(r.stdout).toContain("exact distribution on the stakes themselves");
  });

  it("single --json gives the report's p-value of 35/2000", async () => {
    const r = await inProcess(simulateCmd, ["single", "--n", "2000", "--json"]);
    const out = JSON.parse(r.stdout);
    expect(out.k_crit).toBe(52);
    expect(out.rows[35].p_value.toFixed(3)).toBe("0.809");
  });

  it("rate --json shows the exact 4% detection probability next to the Monte Carlo", async () => {
    const r = await inProcess(simulateCmd, [
      "rate",
      "--rates",
      "0.02,0.04",
      "--samples",
      "1000",
      "--seed",
      "7",
      "--json",
    ]);
    const out = JSON.parse(r.stdout);
    expect(out.rates[1].exact).toBeCloseTo(0.5498957078603415, 13);
    expect(out.rates[1].detected).toBeGreaterThan(450);
    expect(out.rates[1].detected).toBeLessThan(650);
    const human = await inProcess(simulateCmd, ["rate", "--rates", "0.04"]);
    expect(human.stdout).toMatch(/4\.00%\s+0\.549896\s+\d+\/1000/);
  });

  it("exits 2 on a bad flag and on an unreadable file, as the installed command", async () => {
    const usage = await pocval(["simulate", "network", "--stakes", DEFAULT_6, "--rate", "2"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^pocval simulate: --rate must be <= 1/);
    const missing = await pocval(["simulate", "network", "--stakes", join(dir, "none.json"), "--rate", "0.1"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pocval simulate: --stakes .*none\.json: cannot read/);
  });

  it.each([
    [["network", "--rate", "0.04"], /--stakes/],
    [["network", "--stakes", DEFAULT_6, "--rate", "0.1", "--rounds", "0"], /--rounds must be >= 1/],
    [["network", "--stakes", DEFAULT_6, "--rate", "0.1", "--quorum", "x"], /--quorum must be a number/],
    [["network", "--stakes", DEFAULT_6, "--rate", "0.1", "--seed=-1"], /--seed must be >= 0/],
    [["rate", "--rates", "0.02,abc"], /--rates: entry 2/],
    [["rate", "--rates", "0.02", "--samples", "1.5"], /--samples must be an integer/],
    [["single"], /--n/],
    [["single", "--n", "10", "--bogus"], /bogus/],
    [["single", "--n", "10", "--fp-rate", "0"], /--fp-rate must be strictly between 0 and 1/],
    [["sweep"], /expected "single", "rate" or "network"/],
  ])("simulate %j is a usage error naming the flag", async (args, message) => {
    const r = await inProcess(simulateCmd, args as string[]);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.error!.message).toMatch(message as RegExp);
  });

  it("--plot writes the figure and leaves --json output one object", async () => {
    const png = join(dir, "network.png");
    const r = await inProcess(simulateCmd, [
      "network",
      "--stakes",
      DEFAULT_6,
      "--rate",
      "0.04",
      "--rounds",
      "2000",
      "--plot",
      png,
      "--json",
    ]);
    expect(r.error).toBeUndefined();
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(["exact", "monte_carlo"]);
    expect((await readFile(png)).subarray(1, 4).toString()).toBe("PNG");
    const bad = await inProcess(simulateCmd, ["single", "--n", "200", "--plot", join(dir, "p.txt")]);
    expect(bad.error?.message).toMatch(/--plot must name a \.svg or \.png file/);
    const rate = await inProcess(simulateCmd, ["rate", "--rates", "0.04", "--plot", png]);
    expect(rate.error).toBeInstanceOf(UsageError);
  });

  it("network --skip-curve --json: exact points in order of s, s* exact, and its plot", async () => {
    const svg = join(dir, "skip.svg");
    const r = await inProcess(simulateCmd, [
      "network",
      "--stakes",
      DEFAULT_6,
      "--skip-curve",
      "--slots",
      "9",
      "--n",
      "40",
      "--alpha",
      "0.01",
      "--plot",
      svg,
      "--json",
    ]);
    expect(r.error).toBeUndefined();
    const curve = JSON.parse(r.stdout);
    expect(Object.keys(curve)).toEqual(["validators", "n", "k_crit", "honest_rate", "slots", "points", "s_star"]);
    const s = curve.points.map((pt: { s: number }) => pt.s);
    expect(s.slice(0, 4)).toEqual([0.0005, 0.001, 0.0025, 0.005]);
    expect([...s].sort((a: number, b: number) => a - b)).toEqual(s);
    // s* pays and the next grid point does not (both among the points when s* > 0).
    if (curve.s_star > 0) {
      const at = curve.points.find((pt: { s: number }) => pt.s === curve.s_star);
      expect(at.p_convicted).toBeLessThan(curve.s_star);
    }
    expect(await readFile(svg, "utf8")).toContain("When skipping nonces pays");
  });

  it("names a stakes file that is not valid", async () => {
    const bad = join(dir, "stakes-bad.json");
    await writeFile(bad, JSON.stringify([10, -1]));
    const r = await inProcess(simulateCmd, ["network", "--stakes", bad, "--rate", "0.04"]);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.error!.message).toContain(`--stakes ${bad}: stakes[1]`);
  });
});

describe("pocval collect and calibrate", () => {
  it("collects from reference backends, then calibrates with --json and writes the report", async () => {
    const configFile = join(dir, "collect.json");
    await writeFile(
      configFile,
      JSON.stringify({
        model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
        seq_len: 1024,
        k_dim: 12,
        block_hash: "d1".repeat(32),
        public_key: "cli-key",
        block_height: 7,
        batch_size: 200,
        nonce_count: 600,
        servers: { h100: backends[0]!.url, b200: backends[1]!.url, int4: backends[2]!.url },
      }),
    );
    const data = join(dir, "data");
    const c = await pocval(["collect", "--config", configFile, "--out", data]);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/collect: h100 600\/600 nonces \(100%\)/);
    expect((await readdir(data)).sort()).toEqual(["b200.json", "config.json", "h100.json", "int4.json"]);
    // --continue keeps the finished files: nothing is collected again.
    const again = await pocval(["collect", "--config", configFile, "--out", data, "--continue"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`collect: ${join(data, "h100.json")} holds artifacts already; kept (--continue)`);
    expect(again.stderr).not.toMatch(/nonces \(/);

    const out = join(dir, "cal");
    const r = await pocval(["calibrate", "--data", data, "--out", out, "--json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual([
      "threshold",
      "policy",
      "percentile",
      "honest_servers",
      "cheater_servers",
      "honest_distances",
      "false_positives",
      "fp_rate",
      "fp_rate_upper",
      "identical_pairs",
      "pairs",
    ]);
    expect(json.honest_servers).toEqual(["b200", "h100"]);
    expect(json.percentile).toBe(98);
    // numpy's linear 98th percentile of 600 distances leaves 12 above it.
    expect(json.false_positives).toBe(12);
    expect(json.pairs.map((p: { cluster: string }) => p.cluster).sort()).toEqual(["cheater", "cheater", "honest"]);
    expect((await readdir(out)).filter((f) => f.endsWith(".png"))).toHaveLength(3);

    const human = await inProcess(calibrateCmd, [
      "--data",
      data,
      "--out",
      out,
      "--honest",
      "h100,int4",
      "--percentile",
      "95",
    ]);
    expect(human.error).toBeUndefined();
    expect(human.stdout).toMatch(/threshold \d\.\d+ \(policy pooled: 95th percentile of 600 pooled honest distances\)/);
    expect(human.stdout).toMatch(/int4 vs h100|h100 vs int4/);
  });

  it("warns about missing vectors and refuses a malformed file naming it", async () => {
    const data = join(dir, "partial");
    await rm(data, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(data));
    const vec = (x: number): number[] => [x, 0, 0];
    await writeFile(
      join(data, "a.json"),
      JSON.stringify({ server_name: "a", nonces: [0, 1, 2], vectors: [vec(0), vec(0.1), null] }),
    );
    await writeFile(
      join(data, "b.json"),
      JSON.stringify({
        server_name: "b",
        nonces: [0, 1],
        artifacts: [0, 1].map((n) => ({ nonce: n, vector_b64: vectorToBase64(vec(n)) })),
      }),
    );
    const ok = await pocval(["calibrate", "--data", data, "--json"]);
    expect(ok.code).toBe(0);
    // Warnings go to stderr, so --json output stays one object.
    expect(ok.stderr).toMatch(/warning: a \(a\.json\): 1 of 3 nonces have no vector/);
    expect(ok.stderr).toMatch(/warning: b \(b\.json\): its nonce list lacks 1 of the 3 nonces/);
    expect(JSON.parse(ok.stdout).pairs[0].n).toBe(2);

    await writeFile(join(data, "c.json"), JSON.stringify({ server_name: "c", nonces: "0,1" }));
    const bad = await inProcess(calibrateCmd, ["--data", data]);
    expect(bad.error).toBeInstanceOf(UsageError);
    expect(bad.error!.message).toMatch(/c\.json: nonces: /);
  });

  it.each([
    [calibrateCmd, [], UsageError, /--data/],
    [
      calibrateCmd,
      ["--data", "/nonexistent-pocval", "--percentile", "100"],
      UsageError,
      /--percentile must be strictly between/,
    ],
    [
      calibrateCmd,
      ["--data", "/nonexistent-pocval", "--honest", "a,,b"],
      UsageError,
      /--honest: expected server names/,
    ],
    [calibrateCmd, ["--data", "/nonexistent-pocval"], UsageError, /cannot read the data directory/],
    [collectCmd, ["--out", "x"], UsageError, /--config/],
    [collectCmd, ["--config", "/nonexistent-pocval.json"], UsageError, /--out/],
    [
      collectCmd,
      ["--config", "/nonexistent-pocval.json", "--out", "x"],
      UsageError,
      /--config \/nonexistent-pocval\.json/,
    ],
  ])("%# names the flag or file at fault", async (cmd, args, kind, message) => {
    const r = await inProcess(cmd as (argv: string[]) => Promise<void>, args as string[]);
    expect(r.error).toBeInstanceOf(kind);
    expect(r.error!.message).toMatch(message as RegExp);
  });

  it("names an unknown honest server and a config field at fault", async () => {
    const r = await inProcess(calibrateCmd, [
      "--data",
      join(dir, "data"),
      "--out",
      join(dir, "cal2"),
      "--honest",
      "h100,nosuch",
    ]);
    expect(r.error).toBeInstanceOf(UsageError);
    expect(r.error!.message).toMatch(/--honest: no server is named "nosuch"/);
    const cfg = join(dir, "bad-config.json");
    await writeFile(
      cfg,
      JSON.stringify({
        model: "m",
        seq_len: 1,
        k_dim: 12,
        block_hash: "xyz",
        public_key: "k",
        block_height: 1,
        batch_size: 0,
      }),
    );
    const c = await inProcess(collectCmd, ["--config", cfg, "--out", join(dir, "o")]);
    expect(c.error).toBeInstanceOf(UsageError);
    expect(c.error!.message).toMatch(/batch_size: Too small/);
  });

  it("calibrate --policy worst-pair --json on a folder written like the real tool's; refuses an unknown policy", async () => {
    const data = join(dir, "real");
    await mkdir(data);
    await writeRealFolder(data);
    const r = await pocval([
      "calibrate",
      "--data",
      data,
      "--policy",
      "worst-pair",
      "--out",
      join(dir, "real-cal"),
      "--json",
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.policy).toBe("worst-pair");
    // scipy: beta.ppf(0.95, 13, 587) for the worst honest pair (12 of 599).
    expect(Math.abs(json.fp_rate_upper - 0.03225664306779573)).toBeLessThan(1e-9);
    expect(json.cheater_servers).toEqual(["H200_GPTQ-INT4"]);
    expect(r.stderr).toMatch(
      /warning: H100_FP8_tp4_pp2_asdcdsc_test_nodesdcdcd\.json: server "H100_FP8_tp4_pp2" failed/,
    );
    const report = await readFile(join(dir, "real-cal", "report.md"), "utf8");
    expect(report).toContain("| threshold | 0.111720 | 0.116760 |");
    const bad = await inProcess(calibrateCmd, ["--data", data, "--policy", "median"]);
    expect(bad.error).toBeInstanceOf(UsageError);
    expect(bad.error!.message).toBe('--policy must be one of pooled, worst-pair, got "median"');
  });

  it("simulate network --validator-servers: exact per-class risk from a calibration file, with its plot", async () => {
    const cal = join(dir, "hw-calibration.json");
    await writeFile(
      cal,
      JSON.stringify({
        threshold: 0.178,
        policy: "pooled",
        fp_rate: 0.02,
        honest_servers: ["A", "B", "H"],
        pairs: [
          { a: "H", b: "B", n: 500, mismatches: 17, rate: 0.034 },
          { a: "H", b: "A", n: 500, mismatches: 12, rate: 0.024 },
          { a: "A", b: "B", n: 500, mismatches: 11, rate: 0.022 },
        ],
      }),
    );
    const servers = join(dir, "hw-servers.json");
    await writeFile(servers, JSON.stringify(["H", "H", "B", "A", "H", "B"]));
    const png = join(dir, "hw.png");
    const args = ["--stakes", DEFAULT_6, "--validator-servers", servers, "--calibration", cal];
    const r = await inProcess(simulateCmd, ["network", ...args, "--participant-server", "B", "--json", "--plot", png]);
    expect(r.error).toBeUndefined();
    const json = JSON.parse(r.stdout);
    // Exact enumeration of the 2^6 votes with scipy's binom.sf(7, 200, r) per validator.
    expect(Math.abs(json.exact.p_convicted - 0.14423452046933735)).toBeLessThan(1e-12);
    expect(json.per_validator_rate_max).toBe(0.034);
    expect(json.k_crit).toBe(8);
    expect(json.per_class.map((c: { server: string }) => c.server)).toEqual(["H", "B", "A"]);
    expect((await readFile(png)).subarray(1, 4).toString()).toBe("PNG");
    const bad = await inProcess(simulateCmd, ["network", ...args, "--participant-server", "Z"]);
    expect(bad.error).toBeInstanceOf(UsageError);
    expect(bad.error!.message).toMatch(/^--participant-server: "Z" is not a server of the calibration/);
  });
});
