// When skipping pays (src/analysis/skip.ts): the grid, r(s), s* and one curve point against scipy.
import { describe, expect, it } from "vitest";
import { convictionFromFlagging, exactWeights, flaggingStakeDistribution } from "../../src/analysis/coalition.js";
import { skipCurve, skipGrid, skipRate, skipStar } from "../../src/analysis/skip.js";
import { binomialPValue } from "../../src/core/index.js";

describe("skip curve", () => {
  it("the grid is 0.0005 .. 0.5 in steps of 0.0005 and skipped leaves always mismatch", () => {
    const grid = skipGrid();
    expect(grid).toHaveLength(1000);
    expect(grid[0]).toBe(0.0005);
    expect(grid[999]).toBe(0.5);
    expect(skipRate(0.02, 0.05)).toBeCloseTo(0.069, 15);
  });

  it("s* is the largest grid s where P[convicted] < s, even past a first crossing; 0 when it never pays", () => {
    const p = skipGrid().map((s) => (s < 0.01 ? 0 : s < 0.02 ? 1 : s === 0.3 ? 0.2 : 1));
    expect(skipStar(p)).toBe(0.3);
    expect(skipStar(skipGrid().map(() => 1))).toBe(0);
    expect(skipStar(skipGrid().map(() => 0))).toBe(0.5);
  });

  it("matches scipy at s = 0.05 on stakes 5/3/2 with 3 slots, n 50, k_crit 4", () => {
    const curve = skipCurve({ stakes: [5n, 3n, 2n], n: 50, kCrit: 4, honestRate: 0.02, rule: { slots: 3 } });
    const point = curve.points.find((pt) => pt.s === 0.05)!;
    expect(point).toBeDefined();
    // scipy.stats.binom.sf(3, 50, 0.069) and the 8 flag sets with binom.sf over 3 slots.
    expect(point.q).toBeCloseTo(0.4560121664614368, 13);
    expect(point.p_convicted).toBeCloseTo(0.4520839022513887, 13);
    // P only grows with s.
    for (let i = 1; i < curve.points.length; i++) {
      expect(curve.points[i]!.p_convicted).toBeGreaterThanOrEqual(curve.points[i - 1]!.p_convicted);
    }
  });

  // A DP at every one of the 1,000 grid points: the whole curve and s* the slow way.
  function fullScan(stakes: bigint[], n: number, k: number, slots: number) {
    const { weights, total } = exactWeights(stakes);
    return skipGrid().map((s) =>
      convictionFromFlagging(flaggingStakeDistribution(weights, binomialPValue(k, n, skipRate(0.02, s))), total, {
        slots,
      }),
    );
  }

  it.each([
    [40, 2, 0],
    [200, 8, 0],
    [40, 4, 0],
    [40, 4, 9],
    [60, 5, 9],
    [100, 6, 15],
    [30, 4, 5],
    [20, 3, 8],
  ])(
    "s* (0.007 to 0.0665 here, 0 for the first) equals the full scan of every grid point, every point shown is the scan's (n %i, k %i, slots %i)",
    (n, k, slots) => {
      const stakes = [60n, 41n, 33n, 27n, 22n, 19n, 17n, 15n, 13n, 12n, 11n, 10n, 9n, 8n, 7n, 6n, 5n, 4n, 3n, 2n];
      const full = fullScan(stakes, n, k, slots);
      const curve = skipCurve({ stakes, n, kCrit: k, honestRate: 0.02, rule: { slots } });
      expect(curve.s_star).toBe(skipStar(full));
      expect(curve.points.length).toBeLessThan(150);
      for (const pt of curve.points) expect(pt.p_convicted).toBe(full[Math.round(pt.s * 2000) - 1]);
    },
  );
});
