// The deterministic app both drivers (node, abci) run: finalize a block against a buffer, commit
// it, check txs, answer queries. No networking here.
import { type BlockContext, beginBlock, endBlock } from "../chain/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import { type BlockStore, blockStore, openDatabase, type StoredBlock, type TxResult } from "./db.js";
import { AppError, SdkCode, sdkError } from "./errors.js";
import { errorResult, executeAnteOnly, executeTx } from "./execute.js";
import { type AppState, initChainState } from "./genesis.js";
import { dataHash, hashHeader, nextAppHash } from "./header.js";
import type { AbciEvent } from "./messages.js";
import { pocvalStore } from "./messages.js";
import { type QueryView, routeQuery } from "./query.js";
import { type BufferedStore, bufferedStore, sqliteStore } from "./store.js";
import { type DecodedTx, decodeTx, txHash } from "./tx.js";

export interface QueryResult {
  code: number;
  codespace: string;
  log: string;
  value: Uint8Array;
  height: bigint;
}

export interface CommittedBlock {
  block: StoredBlock;
  results: TxResult[];
  beginEvents: AbciEvent[];
  endEvents: AbciEvent[];
}

/** A block executed against a write buffer: everything `commit` persists, nothing persisted yet. */
export interface FinalizedBlock extends CommittedBlock {
  appHash: Uint8Array;
  /** The block's state writes (not yet in SQLite). */
  readonly writes: BufferedStore;
}

/** What the consensus engine says about the block being finalized. */
export interface BlockInfo {
  /** Block time (ms since the epoch); raised to the previous block's time + 1 ms when not later. */
  timeMs: number;
  /** The engine's block hash (lower-case hex); absent, the app hashes its own header (embedded node). */
  hash?: string;
  /** Upper-case hex of the proposer's address; absent, the genesis sequencer's. */
  proposerAddress?: string;
}

export interface AppOptions {
  /** SQLite file, or ":memory:" for benchmarks. */
  dbPath: string;
  /** The chain id, the app state and (the embedded node's) validators, the first being the sequencer. */
  genesis: { chain_id: string; app_state: AppState; validators?: readonly { address: string }[] };
  pocvalGenesis: GenesisState;
  /** Digest of the genesis file, so a database is never reused with another genesis. */
  genesisDigest: string;
}

/** The application: the Cosmos-style state machine around the pocval module, with its storage. */
export interface App {
  readonly chainId: string;
  readonly blocks: BlockStore;
  height(): bigint;
  appHash(): Uint8Array;
  /** CheckTx against the check state; a success stays applied there (sequence, fee). */
  checkTx(bytes: Uint8Array): TxResult & { hash: string };
  /**
   * Executes txs as the next block (begin block, txs, end block, app hash) against a write buffer.
   * Writes nothing: the same inputs give the same result until `commit`.
   */
  finalizeBlock(txs: readonly Uint8Array[], info: BlockInfo): FinalizedBlock;
  /** Persists a finalized block in one SQLite transaction and resets the check state. */
  commit(block: FinalizedBlock): CommittedBlock;
  /** finalizeBlock then commit (the embedded node's one step per block). */
  commitBlock(txs: readonly Uint8Array[], timeMs: number): CommittedBlock;
  query(path: string, data: Uint8Array, height?: bigint): QueryResult;
  close(): void;
}

