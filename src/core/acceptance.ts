// Early acceptance (protocol version 3, param acceptance_rate): a check may stop HONEST at a chunk
// boundary c < n when mismatches <= a(c), with a(c) = floor(lambda * c) from one parameter, the
// acceptance rate lambda (a decimal, read exactly): a line below the honest rate, SPRT-style.
import { decimalFraction, type Rational } from "./kcrit.js";

/**
 * a(c) for c = 0 .. n - 1 (a(0) = -1: nothing is accepted before a leaf is checked); c >= n has no entry.
 * @example acceptanceTable(5, "0.5") // [-1, 0, 1, 1, 2]
 */
export function acceptanceTable(n: number, lambda: Rational | string): number[] {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`n must be a positive integer, got ${n}`);
  const r = typeof lambda === "string" ? decimalFraction(lambda, "acceptance_rate") : lambda;
  return Array.from({ length: n }, (_, c) => acceptanceLimit(c, r));
}

/**
 * a(c) = floor(lambda * c) for one c >= 0, exactly (a(0) = -1): the most mismatches a check may have
 * found in its first c leaves and stop HONEST at c < n (the caller checks c < n).
 * @example acceptanceLimit(100, "0.015") // 1
 */
export function acceptanceLimit(checked: number, lambda: Rational | string): number {
  if (!(Number.isSafeInteger(checked) && checked >= 0)) {
    throw new RangeError(`checked must be a non-negative integer, got ${checked}`);
  }
  if (checked === 0) return -1;
  const r = typeof lambda === "string" ? decimalFraction(lambda, "acceptance_rate") : lambda;
  return Number((BigInt(checked) * r.num) / r.den);
}

/** A check at `checked` < n leaves with `mismatches` may stop HONEST early. */
export function acceptsEarly(table: readonly number[], checked: number, mismatches: number): boolean {
  return checked < table.length && mismatches <= table[checked]!;
}
