// Confidence intervals of a binomial proportion (Wilson, Clopper-Pearson upper bound).
import { binomialPValue } from "../core/index.js";

/** The 0.975 quantile of the standard normal: a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval of a binomial proportion (95% by default): unlike the normal
 * approximation it stays inside [0, 1] and is sensible at 0 or all successes.
 * @example wilsonInterval(515, 1000) // [0.4840..., 0.5459...]
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): [number, number] {
  if (!Number.isSafeInteger(trials) || trials <= 0)
    throw new RangeError(`trials must be a positive integer, got ${trials}`);
  if (!Number.isSafeInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes must be an integer in [0, ${trials}], got ${successes}`);
  }
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Exact one-sided Clopper-Pearson upper bound of a binomial proportion: the p at which
 * P[X <= k] = 1 - confidence, i.e. `scipy.stats.beta.ppf(confidence, k + 1, n - k)`; 1 when k = n.
 * Bisection on the exact binomial tail to double precision.
 * @example clopperPearsonUpper(17, 500) // 0.050564...
 */
export function clopperPearsonUpper(successes: number, trials: number, confidence = 0.95): number {
  if (!Number.isSafeInteger(trials) || trials <= 0)
    throw new RangeError(`trials must be a positive integer, got ${trials}`);
  if (!Number.isSafeInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes must be an integer in [0, ${trials}], got ${successes}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (successes === trials) return 1;
  // k = 0 has the closed form 1 - (1 - confidence)^(1/n).
  if (successes === 0) return -Math.expm1(Math.log1p(-confidence) / trials);
  // P[X >= k + 1] rises with p; find where it reaches the confidence.
  let lo = successes / trials;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 0; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (binomialPValue(successes + 1, trials, mid) < confidence) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
