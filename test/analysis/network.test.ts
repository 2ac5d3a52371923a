import { readFileSync } from "node:fs";
import { BigNumber } from "bignumber.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  discretiseStakes,
  exactNetwork,
  gridUnitsFor,
  MAX_EXACT_UNITS,
  monteCarloNetwork,
  quorumCut,
  SimulationInputError,
  simulateNetwork,
  weightedVoteDistribution,
} from "../../src/analysis/index.js";

const DEFAULT_6 = [35, 25, 15, 10, 10, 5];
const preset377 = JSON.parse(
  readFileSync(new URL("../../localnet/stakes/377-heavy-tailed.json", import.meta.url), "utf8"),
) as number[];

/**
 * P[sum of voting stakes > quorum * total] by enumerating every set of voters (small networks only).
 * The quorum is read as the decimal it prints as (as the code reads it), compared in exact decimal
 * arithmetic: 2/3 prints as 0.6666666666666666, so 2 of 3 equal stakes convict.
 */
function bruteForce(stakes: number[], q: number, quorum: number): number {
  const total = stakes.reduce((a, b) => a + b, 0);
  const cut = new BigNumber(String(quorum)).times(total);
  let p = 0;
  for (let mask = 0; mask < 1 << stakes.length; mask++) {
    let s = 0;
    let pr = 1;
    stakes.forEach((w, i) => {
      const votes = (mask >> i) & 1;
      s += votes ? w : 0;
      pr *= votes ? q : 1 - q;
    });
    if (cut.lt(s)) p += pr;
  }
  return p;
}

