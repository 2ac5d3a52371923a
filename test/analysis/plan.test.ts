// The planner v2 (src/analysis/plan.ts): its best design equals brute force over a fine grid on a small
// stake set, every figure it reports is exact, and the curtailed cost DP equals enumeration.
import { describe, expect, it } from "vitest";
import {
  type Coalition,
  convictionFromFlagging,
  exactWeights,
  flaggingStakeDistribution,
} from "../../src/analysis/coalition.js";
import { earlyCheck } from "../../src/analysis/early.js";
import { acceptanceGrid, alphaFor, expectedCurtailedChecks, planDesigns } from "../../src/analysis/plan.js";
import { earlyFamily } from "../../src/analysis/plan-family.js";
import { skipRate } from "../../src/analysis/skip.js";
import { expectedHolders } from "../../src/analysis/slots.js";
import { acceptanceTable, binomialPValue, kCrit } from "../../src/core/index.js";

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

/** P[CHEATER] and an honest participant's expected leaves: the curtailed check, or earlyCheck at lambda. */
function checkOf(lambda: string | null, r0: number, chunk: number) {
  if (lambda === null) {
    return {
      flag: (n: number, k: number, rate: number) => binomialPValue(k, n, rate),
      cost: (n: number, k: number) => expectedCurtailedChecks(n, k, r0, chunk),
    };
  }
  const run = (n: number, k: number, rate: number) => earlyCheck(n, k, chunk, acceptanceTable(n, lambda), rate);
  return {
    flag: (n: number, k: number, rate: number) => run(n, k, rate).pCheater,
    cost: (n: number, k: number) => run(n, k, r0).expectedChecks,
  };
}

/** Every (m, n, k, lambda) of the grid with exact figures: the cheapest meeting every bound (honest cost). */
function bruteForceBest(b: Bounds, lambdas: (string | null)[] = [null], slots = SLOTS, ns = NS, chunk = 20) {
  const { weights, total } = exactWeights(STAKES);
  const conviction = (q: number, m: number, coalition?: Coalition) =>
    convictionFromFlagging(flaggingStakeDistribution(weights, q), total, { slots: m, coalition });
  let best: { m: number; n: number; k: number; lambda: string | null; cost: number } | null = null;
  for (const lambda of lambdas) {
    const check = checkOf(lambda, b.r0, chunk);
    for (const m of slots) {
      for (const n of ns) {
        const found = bestK(b, check, conviction, m, n);
        if (found && (best === null || found.cost < best.cost)) best = { ...found, lambda };
      }
    }
  }
  return best;
}

