// One generation step: plan the next leaves under the strategy, compute what the plan needs,
// append the artifacts to the store.
import { concatBytes, encodeVector, PocvalError, u64le } from "../core/index.js";
import { type CheatStrategy, planBatch, randomUnitVector } from "./cheat.js";
import type { ArtifactStore } from "./store.js";

/** Computes the f16 vector bytes of each nonce, in the order asked. */
export type ComputeVectors = (nonces: number[]) => Promise<Uint8Array[]>;

/** A compute path that answered with the wrong number of vectors or a wrong size. */
export class ComputeResultError extends PocvalError {
  override name = "ComputeResultError";
}

export interface BatchResult {
  /** Leaves appended to the store. */
  appended: number;
  /** Distinct nonces the compute path produced (the work actually spent). */
  computed: number;
}

/** A planned and computed batch, ready to append at `start`. */
export interface PreparedBatch {
  start: number;
  leaves: { nonce: number; vector: Uint8Array }[];
  /** Distinct nonces the compute path produced (the work actually spent). */
  computed: number;
}

/**
 * Plans the leaves [start, start + length) under `strategy` and computes what the plan needs.
 * `randomSeed` makes the random vectors of `random:F` reproducible. Batches can be prepared
 * ahead, concurrently, and appended in order.
 */
export async function prepareBatch(
  strategy: CheatStrategy,
  start: number,
  length: number,
  kDim: number,
  compute: ComputeVectors,
  randomSeed: Uint8Array = new Uint8Array(),
): Promise<PreparedBatch> {
  const plan = planBatch(strategy, start, length);
  const vectors = plan.computeNonces.length > 0 ? await compute(plan.computeNonces) : [];
  if (vectors.length !== plan.computeNonces.length) {
    throw new ComputeResultError(`asked for ${plan.computeNonces.length} vectors, got ${vectors.length}`);
  }
  const vectorBytes = 2 * kDim;
  const byNonce = new Map<number, Uint8Array>();
  for (const [i, nonce] of plan.computeNonces.entries()) {
    const v = vectors[i]!;
    if (v.length !== vectorBytes) {
      throw new ComputeResultError(`vector of nonce ${nonce} has ${v.length} bytes, expected ${vectorBytes}`);
    }
    byNonce.set(nonce, v);
  }
  const filler = new Uint8Array(vectorBytes);
  const leaves = plan.leaves.map((leaf) => {
    if (leaf.vector.from === "compute") return { nonce: leaf.nonce, vector: byNonce.get(leaf.vector.nonce)! };
    if (leaf.vector.from === "random") {
      return {
        nonce: leaf.nonce,
        vector: encodeVector(randomUnitVector(concatBytes(randomSeed, u64le(leaf.index)), kDim)),
      };
    }
    return { nonce: leaf.nonce, vector: filler };
  });
  return { start, leaves, computed: plan.computeNonces.length };
}

/** Appends a prepared batch; it must start exactly at the store's size. */
export function appendPrepared(store: ArtifactStore, batch: PreparedBatch): BatchResult {
  if (batch.start !== store.size) {
    throw new ComputeResultError(`batch starts at leaf ${batch.start}, the store holds ${store.size}`);
  }
  for (const leaf of batch.leaves) store.append(leaf.nonce, leaf.vector);
  return { appended: batch.leaves.length, computed: batch.computed };
}

/** Appends up to `length` leaves (starting at the store's size) following `strategy`. */
export async function appendBatch(
  store: ArtifactStore,
  strategy: CheatStrategy,
  length: number,
  compute: ComputeVectors,
  randomSeed: Uint8Array = new Uint8Array(),
): Promise<BatchResult> {
  if (length <= 0) return { appended: 0, computed: 0 };
  return appendPrepared(store, await prepareBatch(strategy, store.size, length, store.kDim, compute, randomSeed));
}
