// The deterministic app both drivers (node, abci) run: finalize a block against a buffer, commit
// it, check txs, answer queries. No networking here.
import type Database from "better-sqlite3";
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
import { type BufferedStore, bufferedStore, type KVStore, sqliteStore } from "./store.js";
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

/** What an open app holds between blocks: its storage, the last committed block and the check state. */
interface Live {
  readonly db: Database.Database;
  readonly blocks: BlockStore;
  readonly committed: KVStore;
  readonly chainId: string;
  /** Upper-case hex of the genesis sequencer's address (the embedded node's proposer). */
  readonly sequencer: string;
  lastHeight: bigint;
  lastAppHash: Uint8Array;
  last: StoredBlock | undefined;
  checkState: BufferedStore;
  /** Txs whose signature CheckTx verified against the same chain id and account: DeliverTx skips it. */
  readonly verified: Set<string>;
  /** Recent block hashes (the module asks for the stage's); older ones come from SQLite. */
  readonly hashCache: Map<bigint, string>;
}

const MAX_VERIFIED = 100_000;
const MAX_CACHED_HASHES = 10_000;

/** Opens the app's database, running InitChain from genesis on first use. */
export function openApp(opts: AppOptions): App {
  const live = openLive(opts);
  const app: App = {
    chainId: live.chainId,
    blocks: live.blocks,
    height: () => live.lastHeight,
    appHash: () => live.lastAppHash,
    checkTx: (bytes) => checkTx(live, bytes),
    finalizeBlock: (txs, info) => finalizeBlock(live, txs, info),
    commit: (finalized) => commit(live, finalized),
    commitBlock: (txs, timeMs) => app.commit(app.finalizeBlock(txs, { timeMs })),
    query: (path, data, height) => query(live, path, data, height),
    close: () => live.db.close(),
  };
  return app;
}

/** The database opened, genesis written (or checked), and the last committed block read back. */
function openLive(opts: AppOptions): Live {
  const db = openDatabase(opts.dbPath);
  const blocks = blockStore(db);
  const committed = sqliteStore(db);
  const chainId = opts.genesis.chain_id;
  initChainState(db, blocks, committed, {
    chainId,
    appState: opts.genesis.app_state,
    pocvalGenesis: opts.pocvalGenesis,
    genesisDigest: opts.genesisDigest,
    dbPath: opts.dbPath,
  });
  const lastHeight = blocks.latestHeight();
  return {
    db,
    blocks,
    committed,
    chainId,
    sequencer: opts.genesis.validators?.[0]?.address.toUpperCase() ?? "",
    lastHeight,
    lastAppHash: new Uint8Array(Buffer.from(blocks.getMeta("app_hash") ?? "", "hex")),
    last: lastHeight > 0n ? blocks.block(lastHeight) : undefined,
    checkState: bufferedStore(committed),
    verified: new Set(),
    hashCache: new Map(),
  };
}

function blockHash(live: Live, height: bigint): string | undefined {
  const cached = live.hashCache.get(height);
  if (cached) return cached;
  const hash = live.blocks.block(height)?.hash;
  if (hash) live.hashCache.set(height, hash);
  return hash;
}

/** The module's view of the block being executed: hashes of committed blocks only. */
const contextAt = (live: Live, height: bigint): BlockContext => ({
  height,
  blockHash: (h) => (h < height ? blockHash(live, h) : undefined),
});

/** CheckTx: the ante handler against the check state; a success stays applied there. */
function checkTx(live: Live, bytes: Uint8Array): TxResult & { hash: string } {
  let tx: DecodedTx;
  try {
    tx = decodeTx(bytes);
  } catch (err) {
    return { ...errorResult(err), hash: txHash(bytes) };
  }
  const scratch = bufferedStore(live.checkState);
  const result = executeAnteOnly(scratch, tx, live.chainId, live.verified.has(tx.hash));
  if (result.code === 0) {
    scratch.flush();
    // Bounded: entries of txs that never make it into a block are forgotten wholesale.
    if (live.verified.size >= MAX_VERIFIED) live.verified.clear();
    live.verified.add(tx.hash);
  }
  return { ...result, hash: tx.hash };
}

