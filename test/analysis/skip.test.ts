// When skipping pays (src/analysis/skip.ts): the grid, r(s), s* and one curve point against scipy.
import { describe, expect, it } from "vitest";
import { skipCurve, skipGrid, skipRate, skipStar } from "../../src/analysis/skip.js";

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
    const point = curve.points[99]!;
    expect(point.s).toBe(0.05);
    // scipy.stats.binom.sf(3, 50, 0.069) and the 8 flag sets with binom.sf over 3 slots.
    expect(point.q).toBeCloseTo(0.4560121664614368, 13);
    expect(point.p_convicted).toBeCloseTo(0.4520839022513887, 13);
    const pays = curve.points.filter((pt) => pt.p_convicted < pt.s).map((pt) => pt.s);
    expect(curve.s_star).toBe(pays.length === 0 ? 0 : Math.max(...pays));
    // P only grows with s.
    for (let i = 1; i < curve.points.length; i++) {
      expect(curve.points[i]!.p_convicted).toBeGreaterThanOrEqual(curve.points[i - 1]!.p_convicted);
    }
  });
});
