// The validator's check of one participant (docs/protocol.md), as pure functions of plain values:
// verify the served leaves, then decide the vote from the distances. No I/O, no clock.
import {
  countMismatches,
  criticalCountFor,
  curtailedVerdict,
  evidenceHash,
  type LeafFault,
  type LeafProof,
  l2Distance,
  type NumericParams,
  ParamError,
  PocvalError,
  parseParams,
  verdictFromCounts,
  verifyServedLeaves,
} from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import { Reason, Verdict, type Vote } from "../gen/pocval/v1/types.js";

/** The chain params a check needs: core's parse (core/params.ts), no second shape of them. */
export type CheckParams = Pick<
  NumericParams,
  | "model"
  | "seqLen"
  | "kDim"
  | "distThreshold"
  | "fpRate"
  | "alpha"
  | "sampleSize"
  | "proofRequestBudget"
  | "proofResponseMs"
  | "acceptanceRate"
>;

/** A chain param that does not parse; the sidecar cannot check anyone under it. */
export class ChainParamsError extends PocvalError {
  override name = "ChainParamsError";
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`chain params ${field}: ${message}`, options);
  }
}

/** Parses and checks the chain params of a stage (the rules of core/params.ts). */
export function parseCheckParams(params: Params): NumericParams {
  try {
    return parseParams(params);
  } catch (e) {
    if (e instanceof ParamError) throw new ChainParamsError(e.field, e.reason, { cause: e });
    throw e;
  }
}

/** A verified leaf: its index and decoded vector. */
export interface VerifiedLeaf {
  index: number;
  vector: Float64Array;
}

export type LeafVerdict =
  | { ok: true; leaves: VerifiedLeaf[] }
  | {
      ok: false;
      reason: Reason.REASON_INVALID_PROOF | Reason.REASON_BAD_NONCE | Reason.REASON_BAD_VECTOR;
      detail: string;
      /** The same fault as src/core/leaves.ts names it (evidence carries this name). */
      fault: LeafFault;
      /** The first faulty leaf. */
      leafIndex: number;
    };

/**
 * Checks a proof API answer for the requested leaves against the on-chain (root, count), with
 * the rule of src/core/leaves.ts (verifyServedLeaves), and names the fault with the chain's reason.
 * @example verifyLeaves({indices: [0], proofs, rootHash, count: 1, kDim: 12}) // {ok: true, leaves: [...]}
 */
export function verifyLeaves(input: {
  indices: readonly number[];
  proofs: readonly LeafProof[];
  rootHash: Uint8Array;
  count: number;
  kDim: number;
}): LeafVerdict {
  const checked = verifyServedLeaves(input);
  if (checked.ok) return checked;
  return {
    ok: false,
    reason: LEAF_FAULT_REASON[checked.fault],
    fault: checked.fault,
    detail: checked.detail,
    leafIndex: checked.leafIndex,
  };
}

/** The chain's reason for each leaf fault of src/core/leaves.ts. */
export const LEAF_FAULT_REASON = {
  INVALID_PROOF: Reason.REASON_INVALID_PROOF,
  BAD_NONCE: Reason.REASON_BAD_NONCE,
  BAD_VECTOR: Reason.REASON_BAD_VECTOR,
} as const satisfies Record<LeafFault, Reason>;

/** The distances of received and recomputed vectors, in sample order. */
export function distances(received: readonly Float64Array[], recomputed: readonly Float64Array[]): number[] {
  if (received.length !== recomputed.length) {
    throw new RangeError(`distances: ${received.length} received but ${recomputed.length} recomputed vectors`);
  }
  return received.map((r, i) => l2Distance(r, recomputed[i]!));
}

/**
 * A p-value as a plain decimal string (no exponent) that reads back as exactly the same double:
 * JavaScript's shortest round-trip digits, with the exponent written out as zeros.
 * @example formatPValue(1.5e-7) // "0.00000015"
 */
