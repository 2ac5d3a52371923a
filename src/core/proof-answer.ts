// Signed proof answers and the evidence behind fault votes (docs/protocol.md "Signed proof
// answers"): the participant signs each 200 answer, a validator keeps the signed answer behind
// an INVALID_PROOF, BAD_NONCE or BAD_VECTOR vote, and anyone re-checks it offline.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { z } from "zod";
import { fromBase64, toBase64 } from "./encoding.js";
import { sha256 } from "./hash.js";
import { type LeafFault, verifyServedLeaves } from "./leaves.js";
import {
  addressFromPubKey,
  leafProofSchema,
  MAX_LEAF_INDICES,
  type ProofRequest,
  proofRequestSchema,
  verifyProofRequest,
} from "./proof-api.js";
import { auditUnavailable } from "./unavailable.js";

const height = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const base64Of = (bytes: number) =>
  z
    .string()
    .max(1000)
    .refine((s) => {
      try {
        return fromBase64(s, "").length === bytes;
      } catch {
        return false;
      }
    }, `must be standard base64 of ${bytes} bytes`);

/** A 200 answer of `POST /pocval/v1/proofs` in protocol version 2: the request's facts repeated, signed. */
export const signedProofAnswerSchema = z.strictObject({
  stage_height: height,
  count: height,
  root_hash: base64Of(32),
  validator_address: z.string().min(1).max(256),
  timestamp_ns: z.string().regex(/^\d{1,20}$/, "must be a decimal string of nanoseconds"),
  proofs: z.array(leafProofSchema).max(MAX_LEAF_INDICES),
  participant_signature: base64Of(64),
});
export type SignedProofAnswer = z.infer<typeof signedProofAnswerSchema>;
export type UnsignedProofAnswer = Omit<SignedProofAnswer, "participant_signature">;

/**
 * JSON with the keys of every object sorted and no whitespace (arrays keep their order).
 * @example canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The bytes the participant signs: the canonical JSON of the answer without its signature. */
export function proofAnswerSignBytes(answer: UnsignedProofAnswer): Uint8Array {
  const { participant_signature: _omit, ...unsigned } = answer as SignedProofAnswer;
  return new TextEncoder().encode(canonicalJson(unsigned));
}

/** Signs an answer with the participant's account key, as Cosmos signs (SHA-256, r||s, low s). */
export function signProofAnswer(answer: UnsignedProofAnswer, privateKey: Uint8Array): SignedProofAnswer {
  const signature = secp256k1.sign(sha256(proofAnswerSignBytes(answer)), privateKey, { prehash: false, lowS: true });
  return { ...answer, participant_signature: toBase64(signature) };
}

/**
 * The account addresses whose key could have made the answer's signature (public-key recovery:
 * no key travels with the answer; the participant is known by its address).
 */
export function proofAnswerSigners(answer: SignedProofAnswer, prefix: string): string[] {
  return recoverSigners(answer, prefix);
}

/**
 * proofAnswerSigners, or with `wanted` only that address if it signed: a recovered key of another
 * address is not verified, and the search stops at the match (a validator checks every answer of
 * a stage on its event loop; this halves the curve arithmetic).
 */
function recoverSigners(answer: SignedProofAnswer, prefix: string, wanted?: string): string[] {
  let signature: Uint8Array;
  try {
    signature = fromBase64(answer.participant_signature, "participant_signature");
  } catch {
    return [];
  }
  if (signature.length !== 64) return [];
  const digest = sha256(proofAnswerSignBytes(answer));
  const out: string[] = [];
  for (const bit of [0, 1]) {
    const recovered = new Uint8Array(65);
    recovered[0] = bit;
    recovered.set(signature, 1);
    try {
      const pub = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
      const address = addressFromPubKey(pub, prefix);
      if (wanted !== undefined && address !== wanted) continue;
      // Recovery accepts high-s; Cosmos signatures are low-s only.
      if (secp256k1.verify(signature, digest, pub, { prehash: false, lowS: true })) {
        out.push(address);
        if (wanted !== undefined) break;
      }
    } catch {
      // Not a point for this recovery bit.
    }
  }
  return out;
}

