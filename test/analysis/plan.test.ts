// The planner v2 (src/analysis/plan.ts): its best design equals brute force over a fine grid on a small
// stake set, every figure it reports is exact, and the curtailed cost DP equals enumeration.
import { describe, expect, it } from "vitest";
import {
  type Coalition,
  convictionFromFlagging,
  exactWeights,
  flaggingStakeDistribution,
} from "../../src/analysis/coalition.js";
import { alphaFor, expectedCurtailedChecks, planDesigns } from "../../src/analysis/plan.js";
import { skipRate } from "../../src/analysis/skip.js";
import { expectedHolders } from "../../src/analysis/slots.js";
import { binomialPValue, kCrit } from "../../src/core/index.js";

/** E[checked] by enumerating all 2^n mismatch sequences, stopping at chunk boundaries as the protocol says. */
function bruteForceChecks(n: number, k: number, rate: number, chunk: number): number {
  let expected = 0;
  for (let code = 0; code < 1 << n; code++) {
    let p = 1;
    for (let i = 0; i < n; i++) p *= code & (1 << i) ? rate : 1 - rate;
    let checked = 0;
    let mismatches = 0;
    while (checked < n && mismatches < k && mismatches + (n - checked) >= k) {
      const end = Math.min(n, checked + chunk);
      for (; checked < end; checked++) if (code & (1 << checked)) mismatches++;
    }
    expected += p * checked;
  }
  return expected;
}

describe("expectedCurtailedChecks", () => {
  it.each([
    [10, 3, 0.2, 1],
    [10, 3, 0.2, 4],
    [12, 2, 0.05, 3],
    [12, 6, 0.5, 5],
    [9, 9, 0.3, 2],
  ])("equals brute-force enumeration (n %i, k %i, rate %f, chunk %i)", (n, k, rate, chunk) => {
    expect(expectedCurtailedChecks(n, k, rate, chunk)).toBeCloseTo(bruteForceChecks(n, k, rate, chunk), 12);
  });
  it("checks nothing when k_crit exceeds n (never CHEATER)", () => {
    expect(expectedCurtailedChecks(5, 6, 0.5, 1)).toBe(0);
  });
});

const STAKES = [60n, 41n, 33n, 27n, 22n, 19n, 17n, 15n, 13n, 12n, 11n, 10n, 9n, 8n, 7n, 6n, 5n, 4n, 3n, 2n];
const SLOTS = [0, ...Array.from({ length: 17 }, (_, i) => i + 8)];
const NS = Array.from({ length: 71 }, (_, i) => i + 10);

interface Bounds {
  r0: number;
  maxFalse: number;
  maxSkip: number;
  frame?: { coalition: Coalition; max: number };
}

/** Every (m, n, k) of the grid with exact figures: the cheapest meeting every bound (curtailed honest cost). */
function bruteForceBest(b: Bounds) {
  const { weights, total } = exactWeights(STAKES);
  const conviction = (q: number, m: number, coalition?: Coalition) =>
    convictionFromFlagging(flaggingStakeDistribution(weights, q), total, { slots: m, coalition });
  let best: { m: number; n: number; k: number; cost: number } | null = null;
  for (const m of SLOTS) {
    for (const n of NS) {
      for (let k = 1; k <= n; k++) {
        const q0 = binomialPValue(k, n, b.r0);
        if (conviction(q0, m) > b.maxFalse) continue;
        if (b.frame && conviction(q0, m, b.frame.coalition) > b.frame.max) continue;
        let pays = false;
        for (let i = Math.round(b.maxSkip * 2000) + 1; i <= 1000 && !pays; i++) {
          const p = conviction(binomialPValue(k, n, skipRate(b.r0, i / 2000)), m);
          pays = p < i / 2000;
          if (p >= 0.5) break; // P grows with s and s <= 0.5: no larger s pays
        }
        if (pays) break; // a larger k flags less: skipping pays there too
        const cost = expectedHolders(STAKES, m) * expectedCurtailedChecks(n, k, b.r0, 20);
        if (best === null || cost < best.cost) best = { m, n, k, cost };
      }
    }
  }
  return best;
}

describe("planDesigns", () => {
  it.each([
    { r0: 0.05, maxFalse: 1e-4, maxSkip: 0.05 },
    {
      r0: 0.05,
      maxFalse: 1e-4,
      maxSkip: 0.08,
      frame: { coalition: { share: { num: 1n, den: 4n }, goal: "frame" } as Coalition, max: 1e-2 },
    },
  ])("its best equals brute force over every (slots, n, k) of a fine grid on 20 validators (%o)", (b) => {
    const expected = bruteForceBest(b);
    const plan = planDesigns({
      stakes: STAKES,
      honestRate: String(b.r0),
      maxFalseConviction: b.maxFalse,
      maxProfitableSkip: b.maxSkip,
      byzantineStake: b.frame?.coalition.share,
      maxFrame: b.frame?.max,
      slots: SLOTS,
      sampleSizes: NS,
      frontSkips: [],
      tierUnits: [32, 64],
    });
    expect(expected).not.toBeNull();
    const best = plan.best!;
    expect({ m: best.slots, n: best.n, k: best.k_crit }).toEqual({ m: expected!.m, n: expected!.n, k: expected!.k });
    expect(best.curtailed_recomputes_honest).toBeCloseTo(expected!.cost, 9);
    // Its reported figures are exact and meet the bounds.
    expect(best.p_false_conviction).toBeLessThanOrEqual(b.maxFalse);
    expect(best.s_star).toBeLessThanOrEqual(b.maxSkip);
    if (b.frame) expect(best.p_frame).toBeLessThanOrEqual(b.frame.max);
    expect(kCrit(best.n, String(b.r0), best.alpha)).toBe(best.k_crit);
  });

  it("alphaFor gives a short decimal whose exact k_crit is k", () => {
    expect(kCrit(200, "0.02", alphaFor(200, 8, "0.02"))).toBe(8);
    expect(alphaFor(200, 8, "0.02").length).toBeLessThanOrEqual(6);
    expect(kCrit(93, "0.02", alphaFor(93, 5, "0.02"))).toBe(5);
  });
});
