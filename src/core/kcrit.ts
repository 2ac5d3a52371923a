// Exact critical counts of the binomial test (docs/protocol.md, Version 2): rational bigint
// arithmetic only, so every node, sidecar and contract table agrees to the last digit.

/** A non-negative rational number num/den, den > 0. */
import { PocvalError } from "./errors.js";
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Thrown when a rate or level is not a decimal in [0, 1]. */
export class DecimalFractionError extends PocvalError {
  constructor(
    readonly field: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${field} ${JSON.stringify(value)} is not a valid decimal: ${reason}`);
    this.name = "DecimalFractionError";
  }
}

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal string ("0.02", "5e-2", "1") as an exact fraction in [0, 1].
 * @example decimalFraction("0.02", "fp_rate") // { num: 2n, den: 100n }
 */
export function decimalFraction(value: string, field = "value"): Rational {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new DecimalFractionError(field, value, "expected digits, an optional fraction and exponent");
  const [, whole = "", fraction = "", exponent = "0"] = match;
  const exp = Number(exponent) - fraction.length;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) {
    throw new DecimalFractionError(field, value, "exponent out of range");
  }
  let num = BigInt(whole + fraction);
  let den = 1n;
  if (exp >= 0) num *= 10n ** BigInt(exp);
  else den = 10n ** BigInt(-exp);
  if (num > den) throw new DecimalFractionError(field, value, "must be at most 1");
  return { num, den };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The fraction in lowest terms (smaller bigints in every power that follows). */
function asRational(value: Rational | string, field: string): Rational {
  const r = typeof value === "string" ? decimalFraction(value, field) : value;
  if (r.den <= 0n || r.num < 0n || r.num > r.den) {
    throw new RangeError(`${field} must be a fraction in [0, 1], got ${r.num}/${r.den}`);
  }
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

function checkN(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
}

/**
 * P[X >= k], X ~ Binomial(n, p), as an exact fraction in lowest terms.
 * @example binomialTailExact(1, 2, { num: 1n, den: 2n }) // { num: 3n, den: 4n }
 */
export function binomialTailExact(k: number, n: number, p: Rational | string): Rational {
  checkN(n);
  if (!Number.isSafeInteger(k)) throw new RangeError(`k must be an integer, got ${k}`);
  const { num: a, den: b } = asRational(p, "p");
  if (k <= 0) return { num: 1n, den: 1n };
  if (k > n) return { num: 0n, den: 1n };
  const den = b ** BigInt(n);
  // sum_{i=k}^{n} C(n,i) a^i (b-a)^(n-i), built upward from i = k.
  const q = b - a;
  let coef = 1n; // C(n, k)
  for (let i = 0; i < k; i++) coef = (coef * BigInt(n - i)) / BigInt(i + 1);
  let apow = a ** BigInt(k);
  let qpow = q ** BigInt(n - k);
  let sum = 0n;
  for (let i = k; i <= n; i++) {
    sum += coef * apow * qpow;
    if (i === n) break;
    coef = (coef * BigInt(n - i)) / BigInt(i + 1);
    apow *= a;
    qpow = q === 0n ? (n - i - 1 === 0 ? 1n : 0n) : qpow / q;
  }
  const g = gcd(sum, den);
  return { num: sum / g, den: den / g };
}

/**
 * k_crit(n): the smallest k with P[X >= k] < alpha, X ~ Binomial(n, fpRate), exactly; n + 1 when no
 * k qualifies (alpha = 0, or alpha below P[X >= n]). Decimals are read exactly ("0.02" is 2/100).
 * @example kCrit(200, "0.02", "0.05") // 8
 */
export function kCrit(n: number, fpRate: Rational | string, alpha: Rational | string): number {
  checkN(n);
  return criticalFor(n, asRational(fpRate, "fp_rate"), asRational(alpha, "alpha"));
}

/**
 * [k_crit(0), k_crit(1), ..., k_crit(maxN)]: the table the EVM contract is given, and what the chain
 * consults for participants with fewer leaves than sample_size.
 * @example kCritTable(3, "0.5", "0.2") // [1, 2, 3, 3]
 */
export function kCritTable(maxN: number, fpRate: Rational | string, alpha: Rational | string): number[] {
  checkN(maxN);
  const p = asRational(fpRate, "fp_rate");
  const level = asRational(alpha, "alpha");
  const out: number[] = [];
  for (let n = 0; n <= maxN; n++) out.push(criticalFor(n, p, level));
  return out;
}

/**
 * Exact k_crit for one n: walks the cumulative sum from the nearer end (up from 0 when
 * fp_rate <= 1/2, where k_crit is small; down from n otherwise), so it takes about
 * min(k_crit, n - k_crit) bigint steps.
 */
function criticalFor(n: number, p: Rational, alpha: Rational): number {
  const { num: a, den: b } = p;
  const q = b - a;
  const N = BigInt(n);
  const scale = b ** N;
  if (alpha.num === 0n) return n + 1;
  if (2n * a <= b) {
    // P[X >= i + 1] < alpha  <=>  P[X <= i] > 1 - alpha  <=>  cdf * alpha.den > (alpha.den - alpha.num) * b^n
    const bound = (alpha.den - alpha.num) * scale;
    let coef = 1n; // C(n, i)
    let apow = 1n;
    let qpow = q ** N;
    let cdf = 0n;
    for (let i = 0; i <= n; i++) {
      cdf += coef * apow * qpow;
      if (cdf * alpha.den > bound) return i + 1;
      if (i === n) break;
      coef = (coef * BigInt(n - i)) / BigInt(i + 1);
      apow *= a;
      qpow /= q; // q >= b/2 > 0 here
    }
    return n + 1;
  }
  // tail(i) < alpha  <=>  tail * alpha.den < alpha.num * b^n
  const bound = alpha.num * scale;
  let coef = 1n; // C(n, i), i from n down
  let apow = a ** N;
  let qpow = 1n;
  let tail = 0n;
  for (let i = n; i >= 0; i--) {
    tail += coef * apow * qpow;
    if (tail * alpha.den >= bound) return i + 1;
    if (i === 0) break;
    coef = (coef * BigInt(i)) / BigInt(n - i + 1);
    apow /= a; // a > b/2 > 0 here
    qpow *= q;
  }
  // Unreachable: P[X >= 0] = 1 >= alpha for every alpha in [0, 1].
  return 0;
}
