import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  binomialPValue,
  countMismatches,
  criticalCountFor,
  curtailedVerdict,
  statTestContradiction,
  verdictFromCounts,
} from "../../src/core/index.js";
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

describe("curtailed checks (Version 2)", () => {
  const params = { fpRate: "0.02", alpha: "0.05" };

  it("stops at the first chunk that decides, with the certificate p-value", () => {
    const k = criticalCountFor(200, params);
    expect(k).toBe(8);
    expect(curtailedVerdict({ n: 200, checked: 20, mismatches: 8 }, k, 0.02)).toEqual({
      verdict: Verdict.VERDICT_CHEATER,
      pValue: binomialPValue(8, 200, 0.02),
    });
    // 1 + (200 - 194) = 7 < 8: HONEST, certified by P[X >= 7].
    expect(curtailedVerdict({ n: 200, checked: 194, mismatches: 1 }, k, 0.02)).toEqual({
      verdict: Verdict.VERDICT_HONEST,
      pValue: binomialPValue(7, 200, 0.02),
    });
    expect(curtailedVerdict({ n: 200, checked: 193, mismatches: 1 }, k, 0.02)).toBeUndefined();
  });

  it("gives the full test's verdict on random mismatch sequences, with consistent numbers (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (n, chunk, fpMilli, rate, draws) => {
          const p = { fpRate: fpMilli / 1000, alpha: 0.05 };
          const seq = Array.from({ length: n }, () => (draws.next().value as number) < rate);
          const k = criticalCountFor(n, p);
          const full = verdictFromCounts(seq.filter(Boolean).length, n, p).verdict;
          let checked = 0;
          let mismatches = 0;
          let decided: ReturnType<typeof curtailedVerdict>;
          while (decided === undefined) {
            const end = Math.min(n, checked + chunk);
            for (; checked < end; checked++) if (seq[checked]) mismatches++;
            decided = curtailedVerdict({ n, checked, mismatches }, k, p.fpRate);
          }
          expect(decided.verdict).toBe(full);
          expect(statTestContradiction({ verdict: decided.verdict, checked, mismatches }, n, k)).toBeUndefined();
          if (decided.verdict === Verdict.VERDICT_CHEATER) expect(decided.pValue).toBeLessThan(0.05 + 1e-12);
          else expect(decided.pValue).toBeGreaterThan(0.05 - 1e-12);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names what contradicts a verdict", () => {
    expect(statTestContradiction({ verdict: Verdict.VERDICT_CHEATER, checked: 200, mismatches: 7 }, 200, 8)).toMatch(
      /below k_crit\(200\) = 8/,
    );
    expect(statTestContradiction({ verdict: Verdict.VERDICT_HONEST, checked: 193, mismatches: 1 }, 200, 8)).toMatch(
      /still reachable/,
    );
    expect(statTestContradiction({ verdict: Verdict.VERDICT_HONEST, checked: 3, mismatches: 4 }, 200, 8)).toMatch(
      /exceed checked/,
    );
    expect(
      statTestContradiction({ verdict: Verdict.VERDICT_HONEST, checked: 194, mismatches: 1 }, 200, 8),
    ).toBeUndefined();
  });
});
