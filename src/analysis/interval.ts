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
