// One participant's check end to end (docs/protocol.md "The validator's check"): sample, fetch and
// verify proofs, recompute, decide. Participant faults become votes; the sidecar's own faults
// (backend, cancellation) become abstentions, never votes.
import { DEFAULT_CHUNK_SIZE, type FaultEvidence, type UnavailableEvidence } from "../core/index.js";
import { Reason, type Vote } from "../gen/pocval/v1/types.js";
import { type CheckParams, curtailedVote, distances, faultVote } from "./check.js";
import { type ProveFailure, type ProveResult, type ProveTask, proveSample } from "./prove.js";
import { RecomputeFailedError, type RecomputeQueue } from "./recompute.js";

/** The public facts of a stage a check needs. */
export interface StageFacts {
  stageHeight: bigint;
  samplingBlockHash: string;
  generationSeed: string;
  params: CheckParams;
  /** Wall-clock ms by which proof requests should be done (core/availability.ts checkDeadlineMs); undefined: unknown. */
  deadlineMs?: number;
}

/** A committed participant: registration and last commitment. */
export interface CheckTarget {
  address: string;
  pocPublicKey: string;
  proofApiUrl: string;
  count: bigint;
  rootHash: Uint8Array;
}

export interface CheckerContext {
  validatorAddress: string;
  privateKey: Uint8Array;
  proofApi: {
    batchSize: number;
    maxResponseBytes: number;
    retry: { baseDelayMs: number; maxDelayMs: number };
  };
  recompute: RecomputeQueue;
  /**
   * Curtailed checks (docs/protocol.md): recompute the sample in sample order, `chunkSize` leaves
   * at a time, and stop once the verdict cannot change; `curtail: false` recomputes all n at once.
   * Default: curtailed, chunks of 20.
   */
  check?: { chunkSize: number; curtail: boolean };
  /** Leaves of the target recomputed (after each chunk), for the recompute metrics. */
  onRecomputed?: (target: CheckTarget, leaves: number) => void;
  /** Bounds how many participants' proofs are fetched at once (the recompute queue bounds the rest). */
  proofGate?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Runs the proof side (default: proveSample in this thread; a ProvePool runs it in workers). */
  prove?: (task: ProveTask, signal?: AbortSignal, onFailure?: (failure: ProveFailure) => void) => Promise<ProveResult>;
  onProofFailure?: (target: CheckTarget, failure: ProveFailure) => void;
  /** The participant's proof API answered the whole sample (whatever the proofs turn out to be). */
  onProofsFetched?: (target: CheckTarget) => void;
}

export type CheckOutcome =
  | {
      kind: "vote";
      vote: Vote;
      detail: string;
      sampled: number;
      /** The signed request and answer behind an INVALID_PROOF, BAD_NONCE or BAD_VECTOR vote; the failed tries behind UNAVAILABLE. */
      evidence?: FaultEvidence | UnavailableEvidence;
    }
  | { kind: "abstain"; cause: AbstainCause; detail: string };

/** Why the sidecar did not vote: always its own side, never the participant's. */
export type AbstainCause = "backend" | "cancelled" | "internal" | "params" | "no_participant_reachable";

/**
 * Checks one participant. Resolves with a vote or an abstention; it does not throw.
 * @example const outcome = await checkParticipant(ctx, stage, target, signal);
 */
export async function checkParticipant(
  ctx: CheckerContext,
  stage: StageFacts,
  target: CheckTarget,
  signal?: AbortSignal,
): Promise<CheckOutcome> {
  try {
    const gate = ctx.proofGate ?? (<T>(fn: () => Promise<T>) => fn());
    const prove = ctx.prove ?? proveSample;
    // Sampling, fetching and verifying inside the gate: CPU and memory stay bounded however many
    // participants a stage has; only verified vectors wait for the backend.
    const proven = await gate(() =>
      prove(
        {
          stageHeight: stage.stageHeight,
          samplingBlockHash: stage.samplingBlockHash,
          sampleSize: stage.params.sampleSize,
          kDim: stage.params.kDim,
          validatorAddress: ctx.validatorAddress,
          privateKey: ctx.privateKey,
          participantAddress: target.address,
          proofApiUrl: target.proofApiUrl,
          count: target.count,
          rootHash: target.rootHash,
          budget: stage.params.proofRequestBudget,
          responseMs: stage.params.proofResponseMs,
          ...(stage.deadlineMs !== undefined && { deadlineMs: stage.deadlineMs }),
          proofApi: ctx.proofApi,
        },
        signal,
        (failure) => ctx.onProofFailure?.(target, failure),
      ),
    );
    const { indices } = proven;
    if ("fault" in proven) {
      if (proven.fault.reason !== Reason.REASON_UNAVAILABLE) ctx.onProofsFetched?.(target);
      return {
        kind: "vote",
        vote: faultVote(target.address, indices, proven.fault.reason),
        detail: proven.fault.detail,
        sampled: indices.length,
        evidence: proven.fault.evidence,
      };
    }
    ctx.onProofsFetched?.(target);
    const vote = await recomputeAndDecide(ctx, stage, target, indices, proven.vectors, signal);
    return {
      kind: "vote",
      vote,
      detail: `${vote.mismatches} mismatches in ${vote.checked} of ${indices.length} leaves recomputed, p ${vote.pValue}`,
      sampled: indices.length,
    };
  } catch (err) {
    const e = err as Error;
    // The backend's failures first: a window that closed on a failing backend is the backend's fault.
    if (e instanceof RecomputeFailedError) return { kind: "abstain", cause: "backend", detail: e.message };
    if (signal?.aborted) {
      return {
        kind: "abstain",
        cause: "cancelled",
        detail: String((signal.reason as Error)?.message ?? signal.reason),
      };
    }
    return { kind: "abstain", cause: "internal", detail: `${e?.name}: ${e?.message}` };
  }
}

/**
 * Recomputes the verified sample in sample order and decides the STAT_TEST vote. Curtailed: one
 * chunk of `chunkSize` leaves at a time per participant, so the recompute queue's workers serve the
 * chunks of every participant still open in turn (FIFO), and the participant stops as soon as
 * curtailedVote decides at a chunk boundary (CHEATER, then early acceptance when the chain's params
 * have an acceptance_rate, then curtailed HONEST). Not curtailed: all n leaves in one job, no early stop.
 */
async function recomputeAndDecide(
  ctx: CheckerContext,
  stage: StageFacts,
  target: CheckTarget,
  indices: readonly number[],
  received: readonly Float64Array[],
  signal?: AbortSignal,
): Promise<Vote> {
  const { chunkSize, curtail } = ctx.check ?? { chunkSize: DEFAULT_CHUNK_SIZE, curtail: true };
  const n = indices.length;
  const dists: number[] = [];
  for (;;) {
    const vote =
      curtail || dists.length === n ? curtailedVote(target.address, indices, dists, stage.params) : undefined;
    if (vote !== undefined) return vote;
    const end = curtail ? Math.min(n, dists.length + chunkSize) : n;
    const recomputed = await ctx.recompute.recompute(
      {
        generationSeed: stage.generationSeed,
        stageHeight: Number(stage.stageHeight),
        publicKey: target.pocPublicKey,
        nonces: indices.slice(dists.length, end),
        params: { model: stage.params.model, seqLen: stage.params.seqLen, kDim: stage.params.kDim },
      },
      signal,
    );
    ctx.onRecomputed?.(target, recomputed.length);
    dists.push(...distances(received.slice(dists.length, end), recomputed));
  }
}
