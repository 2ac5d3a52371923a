// The node's mempool: CheckTx on arrival, the next block's txs in arrival order within limits.
import { type App, type TxResult, txHash } from "../app/index.js";
import { PocvalError } from "../core/index.js";

export const MEMPOOL_MAX_TXS = 10_000;
export const BLOCK_MAX_TXS = 2_000;
export const BLOCK_MAX_BYTES = 4 << 20;

/** A broadcast that is refused before CheckTx (duplicate, full mempool); the RPC answers a JSON-RPC error. */
export class MempoolError extends PocvalError {
  override name = "MempoolError";
}

export interface Mempool {
  /** Runs CheckTx; on success the tx waits for the next block. */
  add(bytes: Uint8Array): TxResult & { hash: string };
  /** The txs for the next block, in arrival order, within the block limits. */
  reap(): Uint8Array[];
  /** After a commit: drops the included txs and re-checks the rest against the new state. */
  update(included: readonly Uint8Array[]): void;
  size(): { count: number; bytes: number };
  has(hash: string): boolean;
}

/** A FIFO mempool whose CheckTx state tracks sequences, so one account can queue several txs per block. */
export function createMempool(app: App): Mempool {
  let pending: { hash: string; bytes: Uint8Array }[] = [];
  const hashes = new Set<string>();
  return {
    add(bytes) {
      if (pending.length >= MEMPOOL_MAX_TXS) throw new MempoolError(`mempool is full: ${pending.length} txs`);
      const hash = txHash(bytes);
      if (hashes.has(hash) || app.blocks.tx(hash)) throw new MempoolError("tx already exists in cache");
      const result = app.checkTx(bytes);
      if (result.code === 0) {
        pending.push({ hash: result.hash, bytes });
        hashes.add(result.hash);
      }
      return result;
    },
    reap() {
      const out: Uint8Array[] = [];
      let bytes = 0;
      for (const tx of pending) {
        if (out.length >= BLOCK_MAX_TXS || bytes + tx.bytes.length > BLOCK_MAX_BYTES) break;
        out.push(tx.bytes);
        bytes += tx.bytes.length;
      }
      return out;
    },
    update(included) {
      const rest = pending.slice(included.length);
      pending = [];
      hashes.clear();
      for (const tx of rest) {
        if (app.checkTx(tx.bytes).code === 0) {
          pending.push(tx);
          hashes.add(tx.hash);
        }
      }
    },
    size: () => ({ count: pending.length, bytes: pending.reduce((n, t) => n + t.bytes.length, 0) }),
    has: (hash) => hashes.has(hash),
  };
}
