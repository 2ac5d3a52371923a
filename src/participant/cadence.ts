// When to commit: pure, so the rules (count strictly increasing, at most one commit per block,
// a final commit before the window closes) can be checked without a chain.

export interface CommitCadence {
  /** Commit when this many blocks passed since the last commit was sent... */
  everyBlocks: number;
  /** ...or when this many leaves were added since the last accepted commit. */
  everyLeaves?: number;
  /** The final commit is sent from this many blocks before the last sendable height. */
  finalMarginBlocks: number;
}

export interface CommitState {
  /** Latest committed chain height; a transaction sent now lands in height + 1 at the earliest. */
  height: bigint;
  /** Last height of the stage's commit window. */
  commitEndHeight: bigint;
  /** Leaves in the store. */
  count: number;
  /** Count of the last commit the chain accepted (0 if none). */
  committedCount: number;
  /** Height observed when the last commit was sent (0 if none). */
  lastSentAt: bigint;
}

export type CommitDecision = { commit: false } | { commit: true; final: boolean };

/**
 * Whether to send a commit of `count` leaves now.
 * @example commitDecision({ height: 5n, commitEndHeight: 11n, count: 400, committedCount: 200, lastSentAt: 4n },
 *   { everyBlocks: 1, finalMarginBlocks: 1 }) // { commit: true, final: false }
 */
export function commitDecision(state: CommitState, cadence: CommitCadence): CommitDecision {
  const lastSendable = state.commitEndHeight - 1n;
  if (state.count <= state.committedCount || state.height > lastSendable || state.height <= state.lastSentAt) {
    return { commit: false };
  }
  const final = state.height >= lastSendable - BigInt(cadence.finalMarginBlocks);
  const due =
    final ||
    state.height - state.lastSentAt >= BigInt(cadence.everyBlocks) ||
    (cadence.everyLeaves !== undefined && state.count - state.committedCount >= cadence.everyLeaves);
  return due ? { commit: true, final } : { commit: false };
}
