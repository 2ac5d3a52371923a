// The validator's vote decision of docs/protocol.md, from counts alone: a sampled nonce mismatches
// when its distance exceeds dist_threshold; the vote is CHEATER iff mismatches >= k_crit(n), the
// exact integer form of "the one-sided binomial p-value at fp_rate is below alpha" (Version 2).
import { Verdict } from "../gen/pocval/v1/types.js";
import { acceptanceLimit } from "./acceptance.js";
import { kCrit, type Rational } from "./kcrit.js";
import { binomialPValue } from "./stats.js";

/**
 * The params the decision reads. Decimal strings are read exactly; a number is read as its shortest
 * round-trip decimal (0.02 is "0.02"), which is the decimal a person wrote.
 */
export interface DecisionParams {
  fpRate: number | string;
  alpha: number | string;
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

const asDecimal = (v: number | string | Rational): string | Rational => (typeof v === "number" ? String(v) : v);

// Simulations decide millions of checks with a handful of (n, fp_rate, alpha): keep their k_crit.
const cache = new Map<string, number>();
const CACHE_LIMIT = 4096;

/**
 * k_crit(n) for the params (core/kcrit.ts), memoized.
 * @example criticalCountFor(200, { fpRate: "0.02", alpha: "0.05" }) // 8
 */
export function criticalCountFor(n: number, params: DecisionParams): number {
  const key = `${n}|${params.fpRate}|${params.alpha}`;
  let k = cache.get(key);
  if (k === undefined) {
    k = kCrit(n, asDecimal(params.fpRate), asDecimal(params.alpha));
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, k);
  }
  return k;
}

/**
 * The vote for `mismatches` of `checked` sampled nonces (the full test: n = checked): CHEATER iff
 * mismatches >= k_crit(checked). An empty sample (checked 0) is HONEST with p = 1.
 * @example verdictFromCounts(8, 200, { fpRate: 0.02, alpha: 0.05 }) // { verdict: VERDICT_CHEATER, pValue: 0.04934 }
 */
export function verdictFromCounts(mismatches: number, checked: number, params: DecisionParams): CountVerdict {
  const pValue = checked === 0 ? 1 : binomialPValue(mismatches, checked, Number(params.fpRate));
  const cheater = checked > 0 && mismatches >= criticalCountFor(checked, params);
  return { verdict: cheater ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST, pValue };
}

/** Leaves of a participant a curtailed check recomputes per step when its config names none (`check.chunkSize`). */
export const DEFAULT_CHUNK_SIZE = 20;

/** Where a (possibly curtailed) check stands: n leaves to check in all, `checked` done, `mismatches` found. */
export interface StatTestCounts {
  n: number;
  checked: number;
  mismatches: number;
}

/**
 * The verdict once it cannot change (docs/protocol.md, curtailed checks and early acceptance), decided
 * in this order: CHEATER once mismatches >= k_crit(n); with an acceptance rate (version 3), HONEST at
 * checked < n once mismatches <= a(checked); HONEST once mismatches + (n - checked) < k_crit(n);
 * undefined while open. pValue, X ~ Binomial(n, fp_rate): P[X >= mismatches] for CHEATER,
 * P[X >= mismatches + (n - checked)] for curtailed HONEST; an early acceptance carries the checked
 * prefix's own P[Y >= mismatches], Y ~ Binomial(checked, fp_rate) (at least 1/2: the line is below fp_rate).
 * @example curtailedVerdict({ n: 200, checked: 20, mismatches: 8 }, 8, 0.02) // { verdict: CHEATER, pValue: 0.0493 }
 */
export function curtailedVerdict(
  counts: StatTestCounts,
  kCritN: number,
  fpRate: number,
  acceptanceRate?: string | Rational,
): CountVerdict | undefined {
  const { n, checked, mismatches } = counts;
  if (mismatches >= kCritN) {
    return { verdict: Verdict.VERDICT_CHEATER, pValue: n === 0 ? 1 : binomialPValue(mismatches, n, fpRate) };
  }
  if (acceptsEarlyAt(counts, acceptanceRate)) {
    return { verdict: Verdict.VERDICT_HONEST, pValue: binomialPValue(mismatches, checked, fpRate) };
  }
  const most = mismatches + (n - checked);
  if (most < kCritN) return { verdict: Verdict.VERDICT_HONEST, pValue: n === 0 ? 1 : binomialPValue(most, n, fpRate) };
  return undefined;
}

/** Early acceptance (version 3): checked < n and mismatches <= a(checked); never without an acceptance rate. */
function acceptsEarlyAt(counts: StatTestCounts, acceptanceRate: string | Rational | undefined): boolean {
  if (acceptanceRate === undefined || acceptanceRate === "" || counts.checked >= counts.n) return false;
  return counts.mismatches <= acceptanceLimit(counts.checked, acceptanceRate);
}

/**
 * Why a STAT_TEST vote's numbers contradict its verdict (docs/protocol.md, the consistency rule, code 20),
 * or undefined when they agree: checked > n, mismatches > checked, CHEATER with mismatches < k_crit(n),
 * HONEST with mismatches >= k_crit(n), HONEST with mismatches + (n - checked) >= k_crit(n) unless, with an
 * acceptance rate (version 3; undefined or "" = off), checked < n and mismatches <= a(checked).
 */
export function statTestContradiction(
  vote: { verdict: Verdict; checked: number; mismatches: number },
  n: number,
  kCritN: number,
  acceptanceRate?: string | Rational,
): string | undefined {
  if (vote.checked > n) return `checked ${vote.checked} exceeds n = ${n}`;
  if (vote.mismatches > vote.checked) return `mismatches ${vote.mismatches} exceed checked ${vote.checked}`;
  if (vote.verdict === Verdict.VERDICT_CHEATER && vote.mismatches < kCritN) {
    return `CHEATER with ${vote.mismatches} mismatches, below k_crit(${n}) = ${kCritN}`;
  }
  if (vote.verdict !== Verdict.VERDICT_HONEST) return undefined;
  if (vote.mismatches >= kCritN)
    return `HONEST with ${vote.mismatches} mismatches, at or above k_crit(${n}) = ${kCritN}`;
  const counts = { n, checked: vote.checked, mismatches: vote.mismatches };
  if (acceptsEarlyAt(counts, acceptanceRate) || vote.mismatches + (n - vote.checked) < kCritN) return undefined;
  const line =
    acceptanceRate === undefined || acceptanceRate === "" || vote.checked >= n
      ? ""
      : `, and above the acceptance line a(${vote.checked}) = ${acceptanceLimit(vote.checked, acceptanceRate)}`;
  return `HONEST with ${vote.mismatches} mismatches and ${n - vote.checked} unchecked of n = ${n}: k_crit(${n}) = ${kCritN} is still reachable${line}`;
}