/** Opens the node's database, running InitChain from genesis on first use. */
export function openApp(opts: AppOptions): App {
  const db = openDatabase(opts.dbPath);
  const blocks = blockStore(db);
  const committed = sqliteStore(db);
  const chainId = opts.genesis.chain_id;
  const sequencer = opts.genesis.validators?.[0]?.address.toUpperCase() ?? "";

  initChainState(db, blocks, committed, {
    chainId,
    appState: opts.genesis.app_state,
    pocvalGenesis: opts.pocvalGenesis,
    genesisDigest: opts.genesisDigest,
    dbPath: opts.dbPath,
  });

  let lastHeight = blocks.latestHeight();
  let lastAppHash: Uint8Array = new Uint8Array(Buffer.from(blocks.getMeta("app_hash") ?? "", "hex"));
  let last = lastHeight > 0n ? blocks.block(lastHeight) : undefined;
  let checkState: BufferedStore = bufferedStore(committed);
  // Txs whose signature CheckTx verified against the same chain id and account: DeliverTx skips it.
  const verified = new Set<string>();
  const hashCache = new Map<bigint, string>();

  const blockHash = (height: bigint): string | undefined => {
    const cached = hashCache.get(height);
    if (cached) return cached;
    const hash = blocks.block(height)?.hash;
    if (hash) hashCache.set(height, hash);
    return hash;
  };
  const contextAt = (height: bigint): BlockContext => ({
    height,
    blockHash: (h) => (h < height ? blockHash(h) : undefined),
  });
  const view: QueryView = { chainId, committed, height: () => lastHeight, blockHash };

  const app: App = {
    chainId,
    blocks,
    height: () => lastHeight,
    appHash: () => lastAppHash,

    checkTx(bytes) {
      let tx: DecodedTx;
      try {
        tx = decodeTx(bytes);
      } catch (err) {
        return { ...errorResult(err), hash: txHash(bytes) };
      }
      const scratch = bufferedStore(checkState);
      const result = executeAnteOnly(scratch, tx, chainId, verified.has(tx.hash));
      if (result.code === 0) {
        scratch.flush();
        // Bounded: entries of txs that never make it into a block are forgotten wholesale.
        if (verified.size >= 100_000) verified.clear();
        verified.add(tx.hash);
      }
      return { ...result, hash: tx.hash };
    },

    finalizeBlock(txs, info) {
      const height = lastHeight + 1n;
      const ctx = contextAt(height);
      const writes = bufferedStore(committed);
      const run = (fn: () => AbciEvent[]): AbciEvent[] => {
        try {
          return fn();
        } catch (err) {
          // A module that throws at a block boundary is a bug: stop rather than fork from ourselves.
          throw new AppError(`height ${height}: the pocval module failed: ${(err as Error).message}`);
        }
      };
      const beginEvents = run(() => beginBlock(pocvalStore(writes), ctx));
      const results = txs.map((bytes) => {
        let tx: DecodedTx;
        try {
          tx = decodeTx(bytes);
        } catch (err) {
          return errorResult(err);
        }
        return executeTx(writes, ctx, tx, { chainId, mode: "deliver", signatureVerified: verified.has(tx.hash) });
      });
      const endEvents = run(() => endBlock(pocvalStore(writes), ctx));
      const appHash = nextAppHash(lastAppHash, height, writes.writes());
      const previousMs = last ? Date.parse(last.header.time) : 0;
      const header = {
        chainId,
        height,
        time: new Date(Math.max(info.timeMs, previousMs + 1)).toISOString(),
        lastBlockHash: last?.hash ?? "",
        dataHash: dataHash(txs),
        appHash: Buffer.from(appHash).toString("hex"),
        proposerAddress: info.proposerAddress ?? sequencer,
      };
      const block: StoredBlock = {
        height,
        hash: info.hash ?? hashHeader(header),
        header,
        size: txs.reduce((n, tx) => n + tx.length, 0),
        txs: [...txs],
      };
      return { block, results, beginEvents, endEvents, appHash, writes };
    },

    commit(finalized) {
      const { block, results, beginEvents, endEvents, appHash, writes } = finalized;
      if (block.height !== lastHeight + 1n) {
        throw new AppError(`commit: block ${block.height} does not follow the committed height ${lastHeight}`);
      }
      db.transaction(() => {
        writes.flush();
        blocks.insertBlock(block, results, beginEvents, endEvents);
        blocks.setMeta("app_hash", block.header.appHash);
      })();
      for (const tx of block.txs) verified.delete(txHash(tx));
      lastHeight = block.height;
      lastAppHash = appHash;
      last = block;
      hashCache.set(block.height, block.hash);
      // Recent hashes stay in memory (the module asks for the stage's); older ones come from SQLite.
      if (hashCache.size > 10_000) hashCache.delete(hashCache.keys().next().value!);
      checkState = bufferedStore(committed);
      return { block, results, beginEvents, endEvents };
    },

    commitBlock(txs, timeMs) {
      return app.commit(app.finalizeBlock(txs, { timeMs }));
    },

    query(path, data, height) {
      const base = { code: 0, codespace: "", log: "", value: new Uint8Array(), height: lastHeight };
      if (height !== undefined && height !== 0n && height !== lastHeight) {
        const err = sdkError(
          SdkCode.invalidRequest,
          `this node keeps no historical state; query height ${height} is not the latest (${lastHeight})`,
        );
        return { ...base, code: err.code, codespace: err.codespace, log: err.log };
      }
      try {
        return { ...base, value: routeQuery(view, path, data) };
      } catch (err) {
        const r = errorResult(err);
        return { ...base, code: r.code, codespace: r.codespace, log: r.log };
      }
    },

    close() {
      db.close();
    },
  };
  return app;
}
