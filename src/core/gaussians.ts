// Standard normal values from a SHA-256 counter stream (Box-Muller on 32-bit uniforms): the one
// generator behind the reference backend's vectors and a cheating participant's random vectors.
// Deterministic for given bytes; any change here changes every reference vector.
import { sha256 } from "./hash.js";

const TWO_POW_32 = 2 ** 32;

/**
 * `count` standard normals: block b is SHA-256 of `message` with its last 8 bytes set to u64le(b)
 * (written in place, so a caller may reuse its buffer); each block's eight little-endian u32 give
 * four pairs (u1, u2), each pair r·cos(2πu2), r·sin(2πu2) with r = sqrt(-2 ln u1).
 * @example sha256Gaussians(concatBytes(seed, new Uint8Array(8)), 12) // 12 normals
 */
export function sha256Gaussians(message: Uint8Array, count: number): Float64Array {
  if (message.length < 8) throw new RangeError("message must end with 8 bytes for the block counter");
  const counter = new DataView(message.buffer, message.byteOffset + message.length - 8, 8);
  // u64 little endian: blocks stay far below 2^32.
  counter.setUint32(4, 0, true);
  const out = new Float64Array(count);
  let filled = 0;
  for (let block = 0; filled < count; block++) {
    counter.setUint32(0, block, true);
    const bytes = sha256(message);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < 8 && filled < count; i += 2) {
      // +0.5 keeps u1 off zero, so log(u1) is finite.
      const u1 = (view.getUint32(i * 4, true) + 0.5) / TWO_POW_32;
      const u2 = (view.getUint32(i * 4 + 4, true) + 0.5) / TWO_POW_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[filled++] = r * Math.cos(2 * Math.PI * u2);
      if (filled < count) out[filled++] = r * Math.sin(2 * Math.PI * u2);
    }
  }
  return out;
}
