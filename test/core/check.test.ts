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

describe("early acceptance (version 3): decided after CHEATER, before the curtailed HONEST rule", () => {
  const k = 8; // k_crit(200) at fp_rate 0.02, alpha 0.05

  it("stops HONEST at or below a(c) = floor(0.015 c), carrying the checked prefix's p-value (scipy)", () => {
    // a(100) = 1: binom.sf(0, 100, 0.02) = 0.8673804441052468
    const early = curtailedVerdict({ n: 200, checked: 100, mismatches: 1 }, k, 0.02, "0.015");
    expect(early?.verdict).toBe(Verdict.VERDICT_HONEST);
    expect(early?.pValue).toBeCloseTo(0.8673804441052468, 12);
    // a(134) = 2: binom.sf(1, 134, 0.02) = 0.7507993604891748
    expect(curtailedVerdict({ n: 200, checked: 134, mismatches: 2 }, k, 0.02, "0.015")?.pValue).toBeCloseTo(
      0.7507993604891748,
      12,
    );
    expect(curtailedVerdict({ n: 200, checked: 100, mismatches: 2 }, k, 0.02, "0.015")).toBeUndefined();
    expect(curtailedVerdict({ n: 200, checked: 100, mismatches: 1 }, k, 0.02)).toBeUndefined();
    expect(curtailedVerdict({ n: 200, checked: 100, mismatches: 1 }, k, 0.02, "")).toBeUndefined();
    // a(0) = -1 and c = n has no line: the full test decides there
    expect(curtailedVerdict({ n: 200, checked: 0, mismatches: 0 }, k, 0.02, "0.015")).toBeUndefined();
    // CHEATER first, even under a line above k_crit
    expect(curtailedVerdict({ n: 200, checked: 20, mismatches: 8 }, k, 0.02, "0.5")?.verdict).toBe(
      Verdict.VERDICT_CHEATER,
    );
  });

  it("the consistency rule accepts at or below the line and names the line when it rejects", () => {
    const honest = (checked: number, mismatches: number) => ({ verdict: Verdict.VERDICT_HONEST, checked, mismatches });
    expect(statTestContradiction(honest(100, 1), 200, k, "0.015")).toBeUndefined();
    expect(statTestContradiction(honest(100, 1), 200, k)).toMatch(/still reachable$/);
    expect(statTestContradiction(honest(100, 2), 200, k, "0.015")).toMatch(/above the acceptance line a\(100\) = 1$/);
    expect(statTestContradiction(honest(0, 0), 200, k, "0.015")).toMatch(/a\(0\) = -1/);
    expect(statTestContradiction(honest(150, 8), 200, k, "0.5")).toMatch(/at or above k_crit\(200\) = 8/);
    expect(statTestContradiction(honest(200, 7), 200, k, "0.015")).toBeUndefined();
  });

  it("every decision passes the rule; CHEATER only when the full test says so; HONEST p >= alpha, early ones >= 1/2 (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 999 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (n, chunk, fpMilli, lambdaShare, rate, draws) => {
          const fpRate = (fpMilli / 1000).toString();
          // lambda = fp_rate x share / 1000 (< fp_rate), written as a decimal
          const lambda = ((fpMilli * lambdaShare) / 1e6).toFixed(6);
          const p = { fpRate, alpha: "0.05" };
          const seq = Array.from({ length: n }, () => (draws.next().value as number) < rate);
          const kn = criticalCountFor(n, p);
          const full = verdictFromCounts(seq.filter(Boolean).length, n, p).verdict;
          let checked = 0;
          let mismatches = 0;
          let decided: ReturnType<typeof curtailedVerdict>;
          while (decided === undefined) {
            const end = Math.min(n, checked + chunk);
            for (; checked < end; checked++) if (seq[checked]) mismatches++;
            decided = curtailedVerdict({ n, checked, mismatches }, kn, Number(fpRate), lambda);
          }
          const vote = { verdict: decided.verdict, checked, mismatches };
          expect(statTestContradiction(vote, n, kn, lambda)).toBeUndefined();
          if (decided.verdict === Verdict.VERDICT_CHEATER) expect(full).toBe(Verdict.VERDICT_CHEATER);
          else expect(decided.pValue).toBeGreaterThan(0.05 - 1e-12);
          if (decided.verdict === Verdict.VERDICT_HONEST && mismatches + (n - checked) >= kn) {
            expect(decided.pValue).toBeGreaterThanOrEqual(0.5 - 1e-12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