describe("exact network distribution", () => {
  it("matches a scipy enumeration for the default 6-validator preset", () => {
    // python: itertools.product over the 2^6 voter sets with q = binom.sf(7, 200, rate).
    const honest = simulateNetwork({ stakes: DEFAULT_6, rate: 0.02, rounds: 1000 });
    expect(honest.exact.pConvicted).toBeCloseTo(0.002884657323107241, 14);
    expect(honest.exact.shareMedian).toBe(0);
    expect(honest.exact.shareP95).toBeCloseTo(0.35, 12);
    const cheater = simulateNetwork({ stakes: DEFAULT_6, rate: 0.04, rounds: 1000 });
    expect(cheater.exact.pConvicted).toBeCloseTo(0.5379716266268421, 13);
    expect(cheater.exact.shareMedian).toBeCloseTo(0.55, 12);
    expect(cheater.exact.shareP95).toBeCloseTo(0.95, 12);
    expect(cheater.exact.discretisation).toEqual({ exact: true, gridTotal: 20, maxShareError: 0 });
  });

  it("counts a share of exactly the quorum as not convicted (35 + 15 of 100 at 0.5)", () => {
    // Of the 8 equally likely voter sets, {35, 15} and {50} sit exactly at 50 and do not
    // convict; {35, 50}, {15, 50} and {35, 15, 50} do: 3/8.
    expect(exactNetwork([35, 15, 50], 0.5, 0.5).pConvicted).toBe(3 / 8);
    const [lo, hi] = monteCarloNetwork([35, 15, 50], 0.5, 0.5, 20_000, 3).ci95;
    expect(lo).toBeLessThan(3 / 8);
    expect(hi).toBeGreaterThan(3 / 8);
    expect(quorumCut(100n, 0.5)).toBe(51n);
    // The quorum is read as the decimal typed: 0.6666666666666666 < 2/3, so 2 of 3 convicts.
    expect(quorumCut(3n, 2 / 3)).toBe(2n);
    expect(quorumCut(100n, 0.29)).toBe(30n);
  });

  it("equals brute-force enumeration on random small networks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(0.3, 0.5, 2 / 3),
        (stakes, q, quorum) => {
          const exact = exactNetwork(stakes, q, quorum).pConvicted;
          expect(Math.abs(exact - bruteForce(stakes, q, quorum))).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("keeps the probabilities of the grid sum adding up to one", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (w, q) => {
          const dist = weightedVoteDistribution(w, q);
          expect(dist.length).toBe(w.reduce((a, b) => a + b, 0) + 1);
          expect(Math.abs(dist.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it("divides stakes by their gcd and stays exact when the total fits the grid", () => {
    const d = discretiseStakes([350_000n, 250_000n, 150_000n, 100_000n, 100_000n, 50_000n]);
    expect(d).toMatchObject({ exact: true, gridTotal: 20, weights: [7, 5, 3, 2, 2, 1] });
  });

  it("coarsens the grid for very large networks to bound the DP's work", () => {
    expect(gridUnitsFor(377)).toBe(MAX_EXACT_UNITS);
    expect(gridUnitsFor(4000)).toBe(500_000);
    expect(gridUnitsFor(10_000_000)).toBe(65_536);
    const d = discretiseStakes(Array.from({ length: 4000 }, (_, i) => 1_000_003 + i));
    expect(d).toMatchObject({ exact: false, gridTotal: 500_000 });
    expect(d.maxShareError).toBeLessThanOrEqual(4000 / 2 / 500_000);
  });

  it("bounds the error when huge stakes must be rounded onto the grid", () => {
    // Stakes in upoc of a real chain: coprime and far above the grid.
    const stakes = preset377.map((s) => BigInt(s) * 1_000_000_007n + 1n);
    const d = discretiseStakes(stakes);
    expect(d.exact).toBe(false);
    expect(d.gridTotal).toBe(MAX_EXACT_UNITS);
    // At most half a unit per validator.
    expect(d.maxShareError).toBeLessThanOrEqual(stakes.length / 2 / MAX_EXACT_UNITS);
    const exact = exactNetwork(stakes, 0.5498957078603415, 0.5);
    const [lo, hi] = exact.pConvictedBounds;
    expect(lo).toBeLessThanOrEqual(exact.pConvicted);
    expect(hi).toBeGreaterThanOrEqual(exact.pConvicted);
    // The rounded stakes are the preset scaled: same answer as the exact preset, within the bounds.
    expect(lo).toBeLessThanOrEqual(0.7366990203103553 + 1e-12);
    expect(hi).toBeGreaterThanOrEqual(0.7366990203103553 - 1e-12);
    // Far tighter than a 100,000-round Monte Carlo interval (about +-0.0027 here).
    expect(hi - lo).toBeLessThan(0.001);
  });
});

describe("Monte Carlo network", () => {
  it("agrees with the exact distribution within its 95% interval on a small network", () => {
    for (const rate of [0.02, 0.04, 0.06]) {
      const r = simulateNetwork({ stakes: DEFAULT_6, rate, rounds: 100_000, seed: 42 });
      expect(r.monteCarlo.ci95[0]).toBeLessThanOrEqual(r.exact.pConvicted);
      expect(r.monteCarlo.ci95[1]).toBeGreaterThanOrEqual(r.exact.pConvicted);
      expect(r.monteCarlo.shareMedian).toBeCloseTo(r.exact.shareMedian, 10);
    }
  });

  it("is reproducible for a seed", () => {
    const a = monteCarloNetwork(DEFAULT_6, 0.3, 0.5, 5000, 9);
    const b = monteCarloNetwork(DEFAULT_6, 0.3, 0.5, 5000, 9);
    expect(b).toEqual(a);
    expect(monteCarloNetwork(DEFAULT_6, 0.3, 0.5, 5000, 10).convicted).not.toBe(a.convicted);
  });

  it("never convicts when no validator detects and always when all do", () => {
    expect(monteCarloNetwork(DEFAULT_6, 0, 0.5, 1000, 1)).toMatchObject({ convicted: 0, shareMax: 0 });
    expect(monteCarloNetwork(DEFAULT_6, 1, 0.5, 1000, 1)).toMatchObject({ convicted: 1000, shareMedian: 1 });
  });
});

describe("the 377-validator preset", () => {
  it("lands near the report's figures for its 377 real weights", () => {
    // Exact values from an independent numpy DP over the same file.
    const honest = simulateNetwork({ stakes: preset377, rate: 0.02, rounds: 100_000, seed: 1 });
    expect(honest.exact.pConvicted).toBeLessThan(1e-30);
    expect(honest.exact.shareMedian).toBeCloseTo(0.041214711497019524, 12);
    expect(honest.exact.shareP95).toBeCloseTo(0.12361513469405715, 12);
    expect(honest.monteCarlo.convicted).toBe(0);
    const cheater = simulateNetwork({ stakes: preset377, rate: 0.04, rounds: 100_000, seed: 1 });
    expect(cheater.exact.pConvicted).toBeCloseTo(0.7366990203103553, 12);
    expect(cheater.exact.shareMedian).toBeCloseTo(0.5526931311480819, 12);
    expect(cheater.exact.shareP95).toBeCloseTo(0.6562154064921546, 12);
    expect(cheater.monteCarlo.ci95[0]).toBeLessThanOrEqual(cheater.exact.pConvicted);
    expect(cheater.monteCarlo.ci95[1]).toBeGreaterThanOrEqual(cheater.exact.pConvicted);
    // The report: 73.563% convicted, median share 55.11%, honest median 4.13%.
    expect(Math.abs(cheater.exact.pConvicted - 0.73563)).toBeLessThan(0.01);
  });
});

describe("simulateNetwork inputs", () => {
  it("refuses non-positive or fractional stakes naming the entry", () => {
    expect(() => simulateNetwork({ stakes: [], rate: 0.04 })).toThrow(SimulationInputError);
    expect(() => simulateNetwork({ stakes: [3, 0], rate: 0.04 })).toThrow(/stakes\[1\]/);
    expect(() => simulateNetwork({ stakes: [1.5], rate: 0.04 })).toThrow(/stakes\[0\]/);
    expect(() => simulateNetwork({ stakes: [1], rate: 2 })).toThrow(/rate/);
  });
});
