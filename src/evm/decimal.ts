// Decimal values cross the EVM boundary as 18-decimal fixed point integers; bignumber.js does the
// decimal arithmetic so that no value passes through a binary double.

import BigNumber from "bignumber.js";
import { PocvalError } from "../core/index.js";

const E18 = new BigNumber(10).pow(18);
const Decimal = BigNumber.clone({ EXPONENTIAL_AT: [-1e9, 1e9], DECIMAL_PLACES: 36 });

export class DecimalError extends PocvalError {
  constructor(message: string) {
    super(message);
    this.name = "DecimalError";
  }
}

function parse(value: string, what: string): BigNumber {
  const n = new Decimal(value);
  if (!n.isFinite() || n.isNegative()) throw new DecimalError(`${what} "${value}" is not a non-negative decimal`);
  return n;
}

/**
 * A decimal string as an 18-decimal fixed point integer, exactly: more than 18 decimals is an error.
 * @example toE18("0.02", "fp_rate") // 20000000000000000n
 */
export function toE18(value: string, what: string): bigint {
  const scaled = parse(value, what).times(E18);
  if (!scaled.isInteger()) throw new DecimalError(`${what} "${value}" has more than 18 decimals`);
  return BigInt(scaled.toFixed(0));
}

/**
 * A p-value string (decimal or exponent notation, as votes carry it) as 18-decimal fixed point,
 * rounded down so that p < alpha stays true of the fixed-point value.
 * @example pValueToE18("1e-30") // 0n
 */
export function pValueToE18(value: string): bigint {
  const p = parse(value, "p_value");
  if (p.isGreaterThan(1)) throw new DecimalError(`p_value "${value}" exceeds 1`);
  return BigInt(p.times(E18).integerValue(BigNumber.ROUND_DOWN).toFixed(0));
}

/**
 * An 18-decimal fixed point integer as the shortest decimal string.
 * @example fromE18(50000000000000000n) // "0.05"
 */
export function fromE18(value: bigint): string {
  return new Decimal(value.toString()).div(E18).toFixed();
}
