// Vote submission: journaled decisions leave as signed MsgSubmitVotes transactions in batches.
// The journal holds each batch's tx hash before the broadcast, and the chain's own votes are
// read before every (re)signing, so a restart or a retry never sends a vote the chain has.
import { sha256 } from "@cosmjs/crypto";
import { toHex } from "@cosmjs/encoding";
import { BroadcastTxError, calculateFee, GasPrice } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { type MsgSubmitVotesEncodeObject, typeUrls } from "../client/index.js";
import { backoffDelay, sleep } from "../net/retry.js";
import type { SidecarChain } from "./chain.js";
import { reasonName, verdictName } from "./check.js";
import type { Journal } from "./journal.js";
import type { Logger } from "./log.js";
import type { SidecarMetrics } from "./metrics.js";

/** SDK codes the submitter reacts to (the localnet node uses the SDK's numbers). */
const OUT_OF_GAS = 11;
const WRONG_SEQUENCE = 32;
/** Out-of-gas retries raise the gas limit at most this many times over the estimate. */
const MAX_GAS_FACTOR = 64;

export interface VoteSubmitterOptions {
  chain: SidecarChain;
  journal: Journal;
  validatorAddress: string;
  votes: {
    batchSize: number;
    gasPrice: string;
    baseGas: number;
    gasPerVote: number;
    gasRetryFactor: number;
    /** Simulate each batch for its gas limit (times gasAdjustment); baseGas + gasPerVote otherwise. */
    simulate: boolean;
    gasAdjustment: number;
    inclusionTimeoutMs: number;
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

export function createVoteSubmitter(opts: VoteSubmitterOptions): VoteSubmitter {
  const { chain, journal, log, metrics } = opts;
  const gasPrice = GasPrice.fromString(opts.votes.gasPrice);
  let gasFactor = 1;
  // The sequence a mismatch error named; the committed one lags while our txs sit in the mempool.
  let expectedSequence: number | undefined;

  /** Marks the stage's decisions the chain already records as submitted; returns them. */
  async function reconcile(stageHeight: bigint): Promise<Set<string>> {
    const onChain = new Set((await chain.myVotes(stageHeight)).map((v) => v.vote?.participant ?? ""));
    const open = [...journal.pending(stageHeight)].filter((d) => onChain.has(d.participant));
    if (open.length > 0) {
      journal.markOnChain(
        stageHeight,
        open.map((d) => d.participant),
      );
      for (const d of open) {
        metrics.votesSubmitted.inc({ verdict: verdictName(d.vote.verdict), reason: reasonName(d.vote.reason) });
      }
      log.info("votes already on chain", { stage: stageHeight, participants: open.length });
    }
    return onChain;
  }

  /** Polls for a transaction by hash until it is found or the timeout passes. */
  async function waitForTx(
    hash: string,
    timeoutMs: number,
  ): Promise<{ code: number; height: number; rawLog: string } | null> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const tx = await chain.signer.getTx(hash);
        if (tx) return tx;
      } catch (err) {
        log.debug("tx lookup failed", { hash, error: (err as Error).message });
      }
      if (Date.now() >= until) return null;
      await sleep(Math.min(250, Math.max(10, until - Date.now())), opts.signal);
    }
  }

  /** Simulated gas with a margin, or the static schedule when simulation is off or fails. */
  async function gasLimit(msg: MsgSubmitVotesEncodeObject, votes: number): Promise<number> {
    const fallback = opts.votes.baseGas + opts.votes.gasPerVote * votes;
    if (!opts.votes.simulate) return fallback;
    try {
      return Math.ceil((await chain.signer.simulate(opts.validatorAddress, [msg], "")) * opts.votes.gasAdjustment);
    } catch (err) {
      log.debug("gas simulation failed; using the static schedule", { error: (err as Error).message });
      return fallback;
    }
  }

  /** Signs, journals and broadcasts one batch; returns whether it landed. */
  async function sendBatch(
    stageHeight: bigint,
    batch: ReturnType<Journal["pending"]>,
  ): Promise<"landed" | "retry" | "resequence"> {
    const account = await chain.signer.getSequence(opts.validatorAddress);
    const { accountNumber } = account;
    const sequence = Math.max(account.sequence, expectedSequence ?? 0);
    expectedSequence = undefined;
    const msg: MsgSubmitVotesEncodeObject = {
      typeUrl: typeUrls.submitVotes,
      value: { creator: opts.validatorAddress, stageHeight, votes: batch.map((d) => d.vote) },
    };
    const gas = Math.ceil((await gasLimit(msg, batch.length)) * gasFactor);
    const txRaw = await chain.signer.sign(opts.validatorAddress, [msg], calculateFee(gas, gasPrice), "", {
      accountNumber,
      sequence,
      chainId: await chain.chainId(),
    });
    const bytes = TxRaw.encode(txRaw).finish();
    const hash = toHex(sha256(bytes)).toUpperCase();
    const participants = batch.map((d) => d.participant);
    const batchId = journal.beginBatch(stageHeight, participants, hash);
    log.info("submitting votes", { stage: stageHeight, votes: batch.length, tx: hash, sequence, gas });
    try {
      await chain.signer.broadcastTxSync(bytes);
    } catch (err) {
      if (err instanceof BroadcastTxError) {
        // CheckTx refused it: nothing of it can land.
        journal.abandonBatch(batchId, `CheckTx ${err.codespace}/${err.code}: ${err.log ?? ""}`);
        metrics.transactions.inc({ result: `rejected_${err.code}` });
        if (err.code === OUT_OF_GAS) gasFactor = Math.min(MAX_GAS_FACTOR, gasFactor * opts.votes.gasRetryFactor);
        const expected = err.code === WRONG_SEQUENCE ? /expected (\d+)/.exec(err.log ?? "") : null;
        if (expected) expectedSequence = Number(expected[1]);
        log.warn("vote transaction refused", {
          stage: stageHeight,
          code: err.code,
          codespace: err.codespace,
          log: err.log,
        });
        // A sequence mismatch needs no backoff: the next signing reads the sequence afresh.
        return err.code === WRONG_SEQUENCE ? "resequence" : "retry";
      }
      const message = (err as Error).message;
      // A full mempool or a known tx is a refusal before CheckTx; anything else may have reached it.
      if (/mempool is full/i.test(message)) {
        journal.abandonBatch(batchId, message);
        metrics.transactions.inc({ result: "mempool_full" });
        log.warn("mempool full; will retry", { stage: stageHeight });
        return "retry";
      }
      log.warn("broadcast failed; looking for the tx on chain", { stage: stageHeight, tx: hash, error: message });
    }
    const tx = await waitForTx(hash, opts.votes.inclusionTimeoutMs);
    if (tx === null) {
      // Not seen: it may still land, so read the chain's votes before the next signing.
      journal.abandonBatch(batchId, "not included before the inclusion timeout");
      metrics.transactions.inc({ result: "timeout" });
      log.warn("vote transaction not included in time", { stage: stageHeight, tx: hash });
      return "retry";
    }
    if (tx.code !== 0) {
      journal.abandonBatch(batchId, `DeliverTx code ${tx.code}: ${tx.rawLog}`);
      metrics.transactions.inc({ result: `failed_${tx.code}` });
      if (tx.code === OUT_OF_GAS) gasFactor = Math.min(MAX_GAS_FACTOR, gasFactor * opts.votes.gasRetryFactor);
      log.warn("vote transaction failed", { stage: stageHeight, tx: hash, code: tx.code, log: tx.rawLog });
      return "retry";
    }
    journal.completeBatch(batchId, BigInt(tx.height));
    metrics.transactions.inc({ result: "landed" });
    for (const d of batch)
      metrics.votesSubmitted.inc({ verdict: verdictName(d.vote.verdict), reason: reasonName(d.vote.reason) });
    log.info("votes on chain", { stage: stageHeight, votes: batch.length, tx: hash, height: tx.height });
    return "landed";
  }

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
        for (let attempt = 1; ; ) {
          if (opts.signal.aborted) return;
          if (journal.pending(stageHeight).length === 0) return;
          try {
            await reconcile(stageHeight);
            const pending = journal.pending(stageHeight);
            if (pending.length === 0) return;
            const outcome = await sendBatch(stageHeight, pending.slice(0, opts.votes.batchSize));
            if (outcome === "landed") {
              attempt = 1;
              continue;
            }
            if (outcome === "resequence" && attempt < opts.votes.retry.attempts) {
              attempt++;
              continue;
            }
          } catch (err) {
            if (opts.signal.aborted) return;
            log.warn("vote submission error", { stage: stageHeight, error: (err as Error).message });
          }
          if (attempt >= opts.votes.retry.attempts) return;
          await sleep(backoffDelay(attempt, opts.votes.retry), opts.signal).catch(() => undefined);
          attempt++;
        }
      });
      queuedFlush.set(stageHeight, flush);
      return flush;
    },
    resolveInFlight: () =>
      serialize(async () => {
        for (const batch of journal.inFlightBatches()) {
          // A short look: a batch still in the mempool keeps its sequence, so a re-signed one cannot land beside it.
          const tx = await waitForTx(batch.txHash, Math.min(opts.votes.inclusionTimeoutMs, 3_000));
          if (tx !== null && tx.code === 0) {
            journal.completeBatch(batch.id, BigInt(tx.height));
            log.info("a batch sent before the restart landed", { stage: batch.stageHeight, tx: batch.txHash });
          } else {
            journal.abandonBatch(batch.id, tx === null ? "not found after restart" : `DeliverTx code ${tx.code}`);
            log.info("a batch sent before the restart did not land; its votes are pending again", {
              stage: batch.stageHeight,
              tx: batch.txHash,
            });
          }
        }
      }),
  };
}
