// Artifact vectors as the protocol stores them: binary16 little-endian bytes, encoded and decoded
// exactly. Pure.
import { fromBase64, toBase64 } from "./encoding.js";
import { DecodeError } from "./errors.js";

// binary16 conversion by hand: Node 20 has neither Float16Array nor Math.f16round.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds a number to the nearest binary16 bit pattern (round half to even). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  // Re-bias from 127 to 15.
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number a binary16 bit pattern holds. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes values as k_dim binary16 little-endian bytes (2 bytes each). */
export function encodeVector(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, toHalfBits(values[i]!), true);
  return out;
}

/**
 * Decodes exactly kDim finite binary16 values; a wrong length, NaN or infinity is a DecodeError
 * that says which.
 * @example decodeVector(encodeVector([1, -0.5]), 2) // Float64Array [1, -0.5]
 */
export function decodeVector(bytes: Uint8Array, kDim: number, field = "vector"): Float64Array {
  if (bytes.length !== kDim * 2) {
    throw new DecodeError(field, `expected ${kDim * 2} bytes (k_dim ${kDim} binary16 values), got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(kDim);
  for (let i = 0; i < kDim; i++) {
    const v = fromHalfBits(view.getUint16(i * 2, true));
    if (Number.isNaN(v)) throw new DecodeError(field, `value ${i} is NaN`);
    if (!Number.isFinite(v)) throw new DecodeError(field, `value ${i} is infinite`);
    out[i] = v;
  }
  return out;
}

/** base64 of a vector's binary16 bytes, as `vector_b64` travels on JSON APIs. */
export function vectorToBase64(values: ArrayLike<number>): string {
  return toBase64(encodeVector(values));
}

/** Decodes `vector_b64` into kDim finite values, or throws a DecodeError naming the field. */
export function vectorFromBase64(text: string, kDim: number, field = "vector_b64"): Float64Array {
  return decodeVector(fromBase64(text, field), kDim, field);
}

/** Euclidean (L2) distance of two vectors of equal length. */
export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`l2Distance: lengths differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}
