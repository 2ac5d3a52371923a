import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cheaterSlotDistribution,
  cheaterSlotDistributionExact,
  expectedHolders,
  slotConviction,
} from "../../src/analysis/slots.js";

/**
 * Brute force, independent of the DP: every ordered slot draw (V^m, each with probability prod s/T)
 * and every vote pattern (2^V), summed as exact fractions over T^m * qd^V.
 */
function bruteForce(stakes: bigint[], m: number, qn: bigint, qd: bigint): bigint[] {
  const V = stakes.length;
  const out = new Array<bigint>(m + 1).fill(0n);
  const draw = new Array<number>(m).fill(0);
  for (let code = 0; code < V ** m; code++) {
    let x = code;
    let weight = 1n;
    for (let j = 0; j < m; j++) {
      draw[j] = x % V;
      x = Math.floor(x / V);
      weight *= stakes[draw[j]!]!;
    }
    for (let votes = 0; votes < 1 << V; votes++) {
      let w = weight;
      for (let i = 0; i < V; i++) w *= votes & (1 << i) ? qn : qd - qn;
      let cheater = 0;
      for (const v of draw) if (votes & (1 << v)) cheater++;
      out[cheater]! += w;
    }
  }
  return out;
}

describe("cheater slot distribution", () => {
  it("equals brute-force enumeration exactly on small networks (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 7 }),
        (raw, m, qn) => {
          const stakes: bigint[] = raw.map((s) => BigInt(s));
          if (!stakes.some((s) => s > 0n)) stakes[0] = 1n;
          const q = { num: BigInt(qn), den: 7n };
          const exact = cheaterSlotDistributionExact(stakes, m, q);
          const total = stakes.reduce((a, b) => a + b, 0n);
          expect(exact.den).toBe(total ** BigInt(m) * 7n ** BigInt(stakes.length));
          expect(exact.num).toEqual(bruteForce(stakes, m, q.num, q.den));
          // The float DP to 1e-12 of the exact fractions, for every m up to 5 in one pass.
          const rows = cheaterSlotDistribution(stakes, 5, qn / 7);
          rows[m]!.forEach((p, c) => {
            expect(p).toBeCloseTo(Number((exact.num[c]! * 10n ** 18n) / exact.den) / 1e18, 12);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("gives a single validator every slot and the v1 rule with one slot", () => {
    expect([...cheaterSlotDistribution([5], 3, 0.3)[3]!]).toEqual([0.7, 0, 0, 0.3]);
    // m = 1: convicted iff the one holder, drawn by stake, votes cheater: P = q.
    expect(slotConviction(cheaterSlotDistribution([1, 2, 3], 1, 0.25)[1]!)).toBeCloseTo(0.25, 15);
  });

  it("applies the quorum strictly: 2 of 4 slots is not a majority", () => {
    const row = Float64Array.from([0, 0, 1, 0, 0]);
    expect(slotConviction(row)).toBe(0);
    expect(slotConviction(Float64Array.from([0, 0, 0, 1, 0]))).toBe(1);
    expect(slotConviction(row, { num: 1n, den: 3n })).toBe(1);
  });

  it("counts expected distinct holders: V for m = 0, 1 for m = 1, sum 1 - (1 - p)^m", () => {
    expect(expectedHolders([3n, 1n], 0)).toBe(2);
    expect(expectedHolders([3n, 1n], 1)).toBeCloseTo(1, 15);
    // 1 - 0.25^2 + 1 - 0.75^2 = 0.9375 + 0.4375
    expect(expectedHolders([3n, 1n], 2)).toBeCloseTo(1.375, 15);
  });
});
