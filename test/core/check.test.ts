import { describe, expect, it } from "vitest";
import { countMismatches, verdictFromCounts } from "../../src/core/index.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";

// p-values from scipy.stats.binom.sf(k - 1, n, p).
describe("verdictFromCounts", () => {
  const params = { fpRate: 0.02, alpha: 0.05 };
  it("votes CHEATER from the critical count on (n 200, fp_rate 0.02, alpha 0.05: k_crit 8)", () => {
    const seven = verdictFromCounts(7, 200, params);
    expect(seven.verdict).toBe(Verdict.VERDICT_HONEST);
    expect(seven.pValue).toBeCloseTo(0.10856194692692268, 12);
    const eight = verdictFromCounts(8, 200, params);
    expect(eight.verdict).toBe(Verdict.VERDICT_CHEATER);
    expect(eight.pValue).toBeCloseTo(0.049335054944824625, 12);
    expect(verdictFromCounts(9, 200, params).pValue).toBeCloseTo(0.020174875984250832, 12);
  });
  it("is HONEST with p = 1 for an empty sample or no mismatch", () => {
    expect(verdictFromCounts(0, 0, params)).toEqual({ verdict: Verdict.VERDICT_HONEST, pValue: 1 });
    expect(verdictFromCounts(0, 200, params)).toEqual({ verdict: Verdict.VERDICT_HONEST, pValue: 1 });
  });
  it("compares p < alpha strictly", () => {
    const { pValue } = verdictFromCounts(8, 200, params);
    expect(verdictFromCounts(8, 200, { fpRate: 0.02, alpha: pValue }).verdict).toBe(Verdict.VERDICT_HONEST);
  });
});

describe("countMismatches", () => {
  it("counts distances strictly above the threshold", () => {
    expect(countMismatches([0.1, 0.173663, 0.173664, 2], 0.173663)).toBe(2);
    expect(countMismatches([], 0.1)).toBe(0);
  });
});
