// The coalition model and the network conviction formula (src/analysis/coalition.ts) against brute
// force over slot assignments and against scipy values written as literals.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  binomialTailAt,
  boundedConviction,
  type Coalition,
  coarseWeights,
  convictionFromFlagging,
  exactConviction,
  exactWeights,
  flaggingStakeDistribution,
} from "../../src/analysis/coalition.js";
import { loadStakes } from "../../src/analysis/stakes.js";
import { binomialPValue } from "../../src/core/index.js";

/**
 * Independent of the formula: the coalition is one more validator; every ordered draw of m slots by
 * stake and every flag pattern of the honest validators, summed as exact fractions.
 */
function bruteForce(stakes: bigint[], m: number, qn: bigint, qd: bigint, coalition?: Coalition): number {
  const T = stakes.reduce((a, b) => a + b, 0n);
  const a = coalition?.share.num ?? 0n;
  const b = coalition?.share.den ?? 1n;
  const all = [...stakes.map((s) => s * (b - a)), ...(coalition ? [a * T] : [])];
  const V = all.length;
  const H = stakes.length;
  let num = 0n;
  const den = (b * T) ** BigInt(m) * qd ** BigInt(H);
  for (let code = 0; code < V ** m; code++) {
    let x = code;
    let weight = 1n;
    const held = new Array<number>(V).fill(0);
    for (let j = 0; j < m; j++) {
      const v = x % V;
      x = Math.floor(x / V);
      weight *= all[v]!;
      held[v]!++;
    }
    for (let flags = 0; flags < 1 << H; flags++) {
      let w = weight;
      let cheater = coalition?.goal === "frame" ? (held[H] ?? 0) : 0;
      for (let i = 0; i < H; i++) {
        const flag = (flags & (1 << i)) !== 0;
        w *= flag ? qn : qd - qn;
        if (flag) cheater += held[i]!;
      }
      if (2 * cheater > m) num += w;
    }
  }
  return Number((num * 10n ** 18n) / den) / 1e18;
}

const third: Coalition = { share: { num: 1n, den: 3n }, goal: "frame" };

describe("network conviction with a coalition", () => {
  it("equals brute-force enumeration of slot assignments (fast-check, frame and shield)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom(undefined, third, { share: { num: 1n, den: 4n }, goal: "shield" } as Coalition),
        (raw, m, qn, coalition) => {
          const stakes = raw.map((s) => BigInt(s));
          const expected = bruteForce(stakes, m, BigInt(qn), 7n, coalition);
          expect(exactConviction(stakes, qn / 7, { slots: m, coalition })).toBeCloseTo(expected, 12);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("matches scipy on stakes 5/3/2 with q = 0.3", () => {
    const stakes = [5n, 3n, 2n];
    const quarter = { num: 1n, den: 4n };
    // scipy.stats.binom.sf over the 8 flag sets (literals from Python).
    expect(exactConviction(stakes, 0.3, { slots: 0 })).toBeCloseTo(0.153, 14);
    expect(exactConviction(stakes, 0.3, { slots: 4 })).toBeCloseTo(0.20159400000000002, 14);
    expect(exactConviction(stakes, 0.3, { slots: 0, coalition: { share: quarter, goal: "frame" } })).toBeCloseTo(
      0.363,
      14,
    );
    expect(exactConviction(stakes, 0.3, { slots: 4, coalition: { share: quarter, goal: "frame" } })).toBeCloseTo(
      0.3254959140625,
      14,
    );
    expect(exactConviction(stakes, 0.3, { slots: 5, coalition: third })).toBeCloseTo(0.5330540246913581, 14);
    expect(exactConviction(stakes, 0.3, { slots: 4, coalition: { share: quarter, goal: "shield" } })).toBeCloseTo(
      0.11114528906250001,
      14,
    );
    expect(exactConviction(stakes, 0.3, { slots: 0, coalition: { share: third.share, goal: "shield" } })).toBeCloseTo(
      0.09,
      14,
    );
  });

  it("a third of the stake frames an honest participant on the 377 preset with 48 slots: P[Binomial(48, 1/3) > 24]", async () => {
    const stakes = await loadStakes("localnet/stakes/377-heavy-tailed.json");
    const { weights, total } = exactWeights(stakes);
    const never = flaggingStakeDistribution(weights, 0);
    // scipy.stats.binom.sf(24, 48, 1/3)
    expect(convictionFromFlagging(never, total, { slots: 48, coalition: third }) / 0.0056116077241192).toBeCloseTo(
      1,
      12,
    );
    expect(convictionFromFlagging(never, total, { slots: 0, coalition: third })).toBe(0);
  });

  it("coarse grids bound the exact figure from both sides", async () => {
    const stakes = await loadStakes("localnet/stakes/377-heavy-tailed.json");
    const exact = exactConviction(stakes, 0.05, { slots: 24 });
    const [lo, hi] = boundedConviction(coarseWeights(stakes, 4096), 0.05, { slots: 24 });
    expect(lo).toBeLessThanOrEqual(exact);
    expect(hi).toBeGreaterThanOrEqual(exact);
    expect(hi).toBeGreaterThan(lo);
  });
});

describe("binomialTailAt", () => {
  it("agrees with binomialPValue on both sides of the mean", () => {
    for (const [m, cut] of [
      [1, 1],
      [48, 25],
      [1024, 513],
      [7, 4],
    ] as const) {
      const tail = binomialTailAt(m, cut);
      for (const p of [1e-9, 0.01, 0.3, 0.49, 0.5, 0.51, 0.8, 0.999999]) {
        const expected = binomialPValue(cut, m, p);
        if (expected === 0) expect(tail(p)).toBe(0);
        else expect(tail(p) / expected).toBeCloseTo(1, 10);
      }
    }
  });
});
