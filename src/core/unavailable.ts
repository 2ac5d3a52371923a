// The evidence behind a CHEATER UNAVAILABLE vote (docs/protocol.md "Availability"): the
// validator's signed proof requests, exactly its proof_request_budget of them, each with the
// failure it met, and the offline check anyone can run on it (`pocval audit`). Pure.
import { z } from "zod";
import { type ProofRequest, proofRequestSchema, verifyProofRequest } from "./proof-api.js";

/** How one proof request failed; every kind is a failed try (the participant's side). */
export const PROOF_FAILURE_KINDS = [
  "unreachable",
  "timeout",
  "http",
  "conflict",
  "oversize",
  "malformed",
  "bad_signature",
  "rate_limited",
] as const;
export type ProofFailureKind = (typeof PROOF_FAILURE_KINDS)[number];

/** One signed request and what went wrong with it. */
export const failedTrySchema = z.strictObject({
  request: proofRequestSchema,
  failure: z.strictObject({
    kind: z.enum(PROOF_FAILURE_KINDS),
    /** The HTTP status when one came (429, 5xx, 409 ...). */
    status: z.number().int().min(100).max(599).optional(),
    /** The Retry-After the participant asked for, in ms (429). */
    retry_after_ms: z.number().int().min(0).optional(),
    detail: z.string().max(2000),
  }),
});
export type FailedTry = z.infer<typeof failedTrySchema>;

/** What a validator keeps behind an UNAVAILABLE vote, and serves at GET /evidence. */
export const unavailableEvidenceSchema = z.strictObject({
  participant: z.string().min(1).max(256),
  reason: z.literal("UNAVAILABLE"),
  /** The chain's proof_request_budget and proof_response_ms the tries were made under. */
  budget: z.number().int().min(1).max(1000),
  response_ms: z.number().int().min(1),
  tries: z.array(failedTrySchema).min(1).max(1000),
});
export type UnavailableEvidence = z.infer<typeof unavailableEvidenceSchema>;

/** The evidence of an UNAVAILABLE vote from the failed tries (sent in that order). */
export function unavailableEvidence(
  participant: string,
  budget: number,
  responseMs: number,
  tries: readonly FailedTry[],
): UnavailableEvidence {
  return { participant, reason: "UNAVAILABLE", budget, response_ms: responseMs, tries: [...tries] };
}

export interface UnavailableAudit {
  valid: boolean;
  reason: string;
  participant: string | null;
}

/**
 * Re-checks an UNAVAILABLE vote's evidence offline: exactly `budget` tries, each request signed by
 * the same validator (at its own timestamp) for this participant and one stage's (count, root),
 * no request sent twice, timestamps in sending order, each try failed. What it cannot show is
 * that the participant did not answer: the failures are the validator's word, the signed tries
 * show it spent its whole budget and no more.
 * @example auditUnavailable(JSON.parse(text), "pocval") // { valid: true, reason: "UNAVAILABLE: 8 signed tries ..." }
 */
export function auditUnavailable(input: unknown, prefix: string): UnavailableAudit {
  const parsed = unavailableEvidenceSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "evidence";
    return { valid: false, reason: `${where}: ${issue?.message}`, participant: null };
  }
  const e = parsed.data;
  const refuse = (reason: string): UnavailableAudit => ({ valid: false, reason, participant: e.participant });
  if (e.tries.length !== e.budget) {
    return refuse(`tries: ${e.tries.length} tries, but the budget is ${e.budget}: UNAVAILABLE takes all of it`);
  }
  const first: ProofRequest = e.tries[0]!.request;
  const signatures = new Set<string>();
  let lastNs = 0n;
  for (const [i, t] of e.tries.entries()) {
    const r = t.request;
    const signed = verifyProofRequest(r, prefix, BigInt(r.timestamp_ns));
    if (!signed.ok) return refuse(`tries.${i}.request: ${signed.reason}`);
    if (r.participant_address !== e.participant) {
      return refuse(`tries.${i}.request.participant_address: ${r.participant_address}, not ${e.participant}`);
    }
    for (const field of ["validator_address", "stage_height", "count", "root_hash"] as const) {
      if (r[field] !== first[field]) return refuse(`tries.${i}.request.${field}: differs from the first try's`);
    }
    if (signatures.has(r.signature)) return refuse(`tries.${i}.request: the same request sent twice`);
    signatures.add(r.signature);
    if (BigInt(r.timestamp_ns) < lastNs) return refuse(`tries.${i}.request.timestamp_ns: earlier than the try before`);
    lastNs = BigInt(r.timestamp_ns);
  }
  const kinds = new Map<string, number>();
  for (const t of e.tries) kinds.set(t.failure.kind, (kinds.get(t.failure.kind) ?? 0) + 1);
  const summary = [...kinds].map(([k, n]) => `${k} x${n}`).join(", ");
  return {
    valid: true,
    reason: `UNAVAILABLE: ${e.budget} signed tries of ${first.validator_address} at stage ${first.stage_height}, each failed (${summary})`,
    participant: e.participant,
  };
}
