// The agent's commit job: sends MsgCommitArtifacts as the cadence says (count strictly
// increasing, at most one per block, a final one before the window closes), and aligns the
// store with what the chain accepted.
import { toBase64 } from "../core/index.js";
import { type AgentContext, describe } from "./agent-context.js";
import { commitDecision } from "./cadence.js";
import type { StageRun } from "./stage-run.js";

export interface Committer {
  /** Sends a commit if the cadence says so at `height` (and none is in flight). */
  maybeCommit(run: StageRun, height: bigint, registered: boolean): void;
  /** Marks the chain's commitment confirmed in the store (a commit whose answer was lost, or a restart). */
  reconcile(run: StageRun): Promise<void>;
}

export function createCommitter(ctx: AgentContext, latestHeight: () => bigint): Committer {
  const { key, log } = ctx;
  const chainCommitment = async (stageHeight: number) =>
    (await ctx.chain.commitments(BigInt(stageHeight))).find((c) => c.participant === key.address);
  const chainCount = async (stageHeight: number): Promise<number> =>
    Number((await chainCommitment(stageHeight))?.count ?? 0n);

  const maybeCommit = (run: StageRun, height: bigint, registered: boolean): void => {
    if (run.committing || run.done || ctx.stopped() || !registered) return;
    const count = run.store.size;
    const decision = commitDecision(
      {
        height,
        commitEndHeight: run.info.commitEndHeight,
        count,
        committedCount: run.committedCount,
        lastSentAt: run.lastSentAt,
      },
      ctx.config.commit,
    );
    if (!decision.commit) return;
    const final = decision.final;
    let rootHash: Uint8Array;
    try {
      rootHash = run.store.root(count);
      run.store.markCommitted({ count, rootHash });
    } catch (err) {
      log("commit_failed", { level: "error", stage_height: run.stageHeight, count, error: describe(err) });
      return;
    }
    run.committing = true;
    run.lastSentAt = height;
    const fields = { stage_height: run.stageHeight, count, root_hash: toBase64(rootHash), final };
    ctx.chain
      .commit(BigInt(run.stageHeight), BigInt(count), rootHash)
      .then(async (res) => {
        if (res.ok) {
          run.committedCount = Math.max(run.committedCount, count);
          try {
            run.store.markConfirmed({ count, rootHash });
          } catch (err) {
            log("confirm_failed", { level: "warn", stage_height: run.stageHeight, count, error: describe(err) });
          }
          run.commits++;
          log("committed", { ...fields, height: res.height, tx: res.txHash });
        } else {
          log("commit_rejected", { level: "warn", ...fields, code: res.code, raw_log: res.detail });
          run.committedCount = Math.max(run.committedCount, await chainCount(run.stageHeight).catch(() => 0));
        }
      })
      .catch((err: unknown) => log("commit_failed", { level: "warn", ...fields, error: describe(err) }))
      .finally(() => {
        run.committing = false;
        maybeCommit(run, latestHeight(), registered);
      });
  };

  const reconcile = async (run: StageRun): Promise<void> => {
    const mine = await chainCommitment(run.stageHeight);
    if (!mine) return;
    run.committedCount = Math.max(run.committedCount, Number(mine.count));
    const snapshot = { count: Number(mine.count), rootHash: mine.rootHash };
    if (!run.store.markConfirmed(snapshot)) {
      log("commitment_not_held", { level: "error", stage_height: run.stageHeight, count: snapshot.count });
    }
  };

  return { maybeCommit, reconcile };
}