export type AnswerCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks that an answer repeats the request's facts and that `participant` signed it.
 * @example verifyProofAnswer(answer, request, "pocval1...", "pocval") // { ok: true }
 */
export function verifyProofAnswer(
  answer: SignedProofAnswer,
  request: Pick<ProofRequest, "stage_height" | "count" | "root_hash" | "validator_address" | "timestamp_ns">,
  participant: string,
  prefix: string,
): AnswerCheck {
  for (const field of ["stage_height", "count", "root_hash", "validator_address", "timestamp_ns"] as const) {
    if (answer[field] !== request[field]) {
      return { ok: false, reason: `${field}: the answer says ${answer[field]}, the request ${request[field]}` };
    }
  }
  if (recoverSigners(answer, prefix, participant).length === 0) {
    return { ok: false, reason: `participant_signature: not made by ${participant}'s key` };
  }
  return { ok: true };
}

/** What a validator keeps behind a fault vote, and serves at GET /evidence. */
export const faultEvidenceSchema = z.strictObject({
  participant: z.string().min(1).max(256),
  reason: z.enum(["INVALID_PROOF", "BAD_NONCE", "BAD_VECTOR"]),
  /** The chain's k_dim for the stage (BAD_VECTOR is judged against it). */
  k_dim: z.number().int().min(1).max(65_536),
  /** The validator's signed request, naming the leaves asked for. */
  request: proofRequestSchema,
  /** The participant's signed answer that shows the fault. */
  answer: signedProofAnswerSchema,
});
export type FaultEvidence = z.infer<typeof faultEvidenceSchema>;

/** `pocval audit --evidence` output. */
export interface AuditResult {
  valid: boolean;
  reason: string;
  participant: string | null;
  leaf_index: number | null;
}

/**
 * Re-checks a fault vote's evidence offline: the validator signed the request for this
 * participant, the participant signed an answer to exactly that request, and the answer's
 * leaves fail as the vote says (its first faulty leaf shows that very fault).
 * @example auditEvidence(JSON.parse(text), "pocval") // { valid: true, reason: "BAD_NONCE: leaf 7 holds nonce 6", ... }
 */
export function auditEvidence(input: unknown, prefix: string): AuditResult {
  // An UNAVAILABLE vote's evidence is its failed tries (core/unavailable.ts).
  if (typeof input === "object" && input !== null && (input as { reason?: unknown }).reason === "UNAVAILABLE") {
    return { ...auditUnavailable(input, prefix), leaf_index: null };
  }
  const parsed = faultEvidenceSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "evidence";
    return { valid: false, reason: `${where}: ${issue?.message}`, participant: null, leaf_index: null };
  }
  const e = parsed.data;
  const refuse = (reason: string, leafIndex: number | null = null): AuditResult => ({
    valid: false,
    reason,
    participant: e.participant,
    leaf_index: leafIndex,
  });
  // The validator's own signature, at the request's own time (the 5-minute window is the server's business).
  const request = verifyProofRequest(e.request, prefix, BigInt(e.request.timestamp_ns));
  if (!request.ok) return refuse(`request: ${request.reason}`);
  if (e.request.participant_address !== e.participant) {
    return refuse(`request.participant_address: ${e.request.participant_address}, not ${e.participant}`);
  }
  const answer = verifyProofAnswer(e.answer, e.request, e.participant, prefix);
  if (!answer.ok) return refuse(`answer.${answer.reason}`);
  const check = verifyServedLeaves({
    indices: e.request.leaf_indices,
    proofs: e.answer.proofs,
    rootHash: fromBase64(e.answer.root_hash, "root_hash"),
    count: e.answer.count,
    kDim: e.k_dim,
  });
  if (check.ok) return refuse(`no leaf fails: the answer does not show ${e.reason}`);
  if (check.fault !== (e.reason as LeafFault)) {
    return refuse(`the answer shows ${check.fault} (${check.detail}), not ${e.reason}`, check.leafIndex);
  }
  return {
    valid: true,
    reason: `${check.fault}: ${check.detail}`,
    participant: e.participant,
    leaf_index: check.leafIndex,
  };
}
