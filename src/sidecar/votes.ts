// Vote submission: journaled decisions leave as signed vote transactions in batches, through the
// chain's VoteSender (chain-cosmos.ts, chain-evm.ts). The journal holds each batch's tx hash before
// the broadcast, and the chain's own votes are read before every (re)signing, so a restart or a
// retry never sends a vote the chain has.
import { voteLabels } from "../core/index.js";
import { backoffDelay, sleep } from "../net/index.js";
import type { SidecarChain, VoteSender, VoteSettings } from "./chain.js";
import type { Journal } from "./journal.js";
import type { Logger } from "./log.js";
import type { SidecarMetrics } from "./metrics.js";

export interface VoteSubmitterOptions {
  chain: SidecarChain;
  journal: Journal;
  validatorAddress: string;
  votes: VoteSettings & {
    batchSize: number;
    retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  };
  metrics: SidecarMetrics;
  log: Logger;
  signal: AbortSignal;
}

export interface VoteSubmitter {
  /**
   * Sends the stage's pending decisions (the validation window must be open). Resolves when
   * nothing is pending or the retry budget of this call is spent; the next call continues.
   */
  flush(stageHeight: bigint): Promise<void>;
  /** Settles batches broadcast before a restart: landed, or back to pending. */
  resolveInFlight(): Promise<void>;
}

/** What the submitter's functions share: its options and the chain's sender. */
interface Submitter {
  opts: VoteSubmitterOptions;
  sender: VoteSender;
}

export function createVoteSubmitter(opts: VoteSubmitterOptions): VoteSubmitter {
  const sub: Submitter = {
    opts,
    sender: opts.chain.voteSender({ votes: opts.votes, log: opts.log, signal: opts.signal }),
  };
  let running: Promise<void> = Promise.resolve();
  const serialize = (fn: () => Promise<void>): Promise<void> => {
    const next = running.then(fn, fn);
    running = next.catch(() => undefined);
    return next;
  };
  // At most one flush per stage waits behind the running one: a flush per new height would pile up.
  const queuedFlush = new Map<bigint, Promise<void>>();
  return {
    flush: (stageHeight) => {
      const queued = queuedFlush.get(stageHeight);
      if (queued) return queued;
      const flush = serialize(async () => {
        queuedFlush.delete(stageHeight);
        await flushStage(sub, stageHeight);
      });
      queuedFlush.set(stageHeight, flush);
      return flush;
    },
    resolveInFlight: () => serialize(() => resolveInFlight(sub)),
  };
}

/** Sends the stage's pending decisions batch by batch, with backoff, until none is left or the budget ends. */
async function flushStage(sub: Submitter, stageHeight: bigint): Promise<void> {
  const { journal, log, signal, votes } = sub.opts;
  // Right after a batch of this flush landed, the decisions still pending were never sent
  // (flushes run one at a time), so the chain cannot hold them: no votes query before the
  // next batch (on a busy node each query costs a round trip the window may not have).
  let justLanded = false;
  for (let attempt = 1; ; ) {
    if (signal.aborted) return;
    if (journal.pending(stageHeight).length === 0) return;
    try {
      if (!justLanded) await reconcile(sub, stageHeight);
      justLanded = false;
      const pending = journal.pending(stageHeight);
      if (pending.length === 0) return;
      const outcome = await sendBatch(sub, stageHeight, pending.slice(0, votes.batchSize));
      if (outcome === "landed") {
        attempt = 1;
        justLanded = true;
        continue;
      }
      if (outcome === "resequence" && attempt < votes.retry.attempts) {
        attempt++;
        continue;
      }
    } catch (err) {
      if (signal.aborted) return;
      log.warn("vote submission error", { stage: stageHeight, error: (err as Error).message });
    }
    if (attempt >= votes.retry.attempts) return;
    await sleep(backoffDelay(attempt, votes.retry), signal).catch(() => undefined);
    attempt++;
  }
}

/** Marks the stage's decisions the chain already records as submitted; returns them. */
async function reconcile(sub: Submitter, stageHeight: bigint): Promise<Set<string>> {
  const { chain, journal, log, metrics } = sub.opts;
  const onChain = new Set((await chain.myVotes(stageHeight)).map((v) => v.vote?.participant ?? ""));
  const open = [...journal.pending(stageHeight)].filter((d) => onChain.has(d.participant));
  if (open.length > 0) {
    journal.markOnChain(
      stageHeight,
      open.map((d) => d.participant),
    );
    for (const d of open) {
      metrics.votesSubmitted.inc(voteLabels(d.vote));
    }
    log.info("votes already on chain", { stage: stageHeight, participants: open.length });
  }
  return onChain;
}

/** Signs, journals and broadcasts one batch; returns whether it landed. */
async function sendBatch(
  sub: Submitter,
  stageHeight: bigint,
  batch: ReturnType<Journal["pending"]>,
): Promise<"landed" | "retry" | "resequence"> {
  const { journal, log, metrics } = sub.opts;
  const participants = batch.map((d) => d.participant);
  let batchId: number | undefined;
  const outcome = await sub.sender.send(
    stageHeight,
    batch.map((d) => d.vote),
    (hash, fields) => {
      batchId = journal.beginBatch(stageHeight, participants, hash);
      log.info("submitting votes", { stage: stageHeight, votes: batch.length, tx: hash, ...fields });
    },
  );
  metrics.transactions.inc({ result: outcome.result });
  if (outcome.status !== "landed") {
    if (batchId !== undefined) journal.abandonBatch(batchId, outcome.detail);
    return outcome.resequence ? "resequence" : "retry";
  }
  journal.completeBatch(batchId!, outcome.height);
  for (const d of batch) metrics.votesSubmitted.inc(voteLabels(d.vote));
  log.info("votes on chain", {
    stage: stageHeight,
    votes: batch.length,
    tx: outcome.txHash,
    height: outcome.height,
    ...(outcome.gasUsed !== undefined && { gas_used: outcome.gasUsed }),
  });
  return "landed";
}

/** Settles batches broadcast before a restart: landed, or back to pending. */
async function resolveInFlight(sub: Submitter): Promise<void> {
  const { journal, log, votes } = sub.opts;
  for (const batch of journal.inFlightBatches()) {
    // A short look: a batch still in the mempool keeps its sequence, so a re-signed one cannot land beside it.
    const tx = await sub.sender.find(batch.txHash, Math.min(votes.inclusionTimeoutMs, 3_000));
    if (tx?.landed) {
      journal.completeBatch(batch.id, tx.height);
      log.info("a batch sent before the restart landed", { stage: batch.stageHeight, tx: batch.txHash });
    } else {
      journal.abandonBatch(batch.id, tx === null ? "not found after restart" : tx.detail);
      log.info("a batch sent before the restart did not land; its votes are pending again", {
        stage: batch.stageHeight,
        tx: batch.txHash,
      });
    }
  }
}
