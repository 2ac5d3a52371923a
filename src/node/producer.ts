// The embedded node's block production: each block commits the mempool's txs through the app and
// wakes the broadcast_tx_commit callers waiting for them. The clock lives here, never in the app.
import type { App, CommittedBlock, StoredTx } from "../app/index.js";
import { txHash } from "../app/index.js";
import type { Mempool } from "./mempool.js";

interface Waiter {
  resolve: (tx: StoredTx) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** broadcast_tx_commit callers waiting for their tx, by tx hash. */
export interface TxWaiters {
  /** Resolves once the tx is committed; rejects after timeoutMs. */
  wait(hash: string, timeoutMs: number): Promise<StoredTx>;
  /** Settles the waiters of a committed block's txs with their stored results. */
  settle(app: App, txs: readonly Uint8Array[]): void;
  /** Rejects every waiter (the node is stopping). */
  rejectAll(reason: string): void;
}

export function createTxWaiters(): TxWaiters {
  const waiters = new Map<string, Waiter[]>();
  const drop = (hash: string, waiter: Waiter) => {
    const list = waiters.get(hash)?.filter((w) => w !== waiter) ?? [];
    if (list.length > 0) waiters.set(hash, list);
    else waiters.delete(hash);
  };
  return {
    wait: (hash, timeoutMs) =>
      new Promise<StoredTx>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            drop(hash, waiter);
            reject(new Error("timed out waiting for tx to be included in a block"));
          }, timeoutMs),
        };
        waiters.set(hash, [...(waiters.get(hash) ?? []), waiter]);
      }),
    settle(app, txs) {
      for (const tx of txs) {
        const hash = txHash(tx);
        const list = waiters.get(hash);
        if (!list) continue;
        waiters.delete(hash);
        const stored = app.blocks.tx(hash);
        for (const w of list) {
          clearTimeout(w.timer);
          if (stored) w.resolve(stored);
          else w.reject(new Error(`tx ${hash} was included but its result is missing`));
        }
      }
    },
    rejectAll(reason) {
      for (const list of waiters.values()) {
        for (const w of list) {
          clearTimeout(w.timer);
          w.reject(new Error(reason));
        }
      }
      waiters.clear();
    },
  };
}

export interface BlockProducer {
  /** Commits the next block; undefined once the app failed (block production stops for good). */
  produce(): CommittedBlock | undefined;
  /** Why block production stopped, if it did. */
  failure(): string | undefined;
}

export interface ProducerDeps {
  app: App;
  mempool: Mempool;
  waiters: TxWaiters;
  /** Hands each committed block on (the RPC server's subscriptions). */
  published: (committed: CommittedBlock) => void;
  log: (line: string) => void;
}

export function createBlockProducer(deps: ProducerDeps): BlockProducer {
  const { app, mempool, waiters, log } = deps;
  let failure: string | undefined;
  return {
    failure: () => failure,
    produce() {
      if (failure) return undefined;
      const txs = mempool.reap();
      let committed: CommittedBlock;
      try {
        committed = app.commitBlock(txs, Date.now());
      } catch (err) {
        failure = (err as Error).message;
        log(`block production stopped: ${failure}`);
        return undefined;
      }
      mempool.update(txs);
      waiters.settle(app, txs);
      deps.published(committed);
      const { block } = committed;
      log(`height ${block.height} txs ${block.txs.length} hash ${block.hash} app_hash ${block.header.appHash}`);
      return committed;
    },
  };
}
