// One generation step: plan the next leaves under the strategy, compute what the plan needs,
// append the artifacts to the store.
import { concatBytes, encodeVector, u64le } from "../core/index.js";
import { type CheatStrategy, planBatch, randomUnitVector } from "./cheat.js";
import type { ArtifactStore } from "./store.js";

/** Computes the f16 vector bytes of each nonce, in the order asked. */
export type ComputeVectors = (nonces: number[]) => Promise<Uint8Array[]>;

/** A compute path that answered with the wrong number of vectors or a wrong size. */
export class ComputeResultError extends Error {
  override name = "ComputeResultError";
}

export interface BatchResult {
  /** Leaves appended to the store. */
  appended: number;
  /** Distinct nonces the compute path produced (the work actually spent). */
  computed: number;
}

/**
 * Appends up to `length` leaves (starting at the store's size) following `strategy`.
 * `randomSeed` makes the random vectors of `random:F` reproducible.
 */
export async function appendBatch(
  store: ArtifactStore,
  strategy: CheatStrategy,
  length: number,
  compute: ComputeVectors,
  randomSeed: Uint8Array = new Uint8Array(),
): Promise<BatchResult> {
  if (length <= 0) return { appended: 0, computed: 0 };
  const start = store.size;
  const plan = planBatch(strategy, start, length);
  const vectors = plan.computeNonces.length > 0 ? await compute(plan.computeNonces) : [];
  if (vectors.length !== plan.computeNonces.length) {
    throw new ComputeResultError(`asked for ${plan.computeNonces.length} vectors, got ${vectors.length}`);
  }
  const vectorBytes = 2 * store.kDim;
  const byNonce = new Map<number, Uint8Array>();
  for (const [i, nonce] of plan.computeNonces.entries()) {
    const v = vectors[i]!;
    if (v.length !== vectorBytes) {
      throw new ComputeResultError(`vector of nonce ${nonce} has ${v.length} bytes, expected ${vectorBytes}`);
    }
    byNonce.set(nonce, v);
  }
  // The store may have grown meanwhile only if the caller broke the one-writer rule.
  if (store.size !== start) throw new ComputeResultError(`store grew from ${start} to ${store.size} during a batch`);
  const filler = new Uint8Array(vectorBytes);
  for (const leaf of plan.leaves) {
    let vector: Uint8Array;
    if (leaf.vector.from === "compute") vector = byNonce.get(leaf.vector.nonce)!;
    else if (leaf.vector.from === "random") {
      vector = encodeVector(randomUnitVector(concatBytes(randomSeed, u64le(leaf.index)), store.kDim));
    } else vector = filler;
    store.append(leaf.nonce, vector);
  }
  return { appended: plan.leaves.length, computed: plan.computeNonces.length };
}
