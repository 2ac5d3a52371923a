// The proof side of one participant's check: sample, fetch the leaves in signed batches, verify
// them against the on-chain (root, count). A plain async function of plain values, so that it can
// run in the sidecar's thread or in a worker thread (prove-pool.ts).
import {
  type FaultEvidence,
  sampleIndices,
  toBase64,
  type UnavailableEvidence,
  unavailableEvidence,
} from "../core/index.js";
import { type LeafVerdict, verifyLeaves } from "./check.js";
import { type FetchProofsResult, fetchProofs, type ProofFailureKind } from "./proof-client.js";

/** Everything proveSample needs; structured-clone friendly. */
export interface ProveTask {
  stageHeight: bigint;
  samplingBlockHash: string;
  sampleSize: number;
  kDim: number;
  validatorAddress: string;
  privateKey: Uint8Array;
  participantAddress: string;
  proofApiUrl: string;
  count: bigint;
  rootHash: Uint8Array;
  /** The chain's proof_request_budget and proof_response_ms (core/params.ts). */
  budget: number;
  responseMs: number;
  /** Wall-clock ms by which the request budget should be spent (the check's deadline); undefined: unknown. */
  deadlineMs?: number;
  proofApi: {
    batchSize: number;
    maxResponseBytes: number;
    retry: { baseDelayMs: number; maxDelayMs: number };
  };
}

type Fault = Extract<FetchProofsResult, { ok: false }> | Extract<LeafVerdict, { ok: false }>;

/** The sample, and either the participant's fault or the verified vectors (k_dim each, in sample order). */
export type ProveResult =
  | {
      indices: number[];
      /**
       * evidence: the signed request and answer behind an INVALID_PROOF, BAD_NONCE or BAD_VECTOR
       * fault; the failed tries behind UNAVAILABLE.
       */
      fault: Pick<Fault, "reason" | "detail"> & { evidence?: FaultEvidence | UnavailableEvidence };
    }
  | { indices: number[]; vectors: Float64Array[] };

/** One failed proof request (for logs and metrics). */
export interface ProveFailure {
  kind: ProofFailureKind;
  message: string;
  attempt: number;
}

/**
 * @example const r = await proveSample(task); if ("vectors" in r) recompute(r.indices) ...
 */
export async function proveSample(
  task: ProveTask,
  signal?: AbortSignal,
  onFailure?: (failure: ProveFailure) => void,
): Promise<ProveResult> {
  const indices = sampleIndices({
    stageHeight: task.stageHeight,
    samplingBlockHash: task.samplingBlockHash,
    validatorAddress: task.validatorAddress,
    participantAddress: task.participantAddress,
    count: task.count,
    sampleSize: task.sampleSize,
  });
  const count = Number(task.count);
  const fetched = await fetchProofs({
    baseUrl: task.proofApiUrl,
    stageHeight: Number(task.stageHeight),
    count,
    rootHashB64: toBase64(task.rootHash),
    leafIndices: indices,
    validatorAddress: task.validatorAddress,
    participantAddress: task.participantAddress,
    privateKey: task.privateKey,
    batchSize: task.proofApi.batchSize,
    budget: task.budget,
    responseMs: task.responseMs,
    deadlineMs: task.deadlineMs,
    maxResponseBytes: task.proofApi.maxResponseBytes,
    retry: task.proofApi.retry,
    signal,
    onFailure: (err, attempt) => onFailure?.({ kind: err.kind, message: err.message, attempt }),
  });
  if (!fetched.ok) {
    const evidence = unavailableEvidence(task.participantAddress, task.budget, task.responseMs, fetched.tries);
    return { indices, fault: { reason: fetched.reason, detail: fetched.detail, evidence } };
  }
  // Batch by batch, so that a fault comes with the one signed answer that shows it (the evidence).
  const vectors: Float64Array[] = [];
  for (const { request, answer } of fetched.batches) {
    const verified = verifyLeaves({
      indices: request.leaf_indices,
      proofs: answer.proofs,
      rootHash: task.rootHash,
      count,
      kDim: task.kDim,
    });
    if (!verified.ok) {
      const evidence: FaultEvidence = {
        participant: task.participantAddress,
        reason: verified.fault,
        k_dim: task.kDim,
        request,
        answer,
      };
      return { indices, fault: { reason: verified.reason, detail: verified.detail, evidence } };
    }
    for (const leaf of verified.leaves) vectors.push(leaf.vector);
  }
  return { indices, vectors };
}
