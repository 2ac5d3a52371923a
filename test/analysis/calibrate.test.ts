import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CalibrationError, calibrate, calibrationJson, pairDistances, splitByGap } from "../../src/analysis/index.js";

const N = 100;
const a = (n: number): number => (n % 10) / 100;
const b = (n: number): number => ((n * 7) % 13) / 100;
function server(name: string, f: (n: number) => number[]): { name: string; vectors: Map<number, Float64Array> } {
  return { name, vectors: new Map(Array.from({ length: N }, (_, n) => [n, Float64Array.from(f(n))])) };
}
// Three honest machines whose distances are a_n, b_n and sqrt(a_n^2 + b_n^2); one far away.
const h1 = server("h1", () => [0, 0]);
const h2 = server("h2", (n) => [a(n), 0]);
const h3 = server("h3", (n) => [0, b(n)]);
const cheat = server("cheat", (n) => [5 + a(n), 5]);

describe("calibrate", () => {
  it("splits clusters at the largest gap and takes numpy's 98th percentile of honest distances", () => {
    const c = calibrate([h1, h2, h3, cheat]);
    // numpy: np.percentile(pooled, 98) over the three honest pairs' 300 distances.
    expect(c.threshold).toBeCloseTo(0.13045964871497162, 12);
    expect(c.honestServers).toEqual(["h1", "h2", "h3"]);
    expect(c.honestDistances).toBe(300);
    expect(c.falsePositives).toBe(6);
    expect(c.fpRate).toBeCloseTo(0.02, 15);
    expect(c.split.method).toBe("gap");
    const byName = new Map(c.pairs.map((p) => [`${p.a}-${p.b}`, p]));
    expect(byName.get("h1-h2")).toMatchObject({ n: 100, mismatches: 0, cluster: "honest", pValue: 1 });
    expect(byName.get("h1-h2")!.mean).toBeCloseTo(0.045, 14);
    expect(byName.get("h1-h2")!.std).toBeCloseTo(0.028722813232690145, 14);
    expect(byName.get("h1-h3")!.max).toBeCloseTo(0.12, 14);
    // scipy.stats.binomtest(6, 100, 0.02, alternative="greater").pvalue
    expect(byName.get("h2-h3")!.pValue).toBeCloseTo(0.015483640641779385, 13);
    const cheaterPairs = c.pairs.filter((p) => p.cluster === "cheater");
    expect(cheaterPairs.map((p) => `${p.a}-${p.b}`).sort()).toEqual(["h1-cheat", "h2-cheat", "h3-cheat"]);
    for (const p of cheaterPairs) {
      expect(p.mismatches).toBe(100);
      expect(p.pValue).toBeLessThan(1e-100);
    }
  });

  it("uses the named honest servers instead of the gap", () => {
    const c = calibrate([h1, h2, h3, cheat], { honest: ["h1", "h2"], percentile: 90 });
    expect(c.split).toEqual({ method: "named", honest: ["h1", "h2"] });
    expect(c.honestDistances).toBe(100);
    expect(c.pairs.filter((p) => p.cluster === "honest").map((p) => `${p.a}-${p.b}`)).toEqual(["h1-h2"]);
    // np.percentile([(n % 10) / 100 for n in range(100)], 90) = 0.08100000000000009 (numpy).
    expect(c.threshold).toBe(0.08100000000000009);
    expect(c.nominalFpRate).toBeCloseTo(0.1, 15);
  });

  it("keeps every pair honest when no gap is large enough", () => {
    const c = calibrate([h1, h2, h3]);
    expect(c.split.method).toBe("none");
    expect(c.pairs.every((p) => p.cluster === "honest")).toBe(true);
    expect(c.warnings.join()).toMatch(/no cluster split/);
  });

  it("compares only shared nonces and leaves out pairs with none", () => {
    const partial = { name: "partial", vectors: new Map([[3, Float64Array.from([1, 0])]]) };
    const disjoint = { name: "disjoint", vectors: new Map([[1000, Float64Array.from([0, 0])]]) };
    const c = calibrate([h1, h2, partial, disjoint], { honest: ["h1", "h2", "partial"] });
    expect(c.pairs.find((p) => p.a === "h1" && p.b === "partial")).toMatchObject({ n: 1, mean: 1 });
    expect(c.pairs.some((p) => p.b === "disjoint" || p.a === "disjoint")).toBe(false);
    expect(c.warnings.filter((w) => w.includes("disjoint"))).toHaveLength(3);
  });

  it("leaves out pairs that share no seed (block_hash and public_key)", () => {
    const c = calibrate(
      [
        { ...h1, inputs: "aa/key" },
        { ...h2, inputs: "aa/key" },
        { ...h3, inputs: "bb/key" },
      ],
      { honest: ["h1", "h2", "h3"] },
    );
    expect(c.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(["h1-h2"]);
    expect(c.warnings).toEqual([
      "h1 vs h3: no seed (block_hash/public_key) in common; pair left out",
      "h2 vs h3: no seed (block_hash/public_key) in common; pair left out",
    ]);
  });

  it("refuses an unknown honest server and a percentile outside (0, 100), naming the option", () => {
    expect(() => calibrate([h1, h2], { honest: ["h9"] })).toThrow(CalibrationError);
    expect(() => calibrate([h1, h2], { honest: ["h9"] })).toThrow(/honest: no server is named "h9"/);
    expect(() => calibrate([h1, h2], { percentile: 100 })).toThrow(/percentile/);
    expect(() => calibrate([h1, cheat], { honest: ["h1"] })).toThrow(/no pair of two honest servers/);
  });

  it("prints exactly docs/cli.md's JSON keys", () => {
    const json = calibrationJson(calibrate([h1, h2, h3, cheat]));
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
    expect(Object.keys(json.pairs[0]!)).toEqual([
      "a",
      "b",
      "n",
      "mean",
      "std",
      "max",
      "mismatches",
      "rate",
      "rate_upper",
      "p_value",
      "cluster",
      "identical",
    ]);
  });
});

describe("splitByGap", () => {
  it("cuts the report's pair means between FP8/INT4-alike pairs and mixed pairs", () => {
    const means = [0.241144, 0.243977, 0.059914, 0.244649, 0.070354, 0.241756, 0.070842, 0.244396, 0.07715, 0.245051];
    const { clusters, split } = splitByGap(means);
    expect(clusters.filter((c) => c === "honest")).toHaveLength(4);
    expect(split).toEqual({ method: "gap", below: 0.07715, above: 0.241144 });
  });

  it("puts every mean at or below the cut in the honest cluster", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 2, maxLength: 30 }), (means) => {
        const { clusters, split } = splitByGap(means);
        if (split.method !== "gap") return;
        expect(clusters).toEqual(means.map((m) => (m <= split.below ? "honest" : "cheater")));
        expect(split.above).toBeGreaterThanOrEqual(split.below * 1.5);
      }),
    );
  });
});

describe("pairDistances", () => {
  it("is symmetric and zero against itself", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 20,
        }),
        (rows) => {
          const m1 = new Map(rows.map((r, i) => [i, Float64Array.from(r)]));
          const m2 = new Map(rows.map((r, i) => [i, Float64Array.from(r, (x) => -x)]));
          expect(Array.from(pairDistances(m1, m1))).toEqual(rows.map(() => 0));
          expect(Array.from(pairDistances(m1, m2))).toEqual(Array.from(pairDistances(m2, m1)));
        },
      ),
    );
  });
});