export function formatPValue(p: number): string {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value out of [0, 1]: ${p}`);
  const text = String(p);
  const m = /^(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (!m) return text;
  return `0.${"0".repeat(Number(m[3]) - 1)}${m[1]}${m[2] ?? ""}`;
}

/**
 * The vote from the distances of a fully verified sample, by core/check.ts's rule (mismatch iff
 * d > dist_threshold, CHEATER iff the binomial p-value is below alpha), with its evidence hash.
 * @example decideFromDistances("pocval1...", [3, 9], [0.01, 0.5], params) // {verdict: HONEST, mismatches: 1, ...}
 */
export function decideFromDistances(
  participant: string,
  indices: readonly number[],
  dists: readonly number[],
  params: Pick<CheckParams, "distThreshold" | "fpRate" | "alpha">,
): Vote {
  if (indices.length !== dists.length) {
    throw new RangeError(`decideFromDistances: ${indices.length} indices but ${dists.length} distances`);
  }
  const n = dists.length;
  const k = countMismatches(dists, params.distThreshold);
  const { verdict, pValue } = verdictFromCounts(k, n, params);
  return {
    participant,
    verdict,
    reason: Reason.REASON_STAT_TEST,
    checked: n,
    mismatches: k,
    pValue: formatPValue(pValue),
    evidenceHash: evidenceHash(indices, dists),
  };
}

/**
 * The STAT_TEST vote of a curtailed check (docs/protocol.md "Curtailed checks", "Early acceptance")
 * once it may stop, or undefined while it may not: `dists` are the distances of the first `dists.length`
 * leaves of the sample `indices` (n = indices.length), recomputed in sample order. At each call, as at
 * each chunk boundary: CHEATER once mismatches >= k_crit(n); then, with the chain's acceptance_rate
 * (version 3), HONEST once mismatches <= a(checked); then HONEST once k_crit(n) is out of reach
 * (core/check.ts curtailedVerdict, the rule the chain checks votes with). The vote carries
 * checked = dists.length, the certificate p-value, and the evidence hash of the whole sample with
 * the checked prefix's distances and NaN for the leaves not recomputed. With every leaf checked it
 * is always decided and equals decideFromDistances.
 * @example curtailedVote("pocval1...", indices, dists.slice(0, 20), params) // CHEATER after 20 when 8 mismatch (k_crit 8)
 */
export function curtailedVote(
  participant: string,
  indices: readonly number[],
  dists: readonly number[],
  params: Pick<CheckParams, "distThreshold" | "fpRate" | "alpha" | "acceptanceRate">,
): Vote | undefined {
  const n = indices.length;
  if (dists.length > n) throw new RangeError(`curtailedVote: ${dists.length} distances for a sample of ${n}`);
  const checked = dists.length;
  const mismatches = countMismatches(dists, params.distThreshold);
  const counts = { n, checked, mismatches };
  const decided = curtailedVerdict(counts, criticalCountFor(n, params), params.fpRate, params.acceptanceRate);
  if (decided === undefined) return undefined;
  return {
    participant,
    verdict: decided.verdict,
    reason: Reason.REASON_STAT_TEST,
    checked,
    mismatches,
    pValue: formatPValue(decided.pValue),
    evidenceHash: evidenceHash(
      indices,
      indices.map((_, i) => (i < checked ? dists[i]! : null)),
    ),
  };
}

/** A CHEATER vote for a participant fault found without recomputing (no distances: null evidence). */
export function faultVote(
  participant: string,
  indices: readonly number[],
  reason: Reason.REASON_INVALID_PROOF | Reason.REASON_BAD_NONCE | Reason.REASON_BAD_VECTOR | Reason.REASON_UNAVAILABLE,
): Vote {
  return {
    participant,
    verdict: Verdict.VERDICT_CHEATER,
    reason,
    checked: 0,
    mismatches: 0,
    pValue: "0",
    evidenceHash: evidenceHash(
      indices,
      indices.map(() => null),
    ),
  };
}
