// `pocval simulate`'s single-validator model: detection and false-conviction rates over the
// mismatch count, exact and by simulation; inputs are checked and named.
import {
  binomialPValue,
  createRng,
  criticalCount,
  DEFAULT_PARAMS,
  PocvalError,
  parseParams,
  verdictFromCounts,
} from "../core/index.js";
import { Verdict } from "../gen/pocval/v1/types.js";
import { wilsonInterval } from "./interval.js";

const defaults = parseParams(DEFAULT_PARAMS);
/** The report's decision settings (core's default params): N checks, honest mismatch rate, test level. */
export const DEFAULT_CHECKS = defaults.sampleSize;
export const DEFAULT_FP_RATE = defaults.fpRate;
export const DEFAULT_ALPHA = defaults.alpha;
export const DEFAULT_SEED = 1;

/** Raised for simulation inputs outside their domain; names the parameter. */
export class SimulationInputError extends PocvalError {
  override name = "SimulationInputError";
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

export function checkChecks(n: number, parameter = "n"): void {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new SimulationInputError(parameter, `must be a positive integer, got ${n}`);
}

export function checkProbability(p: number, parameter: string, open = false): void {
  const ok = open ? p > 0 && p < 1 : p >= 0 && p <= 1;
  if (!ok) throw new SimulationInputError(parameter, `must be in ${open ? "(0, 1)" : "[0, 1]"}, got ${p}`);
}

export interface SingleOptions {
  /** Checked nonces per validator. */
  n: number;
  fpRate?: number;
  alpha?: number;
  /** Largest mismatch count in the sweep; by default twice the critical count (at least 10 past it). */
  kMax?: number;
}

export interface SingleRow {
  k: number;
  pValue: number;
  /** The validator's vote for this count: p < alpha. */
  cheater: boolean;
}

export interface SingleResult {
  n: number;
  fpRate: number;
  alpha: number;
  /** Smallest k voting cheater (n + 1 when none does). */
  kCrit: number;
  rows: SingleRow[];
}

/**
 * The report's single-validator sweep: the one-sided p-value as the mismatch count k grows.
 * @example simulateSingle({ n: 200 }).kCrit // 8
 */
export function simulateSingle(options: SingleOptions): SingleResult {
  const { n, fpRate = DEFAULT_FP_RATE, alpha = DEFAULT_ALPHA } = options;
  checkChecks(n);
  checkProbability(fpRate, "fpRate", true);
  checkProbability(alpha, "alpha");
  const kCrit = criticalCount(n, fpRate, alpha);
  const kMax = Math.min(n, options.kMax ?? Math.max(2 * kCrit, kCrit + 10));
  if (!Number.isSafeInteger(kMax) || kMax < 0) throw new SimulationInputError("kMax", `must be a non-negative integer`);
  const rows: SingleRow[] = [];
  for (let k = 0; k <= kMax; k++) {
    const { verdict, pValue } = verdictFromCounts(k, n, { fpRate, alpha });
    rows.push({ k, pValue, cheater: verdict === Verdict.VERDICT_CHEATER });
  }
  return { n, fpRate, alpha, kCrit, rows };
}

export interface RateOptions {
  /** True mismatch rates of the checked participant, e.g. [0.02, 0.04]. */
  rates: number[];
  n?: number;
  samples?: number;
  seed?: number;
  fpRate?: number;
  alpha?: number;
}

export interface RateRow {
  rate: number;
  /** Exact P[validator votes cheater] = P[X >= kCrit], X ~ Binomial(n, rate). */
  exact: number;
  /** Monte Carlo: samples whose p-value fell below alpha. */
  detected: number;
  monteCarlo: number;
  ci95: [number, number];
  /** Mean simulated mismatch count (n * rate expected). */
  meanMismatches: number;
}

export interface RateResult {
  n: number;
  fpRate: number;
  alpha: number;
  kCrit: number;
  samples: number;
  seed: number;
  rows: RateRow[];
}

/**
 * The report's cheater-rate Monte Carlo: each sample draws n nonce checks that mismatch with
 * probability `rate`, runs the binomial test and votes; the detected share is shown next to the
 * exact probability and its Wilson 95% interval.
 * @example simulateRate({ rates: [0.04], samples: 1000, seed: 1 }).rows[0].exact // 0.54989...
 */
export function simulateRate(options: RateOptions): RateResult {
  const {
    rates,
    n = DEFAULT_CHECKS,
    samples = 1000,
    seed = DEFAULT_SEED,
    fpRate = DEFAULT_FP_RATE,
    alpha = DEFAULT_ALPHA,
  } = options;
  checkChecks(n);
  checkChecks(samples, "samples");
  checkProbability(fpRate, "fpRate", true);
  checkProbability(alpha, "alpha");
  if (rates.length === 0) throw new SimulationInputError("rates", "at least one rate is needed");
  for (const [i, r] of rates.entries()) checkProbability(r, `rates[${i}]`);
  const kCrit = criticalCount(n, fpRate, alpha);
  const rng = createRng(seed);
  // p-values per count once: the test only ever sees k.
  const pValues = Array.from({ length: n + 1 }, (_, k) => binomialPValue(k, n, fpRate));
  const rows = rates.map((rate): RateRow => {
    let detected = 0;
    let mismatchSum = 0;
    for (let s = 0; s < samples; s++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (rng.nextFloat() < rate) k++;
      mismatchSum += k;
      if (pValues[k]! < alpha) detected++;
    }
    return {
      rate,
      exact: binomialPValue(kCrit, n, rate),
      detected,
      monteCarlo: detected / samples,
      ci95: wilsonInterval(detected, samples),
      meanMismatches: mismatchSum / samples,
    };
  });
  return { n, fpRate, alpha, kCrit, samples, seed, rows };
}
