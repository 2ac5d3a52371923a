import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binomialPValue, criticalCount, detectionPower, percentile } from "../../src/core/index.js";

// scipy.stats.binomtest(k, n, p, alternative="greater").pvalue, computed with scipy 1.17.1.
const SCIPY: [number, number, number, number][] = [
  [0, 10, 0.3, 1.0],
  [1, 1, 0.5, 0.5],
  [35, 2000, 0.02, 0.8086979246461842],
  [8, 200, 0.02, 0.049335054944824625],
  [7, 200, 0.02, 0.10856194692692268],
  [9, 200, 0.04, 0.40743327357998743],
  [50, 200, 0.02, 2.6252421230200615e-39],
  [100, 200, 0.02, 1.553638950288405e-112],
  [3, 10, 0.5, 0.9453125],
  [2500, 100000, 0.02, 8.158660045167486e-28],
  [2100, 100000, 0.02, 0.012768717508373975],
  [1900, 100000, 0.02, 0.9888565927925386],
  [25000, 1000000, 0.02, 1.8640745182162078e-259],
  [20500, 1000000, 0.02, 0.0001892794225282155],
  [19000, 1000000, 0.02, 0.9999999999997096],
  [21500, 1000000, 0.02, 1.754770653894691e-26],
  [500, 1000000, 0.0001, 3.5163863539195767e-178],
  [150, 1000000, 0.0001, 1.8818188601003873e-6],
  [60, 200, 0.02, 5.033422833148812e-52],
  [120, 500, 0.02, 1.2715315544370849e-89],
  [1000, 1000, 0.5, 9.332636185032189e-302],
  [600, 1000, 0.5, 1.3642320780329735e-10],
  [5, 1000000, 1e-7, 7.667728168386655e-8],
  [2, 1000000, 1e-9, 4.996662926325905e-7],
  [99, 100, 0.01, 9.90100000000002e-197],
];

describe("binomialPValue", () => {
  it.each(SCIPY)("P[X >= %i], n=%i, p=%f equals scipy to 1e-9 relative", (k, n, p, expected) => {
    const got = binomialPValue(k, n, p);
    expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-9 * expected);
  });

  it("gives the report's 35 of 2000 at 2% as 0.809", () => {
    expect(binomialPValue(35, 2000, 0.02).toFixed(3)).toBe("0.809");
  });

  it("handles the edges", () => {
    expect(binomialPValue(0, 0, 0.5)).toBe(1);
    expect(binomialPValue(5, 4, 0.5)).toBe(0);
    expect(binomialPValue(1, 10, 0)).toBe(0);
    expect(binomialPValue(10, 10, 1)).toBe(1);
    expect(binomialPValue(200, 200, 0.02)).toBe(0); // 0.02^200 underflows, as in scipy
    expect(() => binomialPValue(1, 10, 1.5)).toThrow(/p must be in/);
    expect(() => binomialPValue(1.5, 10, 0.5)).toThrow(/k must be an integer/);
  });

  it("is non-increasing in k and sums to pmf consistently", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (n, p) => {
        let prev = 1;
        for (let k = 0; k <= Math.min(n, 60); k++) {
          const v = binomialPValue(k, n, p);
          expect(v).toBeLessThanOrEqual(prev + 1e-12);
          expect(v).toBeGreaterThanOrEqual(0);
          prev = v;
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("criticalCount and detectionPower", () => {
  it("finds the report's decision rule at N=200", () => {
    expect(criticalCount(200, 0.02, 0.05)).toBe(8);
    const power = detectionPower(200, 0.02, 0.05, 0.04);
    expect(power.kCrit).toBe(8);
    expect(power.falsePositiveRate).toBeCloseTo(0.049335054944824625, 12);
    // P[X >= 8], X ~ Binomial(200, 0.04), from scipy: binom.sf(7, 200, 0.04).
    expect(power.power).toBeCloseTo(0.5498957078603384, 9);
  });

  it("is the smallest k whose p-value is below alpha", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0.001, max: 0.2, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.2, noNaN: true }),
        (n, fp, alpha) => {
          const k = criticalCount(n, fp, alpha);
          if (k <= n) expect(binomialPValue(k, n, fp)).toBeLessThan(alpha);
          if (k > 0) expect(binomialPValue(k - 1, n, fp)).toBeGreaterThanOrEqual(alpha);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("percentile (numpy linear)", () => {
  const values = [0.3, 0.1, 0.7, 0.25, 0.9, 0.05, 0.6];
  it.each([
    [0, 0.05],
    [10, 0.08000000000000002],
    [33.3, 0.24969999999999998],
    [50, 0.3],
    [75, 0.6499999999999999],
    [98, 0.876],
    [100, 0.9],
  ])("q=%f gives numpy's %f exactly", (q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });

  it("refuses an empty list and q outside [0, 100]", () => {
    expect(() => percentile([], 50)).toThrow(/empty/);
    expect(() => percentile([1], 101)).toThrow(/q must be/);
  });
});
