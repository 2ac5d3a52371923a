// The validator's check of one participant (docs/protocol.md), as pure functions of plain values:
// verify the served leaves, then decide the vote from the distances. No I/O, no clock.
import {
  countMismatches,
  DecodeError,
  decodeVector,
  evidenceHash,
  fromBase64,
  type LeafProof,
  l2Distance,
  leafHash,
  ParamError,
  PocvalError,
  parseParams,
  verdictFromCounts,
  verifyInclusion,
} from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import { Reason, Verdict, type Vote } from "../gen/pocval/v1/types.js";

/** The chain params a check needs, with the decimal strings parsed. */
export interface CheckParams {
  model: string;
  seqLen: number;
  kDim: number;
  distThreshold: number;
  fpRate: number;
  alpha: number;
  sampleSize: number;
}

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
export function parseCheckParams(params: Params): CheckParams {
  let p: ReturnType<typeof parseParams>;
  try {
    p = parseParams(params);
  } catch (e) {
    if (e instanceof ParamError) throw new ChainParamsError(e.field, e.reason, { cause: e });
    throw e;
  }
  return {
    model: p.model,
    seqLen: p.seqLen,
    kDim: p.kDim,
    distThreshold: p.distThreshold,
    fpRate: p.fpRate,
    alpha: p.alpha,
    sampleSize: p.sampleSize,
  };
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
    };

/**
 * Checks a proof API answer for the requested leaves against the on-chain (root, count):
 * every requested index answered exactly once and nothing else (else INVALID_PROOF), each audit
 * path verifies (INVALID_PROOF), nonce equals index (BAD_NONCE), the vector is k_dim finite
 * binary16 values (BAD_VECTOR). The first faulty leaf in request order decides the reason.
 * @example verifyLeaves({indices: [0], proofs, rootHash, count: 1, kDim: 12}) // {ok: true, leaves: [...]}
 */
export function verifyLeaves(input: {
  indices: readonly number[];
  proofs: readonly LeafProof[];
  rootHash: Uint8Array;
  count: number;
  kDim: number;
}): LeafVerdict {
  const byIndex = new Map<number, LeafProof>();
  const requested = new Set(input.indices);
  for (const p of input.proofs) {
    if (!requested.has(p.leaf_index)) {
      return { ok: false, reason: Reason.REASON_INVALID_PROOF, detail: `leaf ${p.leaf_index} was not requested` };
    }
    if (byIndex.has(p.leaf_index)) {
      return { ok: false, reason: Reason.REASON_INVALID_PROOF, detail: `leaf ${p.leaf_index} answered twice` };
    }
    byIndex.set(p.leaf_index, p);
  }
  const leaves: VerifiedLeaf[] = [];
  for (const index of input.indices) {
    const p = byIndex.get(index);
    if (p === undefined) return { ok: false, reason: Reason.REASON_INVALID_PROOF, detail: `leaf ${index} is missing` };
    let bytes: Uint8Array;
    let path: Uint8Array[];
    try {
      bytes = fromBase64(p.vector_b64, "vector_b64");
      path = p.audit_path.map((h, i) => fromBase64(h, `audit_path.${i}`));
    } catch (err) {
      return { ok: false, reason: Reason.REASON_INVALID_PROOF, detail: `leaf ${index}: ${(err as Error).message}` };
    }
    if (!verifyInclusion(leafHash(p.nonce, bytes), index, input.count, path, input.rootHash)) {
      return {
        ok: false,
        reason: Reason.REASON_INVALID_PROOF,
        detail: `leaf ${index}: the audit path does not verify against the committed root and count ${input.count}`,
      };
    }
    if (p.nonce !== index) {
      return { ok: false, reason: Reason.REASON_BAD_NONCE, detail: `leaf ${index} holds nonce ${p.nonce}` };
    }
    try {
      leaves.push({ index, vector: decodeVector(bytes, input.kDim, `leaf ${index} vector`) });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return { ok: false, reason: Reason.REASON_BAD_VECTOR, detail: err.message };
    }
  }
  return { ok: true, leaves };
}

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

/** Human names of verdicts and reasons, for logs and metric labels. */
export function verdictName(v: Verdict): string {
  return Verdict[v]?.replace(/^VERDICT_/, "").toLowerCase() ?? String(v);
}
export function reasonName(r: Reason): string {
  return Reason[r]?.replace(/^REASON_/, "").toLowerCase() ?? String(r);
}
