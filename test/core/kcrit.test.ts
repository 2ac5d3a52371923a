import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  binomialPValue,
  binomialTailExact,
  criticalCount,
  DecimalFractionError,
  decimalFraction,
  kCrit,
  kCritTable,
} from "../../src/core/index.js";
import { KCRIT_GRID, KCRIT_TIES } from "./kcrit.reference.js";

/** a/b < c/d for non-negative fractions. */
const below = (x: { num: bigint; den: bigint }, y: { num: bigint; den: bigint }) => x.num * y.den < y.num * x.den;

describe("decimalFraction", () => {
  it("reads decimals exactly", () => {
    expect(decimalFraction("0.02")).toEqual({ num: 2n, den: 100n });
    expect(decimalFraction("5e-2")).toEqual({ num: 5n, den: 100n });
    expect(decimalFraction("1")).toEqual({ num: 1n, den: 1n });
    expect(decimalFraction("0.1E1")).toEqual({ num: 1n, den: 1n });
  });
  it("names the field and the value it refuses", () => {
    expect(() => decimalFraction("-0.1", "alpha")).toThrow(DecimalFractionError);
    expect(() => decimalFraction("1.5", "fp_rate")).toThrow(/fp_rate "1.5" .*at most 1/);
    expect(() => decimalFraction("0.0x", "alpha")).toThrow(/alpha/);
  });
});

describe("binomialTailExact", () => {
  it("sums to the known fractions", () => {
    expect(binomialTailExact(1, 2, "0.5")).toEqual({ num: 3n, den: 4n });
    expect(binomialTailExact(0, 5, "0.3")).toEqual({ num: 1n, den: 1n });
    expect(binomialTailExact(6, 5, "0.3")).toEqual({ num: 0n, den: 1n });
    // 1 - 0.7^3 = 0.657
    expect(binomialTailExact(1, 3, "0.3")).toEqual({ num: 657n, den: 1000n });
    expect(binomialTailExact(2, 2, "1")).toEqual({ num: 1n, den: 1n });
    expect(binomialTailExact(1, 3, "0")).toEqual({ num: 0n, den: 1n });
  });
  it("agrees with the float p-value to 1e-12 relative", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 999 }), (n, milli) => {
        const k = Math.floor(n * (milli / 1000)) + 1;
        const t = binomialTailExact(k, n, `0.${String(milli).padStart(3, "0")}`);
        const exact = Number((t.num * 10n ** 40n) / t.den) / 1e40;
        const float = binomialPValue(k, n, milli / 1000);
        if (float > 1e-30) expect(Math.abs(exact - float) / float).toBeLessThan(1e-9);
      }),
    );
  });
});

describe("kCrit", () => {
  it("is 8 for the report's design (n 200, fp 0.02, alpha 0.05)", () => {
    // scipy: binomtest(8, 200, 0.02, 'greater').pvalue = 0.049335..., binomtest(7, ...) = 0.108561...
    expect(kCrit(200, "0.02", "0.05")).toBe(8);
  });

  it("equals the smallest k with the scipy p-value below alpha on the reference grid", () => {
    for (const [n, fp, alpha, exact, scipy] of KCRIT_GRID) {
      expect(exact).toBe(scipy);
      expect(kCrit(n, fp, alpha), `n=${n} fp=${fp} alpha=${alpha}`).toBe(exact);
    }
  });

  it("decides near-ties exactly where the float p-value cannot", () => {
    let floatWrong = 0;
    for (const [n, fp, alpha, exact, scipy] of KCRIT_TIES) {
      expect(kCrit(n, fp, alpha), `n=${n} fp=${fp} alpha=${alpha}`).toBe(exact);
      if (exact !== scipy) floatWrong++;
    }
    // At exact ties and 1e-30 away the scipy float decides wrongly; 1e-11 away it is right.
    expect(floatWrong).toBe(57);
    expect(KCRIT_TIES.length).toBe(215);
  });

  it("is the boundary: P[X >= k_crit] < alpha <= P[X >= k_crit - 1] (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, fpMilli, alphaMilli) => {
          const fp = { num: BigInt(fpMilli), den: 1000n };
          const alpha = { num: BigInt(alphaMilli), den: 1000n };
          const k = kCrit(n, fp, alpha);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThanOrEqual(n + 1);
          if (k <= n) expect(below(binomialTailExact(k, n, fp), alpha)).toBe(true);
          if (k >= 1) expect(below(binomialTailExact(k - 1, n, fp), alpha)).toBe(false);
        },
      ),
    );
  });

  it("matches the float criticalCount away from ties (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 500 }),
        (n, fpMilli, alphaMilli) => {
          const k = kCrit(n, { num: BigInt(fpMilli), den: 1000n }, { num: BigInt(alphaMilli), den: 1000n });
          const f = criticalCount(n, fpMilli / 1000, alphaMilli / 1000);
          const nearTie = [k - 1, k].some(
            (j) => Math.abs(binomialPValue(j, n, fpMilli / 1000) - alphaMilli / 1000) < 1e-9,
          );
          if (!nearTie) expect(k).toBe(f);
        },
      ),
    );
  });

  it("tables every n from 0 and returns n + 1 when alpha is 0", () => {
    expect(kCritTable(3, "0.5", "0.2")).toEqual([1, 2, 3, 3]);
    expect(kCritTable(200, "0.02", "0.05")[200]).toBe(kCrit(200, "0.02", "0.05"));
    expect(kCrit(10, "0.02", "0")).toBe(11);
    expect(kCrit(10, "0", "0.05")).toBe(1);
    expect(kCrit(10, "1", "0.05")).toBe(11);
  });
});
