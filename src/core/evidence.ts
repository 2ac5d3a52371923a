// evidence_hash of a vote (docs/protocol.md). Pure.
import { concatBytes } from "./encoding.js";
import { sha256 } from "./hash.js";

const DOMAIN = new TextEncoder().encode("pocval/evidence/v1");

/**
 * evidence_hash of a vote: SHA-256("pocval/evidence/v1" || for each sampled leaf in sample order:
 * u64_le(index) || f64_le(distance)). A leaf that was not recomputed (the vote was decided by a
 * proof, nonce or vector fault, or the proof API was unavailable) carries distance null, written
 * as the canonical NaN 0x7ff8000000000000.
 */
export function evidenceHash(indices: readonly number[], distances: readonly (number | null)[]): Uint8Array {
  if (indices.length !== distances.length) {
    throw new RangeError(`evidenceHash: ${indices.length} indices but ${distances.length} distances`);
  }
  const body = new Uint8Array(indices.length * 16);
  const view = new DataView(body.buffer);
  for (let i = 0; i < indices.length; i++) {
    view.setBigUint64(i * 16, BigInt(indices[i]!), true);
    const d = distances[i];
    if (d === null || d === undefined || Number.isNaN(d)) view.setBigUint64(i * 16 + 8, 0x7ff8000000000000n, true);
    else view.setFloat64(i * 16 + 8, d, true);
  }
  return sha256(concatBytes(DOMAIN, body));
}