/** Begin block, the txs and end block against a write buffer over the committed state. */
function executeBlock(
  live: Live,
  height: bigint,
  txs: readonly Uint8Array[],
): Pick<FinalizedBlock, "results" | "beginEvents" | "endEvents" | "writes"> {
  const ctx = contextAt(live, height);
  const writes = bufferedStore(live.committed);
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
    const signatureVerified = live.verified.has(tx.hash);
    return executeTx(writes, ctx, tx, { chainId: live.chainId, mode: "deliver", signatureVerified });
  });
  const endEvents = run(() => endBlock(pocvalStore(writes), ctx));
  return { results, beginEvents, endEvents, writes };
}

/** Executes txs as the next block and hashes it; persists nothing. */
function finalizeBlock(live: Live, txs: readonly Uint8Array[], info: BlockInfo): FinalizedBlock {
  const height = live.lastHeight + 1n;
  const executed = executeBlock(live, height, txs);
  const appHash = nextAppHash(live.lastAppHash, height, executed.writes.writes());
  const previousMs = live.last ? Date.parse(live.last.header.time) : 0;
  const header = {
    chainId: live.chainId,
    height,
    time: new Date(Math.max(info.timeMs, previousMs + 1)).toISOString(),
    lastBlockHash: live.last?.hash ?? "",
    dataHash: dataHash(txs),
    appHash: Buffer.from(appHash).toString("hex"),
    proposerAddress: info.proposerAddress ?? live.sequencer,
  };
  const block: StoredBlock = {
    height,
    hash: info.hash ?? hashHeader(header),
    header,
    size: txs.reduce((n, tx) => n + tx.length, 0),
    txs: [...txs],
  };
  return { block, appHash, ...executed };
}

/** Persists a finalized block in one SQLite transaction and resets the check state. */
function commit(live: Live, finalized: FinalizedBlock): CommittedBlock {
  const { block, results, beginEvents, endEvents, appHash, writes } = finalized;
  if (block.height !== live.lastHeight + 1n) {
    throw new AppError(`commit: block ${block.height} does not follow the committed height ${live.lastHeight}`);
  }
  live.db.transaction(() => {
    writes.flush();
    live.blocks.insertBlock(block, results, beginEvents, endEvents);
    live.blocks.setMeta("app_hash", block.header.appHash);
  })();
  for (const tx of block.txs) live.verified.delete(txHash(tx));
  live.lastHeight = block.height;
  live.lastAppHash = appHash;
  live.last = block;
  live.hashCache.set(block.height, block.hash);
  if (live.hashCache.size > MAX_CACHED_HASHES) live.hashCache.delete(live.hashCache.keys().next().value!);
  live.checkState = bufferedStore(live.committed);
  return { block, results, beginEvents, endEvents };
}

/** A query against the latest committed state (no historical state is kept). */
function query(live: Live, path: string, data: Uint8Array, height?: bigint): QueryResult {
  const base = { code: 0, codespace: "", log: "", value: new Uint8Array(), height: live.lastHeight };
  if (height !== undefined && height !== 0n && height !== live.lastHeight) {
    const err = sdkError(
      SdkCode.invalidRequest,
      `this node keeps no historical state; query height ${height} is not the latest (${live.lastHeight})`,
    );
    return { ...base, code: err.code, codespace: err.codespace, log: err.log };
  }
  const view: QueryView = {
    chainId: live.chainId,
    committed: live.committed,
    height: () => live.lastHeight,
    blockHash: (h) => blockHash(live, h),
  };
  try {
    return { ...base, value: routeQuery(view, path, data) };
  } catch (err) {
    const r = errorResult(err);
    return { ...base, code: r.code, codespace: r.codespace, log: r.log };
  }
}
