import { describe, expect, it } from "vitest";
import { SimulationInputError, simulateRate, simulateSingle, wilsonInterval } from "../../src/analysis/index.js";

// Expected values computed once with scipy 1.x (binom.sf, binomtest) and pasted here.
const P_35_OF_2000 = 0.8086979246461842;
const POWER_4PCT_N200 = 0.5498957078603415;
const FP_N200 = 0.049335054944824625;

describe("simulateSingle", () => {
  it("finds the report's critical count 8 for N = 200 at 2% and alpha 0.05", () => {
    const r = simulateSingle({ n: 200 });
    expect(r.kCrit).toBe(8);
    expect(r.rows[7]!.cheater).toBe(false);
    expect(r.rows[8]!.cheater).toBe(true);
    expect(r.rows[8]!.pValue).toBeCloseTo(FP_N200, 13);
    expect(r.rows[0]!.pValue).toBe(1);
  });

  it("reproduces the report's p-value of 35 mismatches in 2000 checks (0.809)", () => {
    const r = simulateSingle({ n: 2000 });
    const row = r.rows.find((x) => x.k === 35)!;
    expect(row.pValue).toBeCloseTo(P_35_OF_2000, 12);
    expect(row.pValue.toFixed(3)).toBe("0.809");
    expect(row.cheater).toBe(false);
    // scipy: the smallest k with p < 0.05 at N = 2000 is 52 (P[X >= 52] = 0.03721, P[X >= 51] = 0.05085).
    expect(r.kCrit).toBe(52);
  });

  it("p-values fall as k grows and the sweep honours kMax", () => {
    const r = simulateSingle({ n: 100, fpRate: 0.05, alpha: 0.01, kMax: 30 });
    expect(r.rows).toHaveLength(31);
    for (let k = 1; k < r.rows.length; k++) expect(r.rows[k]!.pValue).toBeLessThanOrEqual(r.rows[k - 1]!.pValue);
  });

  it("rejects inputs outside their domain naming the parameter", () => {
    expect(() => simulateSingle({ n: 0 })).toThrow(SimulationInputError);
    expect(() => simulateSingle({ n: 10, fpRate: 1 })).toThrow(/fpRate/);
    expect(() => simulateSingle({ n: 10, alpha: -1 })).toThrow(/alpha/);
  });
});

describe("simulateRate", () => {
  it("gives the exact detection probability at 4% and N = 200", () => {
    const r = simulateRate({ rates: [0.02, 0.04], samples: 200, seed: 3 });
    expect(r.kCrit).toBe(8);
    expect(r.rows[0]!.exact).toBeCloseTo(FP_N200, 13);
    expect(r.rows[1]!.exact).toBeCloseTo(POWER_4PCT_N200, 13);
  });

  it("is reproducible for a seed and differs between seeds", () => {
    const a = simulateRate({ rates: [0.04], seed: 11 });
    const b = simulateRate({ rates: [0.04], seed: 11 });
    const c = simulateRate({ rates: [0.04], seed: 12 });
    expect(b.rows[0]!.detected).toBe(a.rows[0]!.detected);
    expect(c.rows[0]!.detected).not.toBe(a.rows[0]!.detected);
  });

  it("covers the exact value with its 95% interval in about 95% of seeds", () => {
    let covered = 0;
    const seeds = 60;
    for (let seed = 100; seed < 100 + seeds; seed++) {
      const row = simulateRate({ rates: [0.04], samples: 1000, seed }).rows[0]!;
      if (row.ci95[0] <= row.exact && row.exact <= row.ci95[1]) covered++;
    }
    // Binomial(60, 0.95): below 52 has probability under 0.2%.
    expect(covered).toBeGreaterThanOrEqual(52);
  });

  it("mean simulated mismatch count is near n * rate", () => {
    const row = simulateRate({ rates: [0.1], n: 100, samples: 4000, seed: 5 }).rows[0]!;
    // sd of the mean: sqrt(100 * 0.1 * 0.9 / 4000) = 0.047.
    expect(Math.abs(row.meanMismatches - 10)).toBeLessThan(0.25);
  });

  it("documents why the report's 515/1000 sits just outside the interval around the exact 0.5499", () => {
    // The report's own Monte Carlo (515 of 1000) has a Wilson interval that just misses the
    // exact probability: a 2.2 standard-error draw (two-sided scipy binomtest p = 0.028).
    const [lo, hi] = wilsonInterval(515, 1000);
    expect(lo).toBeCloseTo(0.4840260675164032, 12);
    expect(hi).toBeCloseTo(0.5458591297290301, 12);
    expect(hi).toBeLessThan(POWER_4PCT_N200);
    const z = (0.515 - POWER_4PCT_N200) / Math.sqrt((POWER_4PCT_N200 * (1 - POWER_4PCT_N200)) / 1000);
    expect(z).toBeCloseTo(-2.22, 2);
  });

  it("rejects an empty rate list and rates outside [0, 1]", () => {
    expect(() => simulateRate({ rates: [] })).toThrow(/rates/);
    expect(() => simulateRate({ rates: [0.1, 1.5] })).toThrow(/rates\[1\]/);
  });
});
