import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { wilsonInterval } from "../../src/analysis/index.js";

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
