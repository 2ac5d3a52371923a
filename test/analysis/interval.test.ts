import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clopperPearsonUpper, wilsonInterval } from "../../src/analysis/index.js";
import { binomialPValue } from "../../src/core/index.js";

describe("wilsonInterval", () => {
  it("matches scipy's BinomTestResult.proportion_ci(method='wilson')", () => {
    const [lo, hi] = wilsonInterval(515, 1000);
    expect(lo).toBeCloseTo(0.4840260675164032, 13);
    expect(hi).toBeCloseTo(0.5458591297290301, 13);
    const [lo0, hi0] = wilsonInterval(0, 100_000);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(3.841311258303963e-5, 15);
    const [lo1, hi1] = wilsonInterval(73563, 100_000);
    expect(lo1).toBeCloseTo(0.7328877076823941, 13);
    expect(hi1).toBeCloseTo(0.7383541897541701, 13);
  });

  it("always holds the observed proportion and stays inside [0, 1]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.floor(f * n);
        const [lo, hi] = wilsonInterval(k, n);
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(k / n + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(k / n - 1e-12);
      }),
    );
  });

  it("refuses counts outside [0, trials]", () => {
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 0)).toThrow(RangeError);
  });
});

describe("clopperPearsonUpper", () => {
  // scipy 1.17.1: beta.ppf(conf, k + 1, n - k).
  const cases: [number, number, number, number][] = [
    [17, 500, 0.050564041188113786, 0.057897711912976144],
    [0, 500, 0.005973551516349557, 0.009168055107232424],
    [12, 500, 0.038595578839896755, 0.04514856935475339],
    [1, 10, 0.39416330243650466, 0.5043526629308013],
    [3, 200, 0.03830970849856934, 0.04934831134867484],
    [99, 100, 0.9994871985837377, 0.9998995016917583],
    [372, 500, 0.775968810400504, 0.7883017405858711],
    [5, 100000, 0.0001051274511724034, 0.00013107952211407976],
  ];
  it("matches scipy's beta.ppf to 1e-9 relative", () => {
    for (const [k, n, u95, u99] of cases) {
      expect(Math.abs(clopperPearsonUpper(k, n) - u95) / u95).toBeLessThan(1e-9);
      expect(Math.abs(clopperPearsonUpper(k, n, 0.99) - u99) / u99).toBeLessThan(1e-9);
    }
    expect(clopperPearsonUpper(10, 10)).toBe(1);
    expect(() => clopperPearsonUpper(11, 10)).toThrow(RangeError);
  });

  it("is where P[X <= k] falls to 1 - confidence, and rises with k", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.min(n - 1, Math.floor(f * n));
        const u = clopperPearsonUpper(k, n);
        expect(u).toBeGreaterThanOrEqual(k / n);
        expect(Math.abs(binomialPValue(k + 1, n, u) - 0.95)).toBeLessThan(1e-9);
        if (k + 1 < n) expect(clopperPearsonUpper(k + 1, n)).toBeGreaterThan(u);
      }),
      { numRuns: 200 },
    );
  });
});
