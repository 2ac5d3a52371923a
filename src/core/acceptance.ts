// Early acceptance (issue 23 item 3, protocol version 3, not yet on chain): a check may stop HONEST at
// a chunk boundary c < n when mismatches <= a(c), with a(c) = floor(lambda * c) from one parameter,
// the acceptance rate lambda (a decimal, read exactly): a line below the honest rate, SPRT-style.
import { decimalFraction, type Rational } from "./kcrit.js";

/**
 * a(c) for c = 0 .. n - 1 (a(0) = -1: nothing is accepted before a leaf is checked); c >= n has no entry.
 * @example acceptanceTable(5, "0.5") // [-1, 0, 1, 1, 2]
 */
export function acceptanceTable(n: number, lambda: Rational | string): number[] {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError(`n must be a positive integer, got ${n}`);
  const r = typeof lambda === "string" ? decimalFraction(lambda, "acceptance_rate") : lambda;
  return Array.from({ length: n }, (_, c) => (c === 0 ? -1 : Number((BigInt(c) * r.num) / r.den)));
}

/** A check at `checked` < n leaves with `mismatches` may stop HONEST early. */
export function acceptsEarly(table: readonly number[], checked: number, mismatches: number): boolean {
  return checked < table.length && mismatches <= table[checked]!;
}
