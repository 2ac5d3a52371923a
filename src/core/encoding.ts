// Byte encodings of the protocol (base64, hex, little-endian integers), strict on input. No I/O.
import { DecodeError } from "./errors.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-f]{2})*$/;

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Decodes standard padded base64, refusing anything Buffer would silently skip.
 * @example fromBase64("AAE=", "root_hash") // Uint8Array [0, 1]
 */
export function fromBase64(text: string, field: string): Uint8Array {
  if (typeof text !== "string" || !BASE64.test(text)) throw new DecodeError(field, "not standard padded base64");
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Decodes hex (either case) of an exact byte length when `length` is given. */
export function fromHex(text: string, field: string, length?: number): Uint8Array {
  const lower = typeof text === "string" ? text.toLowerCase() : "";
  if (!HEX.test(lower)) throw new DecodeError(field, "not an even-length hex string");
  const bytes = new Uint8Array(Buffer.from(lower, "hex"));
  if (length !== undefined && bytes.length !== length) {
    throw new DecodeError(field, `expected ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** 8 bytes little endian of a non-negative integer below 2^64. */
export function u64le(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`u64 out of range: ${v}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-shape byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
