import { describe, expect, it } from "vitest";
import { expectedCurtailedChecks, planDesigns } from "../../src/analysis/plan.js";

/** E[checked] by enumerating all 2^n mismatch sequences, stopping at chunk boundaries as the protocol says. */
function bruteForce(n: number, k: number, rate: number, chunk: number): number {
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
    expect(expectedCurtailedChecks(n, k, rate, chunk)).toBeCloseTo(bruteForce(n, k, rate, chunk), 12);
  });
  it("checks nothing when k_crit exceeds n (never CHEATER)", () => {
    expect(expectedCurtailedChecks(5, 6, 0.5, 1)).toBe(0);
  });
});

describe("planDesigns", () => {
  it("keeps a Pareto front and picks the cheapest design within both bounds", () => {
    const plan = planDesigns({
      stakes: [40n, 25n, 15n, 10n, 5n, 5n],
      honestRate: "0.02",
      cheaterRate: 0.1,
      maxFalseConviction: 1e-3,
      minDetection: 0.99,
      slots: [0, 1, 3, 5],
      sampleSizes: [50, 100, 200],
      alphas: ["0.01", "0.05"],
    });
    expect(plan.evaluated).toBe(24);
    for (const a of plan.designs) {
      for (const b of plan.designs) {
        const dominates =
          b.recomputes_per_participant <= a.recomputes_per_participant &&
          b.p_false_conviction <= a.p_false_conviction &&
          b.p_detection >= a.p_detection &&
          (b.recomputes_per_participant < a.recomputes_per_participant ||
            b.p_false_conviction < a.p_false_conviction ||
            b.p_detection > a.p_detection);
        expect(dominates).toBe(false);
      }
    }
    expect(plan.best).not.toBeNull();
    // slots 0 on 6 validators: every validator recomputes n leaves.
    const all = planDesigns({
      ...{ stakes: [40n, 25n, 15n, 10n, 5n, 5n] },
      honestRate: "0.02",
      cheaterRate: 0.1,
      maxFalseConviction: 1,
      minDetection: 0,
      slots: [0],
      sampleSizes: [50],
      alphas: ["0.05"],
    });
    expect(all.best?.recomputes_per_participant).toBe(300);
    expect(all.best?.k_crit).toBe(4);
  });
});
