// The validator's check of served leaves (docs/protocol.md "The validator's check", step 3): one
// home for the rule, used by the sidecar when it checks and by `pocval audit` when it re-checks.
import { fromBase64 } from "./encoding.js";
import { DecodeError } from "./errors.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import type { LeafProof } from "./proof-api.js";
import { decodeVector } from "./vector.js";

/** The participant faults a served answer can show, as the chain's reason names them. */
export type LeafFault = "INVALID_PROOF" | "BAD_NONCE" | "BAD_VECTOR";

export type ServedLeavesCheck =
  | { ok: true; leaves: { index: number; vector: Float64Array }[] }
  | { ok: false; fault: LeafFault; leafIndex: number; detail: string };

/**
 * Checks an answer for the requested leaves against (root, count): every requested index
 * answered exactly once and nothing else (else INVALID_PROOF), each audit path verifies
 * (INVALID_PROOF), nonce equals index (BAD_NONCE), the vector is k_dim finite binary16 values
 * (BAD_VECTOR). The first faulty leaf decides: first in the answer for unrequested or repeated
 * leaves, then in request order.
 * @example verifyServedLeaves({indices: [0], proofs, rootHash, count: 1, kDim: 12}) // {ok: true, leaves: [...]}
 */
export function verifyServedLeaves(input: {
  indices: readonly number[];
  proofs: readonly LeafProof[];
  rootHash: Uint8Array;
  count: number;
  kDim: number;
}): ServedLeavesCheck {
  const byIndex = new Map<number, LeafProof>();
  const requested = new Set(input.indices);
  for (const p of input.proofs) {
    if (!requested.has(p.leaf_index)) {
      return {
        ok: false,
        fault: "INVALID_PROOF",
        leafIndex: p.leaf_index,
        detail: `leaf ${p.leaf_index} was not requested`,
      };
    }
    if (byIndex.has(p.leaf_index)) {
      return {
        ok: false,
        fault: "INVALID_PROOF",
        leafIndex: p.leaf_index,
        detail: `leaf ${p.leaf_index} answered twice`,
      };
    }
    byIndex.set(p.leaf_index, p);
  }
  const leaves: { index: number; vector: Float64Array }[] = [];
  for (const index of input.indices) {
    const p = byIndex.get(index);
    if (p === undefined)
      return { ok: false, fault: "INVALID_PROOF", leafIndex: index, detail: `leaf ${index} is missing` };
    let bytes: Uint8Array;
    let path: Uint8Array[];
    try {
      bytes = fromBase64(p.vector_b64, "vector_b64");
      path = p.audit_path.map((h, i) => fromBase64(h, `audit_path.${i}`));
    } catch (err) {
      return {
        ok: false,
        fault: "INVALID_PROOF",
        leafIndex: index,
        detail: `leaf ${index}: ${(err as Error).message}`,
      };
    }
    if (!verifyInclusion(leafHash(p.nonce, bytes), index, input.count, path, input.rootHash)) {
      return {
        ok: false,
        fault: "INVALID_PROOF",
        leafIndex: index,
        detail: `leaf ${index}: the audit path does not verify against the committed root and count ${input.count}`,
      };
    }
    if (p.nonce !== index) {
      return { ok: false, fault: "BAD_NONCE", leafIndex: index, detail: `leaf ${index} holds nonce ${p.nonce}` };
    }
    try {
      leaves.push({ index, vector: decodeVector(bytes, input.kDim, `leaf ${index} vector`) });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { ok: false, fault: "BAD_VECTOR", leafIndex: index, detail: err.message };
    }
  }
  return { ok: true, leaves };
}
