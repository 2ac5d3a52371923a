// The validator's vote decision of docs/protocol.md, from counts alone: a sampled nonce mismatches
// when its distance exceeds dist_threshold; the vote is CHEATER iff the exact one-sided binomial
// p-value of the mismatch count at fp_rate is below alpha.
import { Verdict } from "../gen/pocval/v1/types.js";
import { binomialPValue } from "./stats.js";

/** The params the decision reads. */
export interface DecisionParams {
  fpRate: number;
  alpha: number;
}

/** The vote for a count, with the p-value it rests on. */
export interface CountVerdict {
  verdict: Verdict.VERDICT_HONEST | Verdict.VERDICT_CHEATER;
  pValue: number;
}

/** Mismatches: distances strictly above dist_threshold. */
export function countMismatches(distances: readonly number[], distThreshold: number): number {
  let k = 0;
  for (const d of distances) if (d > distThreshold) k++;
  return k;
}

/**
 * The vote for `mismatches` of `checked` sampled nonces; an empty sample (checked 0) is HONEST with p = 1.
 * @example verdictFromCounts(8, 200, { fpRate: 0.02, alpha: 0.05 }) // { verdict: VERDICT_CHEATER, pValue: 0.04934 }
 */
export function verdictFromCounts(mismatches: number, checked: number, params: DecisionParams): CountVerdict {
  const pValue = checked === 0 ? 1 : binomialPValue(mismatches, checked, params.fpRate);
  return { verdict: pValue < params.alpha ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST, pValue };
}