function bestK(
  b: Bounds,
  check: ReturnType<typeof checkOf>,
  conviction: (q: number, m: number, coalition?: Coalition) => number,
  m: number,
  n: number,
) {
  let best: { m: number; n: number; k: number; cost: number } | null = null;
  for (let k = 1; k <= n; k++) {
    const q0 = check.flag(n, k, b.r0);
    if (conviction(q0, m) > b.maxFalse) continue;
    if (b.frame && conviction(q0, m, b.frame.coalition) > b.frame.max) continue;
    let pays = false;
    for (let i = Math.round(b.maxSkip * 2000) + 1; i <= 1000 && !pays; i++) {
      const p = conviction(check.flag(n, k, skipRate(b.r0, i / 2000)), m);
      pays = p < i / 2000;
      if (p >= 0.5) break; // P grows with s and s <= 0.5: no larger s pays
    }
    if (pays) break; // a larger k flags less: skipping pays there too
    const cost = expectedHolders(STAKES, m) * check.cost(n, k);
    if (best === null || cost < best.cost) best = { m, n, k, cost };
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

  it("with early acceptance its best equals brute force over every (slots, n, k, lambda) on 20 validators", () => {
    const b = { r0: 0.02, maxFalse: 1e-3, maxSkip: 0.05 };
    const slots = [0, 8, 16];
    const ns = Array.from({ length: 31 }, (_, i) => i + 10);
    // The planner takes a later family only when strictly cheaper: off first, then lambda descending.
    const lambdas = acceptanceGrid("0.02").reverse();
    expect(lambdas).toEqual(["0.0175", "0.015", "0.0125", "0.01", "0.0075", "0.005", "0.0025", "0"]);
    const expected = bruteForceBest(b, [null, ...lambdas], slots, ns, 5)!;
    const withoutEarly = bruteForceBest(b, [null], slots, ns, 5)!;
    const plan = planDesigns({
      stakes: STAKES,
      honestRate: "0.02",
      maxFalseConviction: b.maxFalse,
      maxProfitableSkip: b.maxSkip,
      earlyAcceptance: true,
      chunkSize: 5,
      slots,
      sampleSizes: ns,
      frontSkips: [],
      tierUnits: [32, 64],
    });
    // Early acceptance wins here (so the test covers it), and by a margin.
    expect(expected.lambda).not.toBeNull();
    expect(expected.cost).toBeLessThan(0.9 * withoutEarly.cost);
    const best = plan.best!;
    expect({ m: best.slots, n: best.n, k: best.k_crit, lambda: best.acceptance_rate }).toEqual({
      m: expected.m,
      n: expected.n,
      k: expected.k,
      lambda: expected.lambda,
    });
    expect(best.curtailed_recomputes_honest).toBeCloseTo(expected.cost, 9);
    const v2 = plan.best_without_early_acceptance!;
    expect({ m: v2.slots, n: v2.n, k: v2.k_crit, lambda: v2.acceptance_rate }).toEqual({
      m: withoutEarly.m,
      n: withoutEarly.n,
      k: withoutEarly.k,
      lambda: null,
    });
    // Its figures are earlyCheck's, exact, and meet the bounds.
    const { weights, total } = exactWeights(STAKES);
    const q0 = earlyCheck(best.n, best.k_crit, 5, acceptanceTable(best.n, best.acceptance_rate!), 0.02).pCheater;
    const p0 = convictionFromFlagging(flaggingStakeDistribution(weights, q0), total, { slots: best.slots });
    expect(best.p_false_conviction).toBeCloseTo(p0, 15);
    expect(best.p_false_conviction).toBeLessThanOrEqual(b.maxFalse);
    expect(best.s_star).toBeLessThanOrEqual(b.maxSkip);
  }, 240_000);

  it("earlyFamily's tails for every k equal earlyCheck, and its cost bound is below the cost", () => {
    const f = earlyFamily(0.02, 20, "0.015", 300);
    for (const [n, k, rate] of [
      [200, 8, 0.02],
      [201, 5, 0.04],
      [55, 3, 0.1],
      [300, 12, 0.03],
    ] as const) {
      const table = acceptanceTable(n, "0.015");
      expect(f.tails(n, rate)[k]).toBeCloseTo(earlyCheck(n, k, 20, table, rate).pCheater, 14);
      for (let kk = 1; kk <= k; kk++) {
        const q0 = f.flag(n, kk, 0.02);
        expect(f.costLowerBound(n, k, q0)).toBeLessThanOrEqual(f.cost(n, kk) + 1e-9);
      }
    }
    // earlyCheck at n 200, k 8, chunks of 20, lambda 0.015, rate 0.02 (docs/protocol.md).
    expect(f.flag(200, 8, 0.02)).toBeCloseTo(0.028833, 6);
  });

  it("alphaFor gives a short decimal whose exact k_crit is k", () => {
    expect(kCrit(200, "0.02", alphaFor(200, 8, "0.02"))).toBe(8);
    expect(alphaFor(200, 8, "0.02").length).toBeLessThanOrEqual(6);
    expect(kCrit(93, "0.02", alphaFor(93, 5, "0.02"))).toBe(5);
  });
});
