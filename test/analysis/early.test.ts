// The early-acceptance check's exact DP (src/analysis/early.ts) against enumeration of every path and
// against Monte Carlo with 95% intervals.
import { describe, expect, it } from "vitest";
import { earlyCheck, monteCarloEarlyCheck } from "../../src/analysis/early.js";
import { expectedCurtailedChecks } from "../../src/analysis/plan-cost.js";
import { acceptanceTable } from "../../src/core/acceptance.js";

/** Every 2^n mismatch sequence, the protocol's stopping rule applied at chunk boundaries. */
function enumerate(n: number, k: number, chunk: number, table: number[], rate: number) {
  let pCheater = 0;
  let expectedChecks = 0;
  for (let code = 0; code < 1 << n; code++) {
    let p = 1;
    for (let i = 0; i < n; i++) p *= code & (1 << i) ? rate : 1 - rate;
    let t = 0;
    let x = 0;
    let cheater = false;
    while (t < n) {
      const end = Math.min(n, t + chunk);
      for (; t < end; t++) if (code & (1 << t)) x++;
      if (x >= k) {
        cheater = true;
        break;
      }
      if (t < n && (x <= table[t]! || x + (n - t) < k)) break;
    }
    if (cheater) pCheater += p;
    expectedChecks += p * t;
  }
  return { pCheater, expectedChecks };
}

describe("earlyCheck", () => {
  it.each([
    [12, 3, 3, "0.25", 0.1],
    [12, 2, 4, "0.1", 0.05],
    [10, 4, 2, "0.4", 0.3],
  ])("equals enumeration of every path (n %i, k %i, chunk %i, lambda %s, rate %f)", (n, k, chunk, lambda, rate) => {
    const table = acceptanceTable(n, lambda);
    const e = enumerate(n, k, chunk, table, rate);
    const d = earlyCheck(n, k, chunk, table, rate);
    expect(d.pCheater).toBeCloseTo(e.pCheater, 13);
    expect(d.expectedChecks).toBeCloseTo(e.expectedChecks, 12);
  });

  it("without acceptance (a(c) = -1) it is the curtailed check", () => {
    const d = earlyCheck(200, 8, 20, new Array(200).fill(-1), 0.02);
    expect(d.expectedChecks).toBeCloseTo(expectedCurtailedChecks(200, 8, 0.02, 20), 10);
  });

  it.each([0.02, 0.05])(
    "lies in the 95 percent interval of Monte Carlo (n 200, k 8, chunks of 20, lambda 0.015, rate %f)",
    (rate) => {
      const table = acceptanceTable(200, "0.015");
      const d = earlyCheck(200, 8, 20, table, rate);
      const mc = monteCarloEarlyCheck(200, 8, 20, table, rate, 200_000, 7);
      expect(d.pCheater).toBeGreaterThanOrEqual(mc.ci95[0]);
      expect(d.pCheater).toBeLessThanOrEqual(mc.ci95[1]);
      // Leaves checked: within 1% of the Monte Carlo mean (its standard error is far below that).
      expect(Math.abs(d.expectedChecks - mc.meanChecks) / d.expectedChecks).toBeLessThan(0.01);
      // Early acceptance saves leaves against the curtailed check.
      expect(d.expectedChecks).toBeLessThan(expectedCurtailedChecks(200, 8, rate, 20));
    },
  );
});
