// Exact binomial tail with Loader's saddle-point pmf (as R's dbinom and scipy's boost both
// reach): accurate to ~1e-13 relative for n up to 10^6 and tails down to 1e-300.

const LN_2PI = Math.log(2 * Math.PI);

function logFactorialSmall(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

/** log(n!) - log(sqrt(2 pi n) (n/e)^n): the error of Stirling's formula, for integers n >= 1. */
function stirlerr(n: number): number {
  if (n <= 15) return logFactorialSmall(n) - (n + 0.5) * Math.log(n) + n - 0.5 * LN_2PI;
  const nn = n * n;
  if (n > 500) return (1 / 12 - 1 / 360 / nn) / n;
  if (n > 80) return (1 / 12 - (1 / 360 - 1 / 1260 / nn) / nn) / n;
  if (n > 35) return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / 1680 / nn) / nn) / nn) / n;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / nn) / nn) / nn) / nn) / n;
}

/** x log(x / np) + np - x, computed without cancellation when x is near np. */
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/** log P[X = x] for X ~ Binomial(n, p), 0 < p < 1, integer 0 <= x <= n. */
export function binomialLogPmf(x: number, n: number, p: number): number {
  const q = 1 - p;
  if (x === 0) return n === 0 ? 0 : p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q);
  if (x === n) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p);
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

function checkBinomialArgs(k: number, n: number, p: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isSafeInteger(k)) throw new RangeError(`k must be an integer, got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
}

/**
 * One-sided binomial p-value P[X >= k], X ~ Binomial(n, p): the value of
 * `scipy.stats.binomtest(k, n, p, alternative="greater").pvalue`.
 * @example binomialPValue(35, 2000, 0.02) // 0.8088...
 */
export function binomialPValue(k: number, n: number, p: number): number {
  checkBinomialArgs(k, n, p);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const odds = p / (1 - p);
  if (k > (n + 1) * p) {
    // Upper tail, terms decrease from k: sum pmf(k) * prod (n-i)/(i+1) * odds.
    const first = binomialLogPmf(k, n, p);
    let term = 1;
    let sum = 1;
    for (let i = k; i < n; i++) {
      term *= ((n - i) / (i + 1)) * odds;
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.min(1, Math.exp(first) * sum);
  }
  // Lower tail below k is at most about one half here: 1 - P[X <= k-1], terms decrease downward.
  const first = binomialLogPmf(k - 1, n, p);
  let term = 1;
  let sum = 1;
  for (let i = k - 1; i > 0; i--) {
    term *= i / (n - i + 1) / odds;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.max(0, 1 - Math.exp(first) * sum);
}

/** The binomial test's decision figures for one detection setting. */
export interface DetectionPower {
  /** Smallest mismatch count whose p-value is below alpha (n + 1 when none is). */
  kCrit: number;
  /** P[X >= kCrit] when the true mismatch rate is `rate`. */
  power: number;
  /** P[X >= kCrit] when the true mismatch rate is the honest fpRate. */
  falsePositiveRate: number;
}

/** Smallest k with binomialPValue(k, n, fpRate) < alpha, or n + 1 when no k qualifies. */
export function criticalCount(n: number, fpRate: number, alpha: number): number {
  // The p-value falls as k grows, so bisect.
  let lo = 0;
  let hi = n + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialPValue(mid, n, fpRate) < alpha) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Power and false-positive rate of the test "vote CHEATER iff p < alpha" with n checks.
 * @example detectionPower(200, 0.02, 0.05, 0.04) // { kCrit: 8, power: 0.5..., falsePositiveRate: 0.04... }
 */
export function detectionPower(n: number, fpRate: number, alpha: number, rate: number): DetectionPower {
  const kCrit = criticalCount(n, fpRate, alpha);
  return {
    kCrit,
    power: binomialPValue(kCrit, n, rate),
    falsePositiveRate: binomialPValue(kCrit, n, fpRate),
  };
}

/**
 * Percentile q (0..100) with numpy's default "linear" method, including its lerp rounding.
 * @example percentile([1, 2, 3, 4], 50) // 2.5
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError("percentile of an empty list");
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile q must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  // Same operation order as numpy: (q / 100) * (n - 1).
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
