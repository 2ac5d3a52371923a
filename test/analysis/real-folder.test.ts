import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CalibrationError,
  calibrate,
  calibrationJson,
  DatasetError,
  loadDataset,
  otherPolicy,
  renderReport,
  thresholdSvg,
} from "../../src/analysis/index.js";
import { FAILED_SERVER, writeRealFolder } from "./real-folder.js";

// Expected figures: numpy 2.4.6 / scipy 1.17.1 from test/analysis/real-folder.py
// (np.percentile, beta.ppf(0.95, k + 1, n - k), binomtest(k, n, p0, alternative="greater")).
const TOL = 1e-9;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocval-real-folder-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (a: string, b: string): string => [a, b].sort().join(" vs ");

describe("a folder as the real collect_data.py writes it", () => {
  it("reads multi-seed files with arbitrary seed strings, skips the error files by name, keeps extra keys", async () => {
    const errorFiles = await writeRealFolder(dir);
    const data = await loadDataset(dir);
    expect(data.config?.block_hashes).toEqual(["TEST_BLOCK_HsdcASH_123sdcsdc", "asdcdsc"]);
    expect((data.config as Record<string, unknown>).r_target).toBe(1.5);
    // Five servers x two seeds; the failed server is not among them.
    expect(data.servers).toHaveLength(10);
    expect(new Set(data.servers.map((s) => s.name)).has(FAILED_SERVER)).toBe(false);
    expect(data.failed.map((f) => f.name)).toEqual([FAILED_SERVER, FAILED_SERVER]);
    for (const f of errorFiles) {
      expect(data.warnings).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${f}: server "${FAILED_SERVER}" failed during collection \\(HTTPConnectionPool`),
        ),
      );
    }
    expect(data.warnings).toContainEqual(
      "B200_FP8 (B200_FP8_asdcdsc_test_nodesdcdcd.json): 1 of 300 nonces have no vector and are skipped",
    );
  });

  it("pairs servers within a seed, pools each pair over seeds, and matches numpy and scipy (pooled)", async () => {
    await writeRealFolder(dir);
    const c = calibrate((await loadDataset(dir)).servers);
    expect(c.policy).toBe("pooled");
    expect(c.threshold).toBeCloseTo(0.11172027383410492, 12);
    expect(c.honestDistances).toBe(3597);
    expect(c.falsePositives).toBe(72);
    expect(c.fpRate).toBeCloseTo(0.020016680567139282, 15);
    expect(c.honestServers).toEqual(["B200_FP8", "H100_FP8", "H200_FP8", "H200_FP8_FLASHINFER"]);
    expect(c.cheaterServers).toEqual(["H200_GPTQ-INT4"]);
    expect(c.identicalPairs.map(([a, b]) => key(a, b))).toEqual(["H100_FP8 vs H200_FP8"]);
    const p = new Map(c.pairs.map((x) => [key(x.a, x.b), x]));
    const expected: [string, number, number, number, number, number, number][] = [
      // pair, n, mean, std, mismatches, rate_upper, p_value (p0 = fp_rate)
      [
        "B200_FP8 vs H100_FP8",
        599,
        0.059025249139188246,
        0.028817149374534116,
        20,
        0.048149544978616114,
        0.019997676786675373,
      ],
      [
        "B200_FP8 vs H200_FP8_FLASHINFER",
        599,
        0.06038652298326336,
        0.0284551289974028,
        22,
        0.052031873764113085,
        0.005523340397814868,
      ],
      ["H100_FP8 vs H200_FP8", 600, 0, 0, 0, 0.004980443380361347, 1],
      [
        "H200_FP8 vs H200_FP8_FLASHINFER",
        600,
        0.050927213235612584,
        0.025465720123332494,
        5,
        0.017441325398446703,
        0.9928697894650891,
      ],
    ];
    for (const [name, n, mean, std, k, upper, pValue] of expected) {
      const x = p.get(name)!;
      expect(x.n).toBe(n);
      expect(Math.abs(x.mean - mean)).toBeLessThan(TOL);
      expect(Math.abs(x.std - std)).toBeLessThan(TOL);
      expect(x.mismatches).toBe(k);
      expect(x.rate).toBe(k / n);
      expect(Math.abs(x.rateUpper - upper)).toBeLessThan(TOL);
      expect(Math.abs(x.pValue - pValue)).toBeLessThan(TOL);
      expect(x.cluster).toBe("honest");
    }
    expect(p.get("H100_FP8 vs H200_FP8")!.identical).toBe(true);
    expect(p.get("B200_FP8 vs H200_FP8")!.seeds).toBe(2);
    expect(Math.abs(c.fpRateUpper - 0.052031873764113085)).toBeLessThan(TOL);
    const int4 = c.pairs.filter((x) => x.cluster === "cheater");
    expect(int4).toHaveLength(4);
    for (const x of int4) {
      expect(x.rate).toBe(1);
      expect(x.rateUpper).toBe(1);
      expect(x.pValue).toBeLessThan(1e-100);
    }
    // Three honest pairs (every B200 pair) sit significantly above the pooled rate.
    expect(c.warnings).toContainEqual(
      expect.stringMatching(/^the pooled threshold leaves 3 honest pair\(s\) significantly above the fp_rate 0\.0200/),
    );
  });

  it("--policy worst-pair: the largest honest pair percentile; no honest pair above 2%, fp_rate_upper from scipy", async () => {
    await writeRealFolder(dir);
    const c = calibrate((await loadDataset(dir)).servers, { policy: "worst-pair" });
    expect(c.threshold).toBeCloseTo(0.11675986018558278, 12);
    expect(c.falsePositives).toBe(38);
    expect(c.fpRate).toBeCloseTo(0.0105643591882124, 15);
    expect(Math.abs(c.fpRateUpper - 0.03225664306779573)).toBeLessThan(TOL);
    const p = new Map(c.pairs.map((x) => [key(x.a, x.b), x]));
    // p-values against the nominal 0.02 under worst-pair.
    expect(p.get("B200_FP8 vs H200_FP8_FLASHINFER")!.mismatches).toBe(12);
    expect(Math.abs(p.get("B200_FP8 vs H200_FP8_FLASHINFER")!.pValue - 0.5372490005972176)).toBeLessThan(TOL);
    expect(Math.abs(p.get("B200_FP8 vs H100_FP8")!.pValue - 0.7584992361151083)).toBeLessThan(TOL);
    expect(Math.abs(p.get("H200_FP8 vs H200_FP8_FLASHINFER")!.rateUpper - 0.012871648947422902)).toBeLessThan(TOL);
    expect(c.pairs.filter((x) => x.cluster === "honest").every((x) => x.rate <= 0.0201)).toBe(true);
    expect(c.warnings.some((w) => w.includes("significantly above"))).toBe(false);
    const json = calibrationJson(c);
    expect(json.policy).toBe("worst-pair");
    expect(json.identical_pairs).toEqual([["H100_FP8", "H200_FP8"]]);
  });

  it("report.md shows both policies side by side with the warning", async () => {
    await writeRealFolder(dir);
    const data = await loadDataset(dir);
    const md = renderReport(calibrate(data.servers), data);
    expect(md).toContain("## Pooled versus worst-pair");
    expect(md).toMatch(/\| threshold \| 0\.111720 \| 0\.116760 \|/);
    expect(md).toMatch(/\| fp_rate_upper \| 5\.20% \| 3\.23% \|/);
    expect(md).toContain("**Warning:** the pooled threshold leaves 3 honest pair(s) significantly above");
  });

  it("the threshold figure marks both policies' thresholds", async () => {
    await writeRealFolder(dir);
    const c = calibrate((await loadDataset(dir)).servers);
    const svg = thresholdSvg(c, otherPolicy(c));
    expect(svg).toContain("pooled threshold 0.1117 (fp_rate_upper 5.20%)");
    expect(svg).toContain("worst-pair 0.1168 (3.23%)");
  });
});

describe("bad input: a clear message naming the file, no crash", () => {
  it("a truncated JSON file", async () => {
    await writeRealFolder(dir);
    const file = join(dir, "B200_FP8_asdcdsc_test_nodesdcdcd.json");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
    const err = await loadDataset(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/B200_FP8_asdcdsc_test_nodesdcdcd\.json: not valid JSON/);
  });

  it("a server file whose nonces differ from the others of its seed", async () => {
    await writeRealFolder(dir);
    const file = join(dir, "H200_FP8_asdcdsc_test_nodesdcdcd.json");
    const value = JSON.parse(await readFile(file, "utf8"));
    value.nonces = value.nonces.map((n: number) => n + 1000);
    value.artifacts = value.artifacts.map((a: { nonce: number }) => ({ ...a, nonce: a.nonce + 1000 }));
    await writeFile(file, JSON.stringify(value));
    const data = await loadDataset(dir);
    expect(data.warnings).toContainEqual(
      expect.stringMatching(
        /^H200_FP8 \(H200_FP8_asdcdsc_test_nodesdcdcd\.json\): its nonce list lacks 300 of the 600/,
      ),
    );
    // H200_FP8 then pairs on the first seed only.
    const c = calibrate(data.servers);
    expect(c.pairs.find((x) => key(x.a, x.b) === "H100_FP8 vs H200_FP8")!.n).toBe(300);
  });

  it("a file whose vectors and nonces disagree in length", async () => {
    await writeRealFolder(dir);
    const file = join(dir, "H100_FP8_asdcdsc_test_nodesdcdcd.json");
    const value = JSON.parse(await readFile(file, "utf8"));
    value.vectors.pop();
    await writeFile(file, JSON.stringify(value));
    await expect(loadDataset(dir)).rejects.toThrow(
      /H100_FP8_asdcdsc_test_nodesdcdcd\.json: vectors: has 299 entries but nonces has 300/,
    );
  });

  it("a folder with only one server (the other failed)", async () => {
    await writeRealFolder(dir);
    for (const s of ["H200_FP8_FLASHINFER", "H100_FP8", "B200_FP8", "H200_GPTQ-INT4"]) {
      for (const bh of ["TEST_BLOCK_HsdcASH_123sdcsdc", "asdcdsc"])
        await rm(join(dir, `${s}_${bh}_test_nodesdcdcd.json`));
    }
    await expect(loadDataset(dir)).rejects.toThrow(
      /needs server files of at least two servers to compare, found 1 \(H200_FP8: H200_FP8_TEST_BLOCK_HsdcASH_123sdcsdc_test_nodesdcdcd\.json, H200_FP8_asdcdsc_test_nodesdcdcd\.json\); skipped error files: H100_FP8_tp4_pp2_/,
    );
  });

  it("a folder where every pair is identical", async () => {
    await writeRealFolder(dir);
    for (const s of ["H200_FP8_FLASHINFER", "B200_FP8", "H200_GPTQ-INT4"]) {
      for (const bh of ["TEST_BLOCK_HsdcASH_123sdcsdc", "asdcdsc"])
        await rm(join(dir, `${s}_${bh}_test_nodesdcdcd.json`));
    }
    const data = await loadDataset(dir);
    const err = (() => {
      try {
        calibrate(data.servers);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as Error).message).toMatch(
      /^data: every pair of servers is bit-identical \(distance 0 on every shared nonce\) in .*H100_FP8_TEST_BLOCK_HsdcASH_123sdcsdc_test_nodesdcdcd\.json/,
    );
  });
});
