import { exactNetwork } from "../analysis/index.js";
import { binomialPValue, criticalCount } from "../core/index.js";
import type { Scenario } from "./scenario.js";

/** The chance that one participant's tally contradicts the scenario's expectation. */
export interface WrongVerdictRisk {
  participant: string;
  /** P[one validator votes against the expectation], under the assumed mismatch rate (snake_case: printed as JSON). */
  per_validator: number;
  /** P[the stake-weighted tally contradicts the expectation]. */
  probability: number;
}

/**
 * Exact probability of a wrong verdict per participant, assuming validators flag independently:
 * each votes CHEATER with P[X >= k_crit], X ~ Binomial(sample_size, assumed mismatch rate).
 * Strategies decided without statistics (withhold: UNAVAILABLE) have no sampling risk (0).
 */
export function wrongVerdictRisks(
  scenario: Scenario,
  params: { sampleSize: number; fpRate: number; alpha: number; quorum: number },
): WrongVerdictRisk[] {
  const stakes = scenario.validators.map((v) => v.stake);
  const kCrit = criticalCount(params.sampleSize, params.fpRate, params.alpha);
  return scenario.participants.map((p) => {
    if (p.assumedMismatchRate === undefined) return { participant: p.name, per_validator: 0, probability: 0 };
    const flag = binomialPValue(kCrit, params.sampleSize, p.assumedMismatchRate);
    const convicted = exactNetwork(stakes, flag, params.quorum).pConvicted;
    return p.expect.verdict === "HONEST"
      ? { participant: p.name, per_validator: flag, probability: convicted }
      : { participant: p.name, per_validator: 1 - flag, probability: 1 - convicted };
  });
}

/** P[any participant's verdict is wrong], participants independent: 1 - prod(1 - p_i). */
export function anyWrongProbability(risks: readonly WrongVerdictRisk[]): number {
  let allRight = 1;
  for (const r of risks) allRight *= 1 - r.probability;
  // For tiny risks 1 - prod loses digits; the sum is a tight upper bound there.
  const sum = risks.reduce((s, r) => s + r.probability, 0);
  return sum < 1e-6 ? sum : 1 - allRight;
}
