import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
} from "cosmjs-types/cosmos/bank/v1beta1/query";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import {
  type BlockContext,
  beginBlock,
  ChainError,
  endBlock,
  initGenesis,
  query as moduleQuery,
} from "../chain/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import { allBalances, checkAddress, ensureAccount, getAccount, getBalance, mint } from "./accounts.js";
import { type AnteMode, runAnte } from "./ante.js";
import { type BlockStore, blockStore, openDatabase, type StoredBlock, type TxResult } from "./db.js";
import { NodeError, SdkCode, sdkError, TxError } from "./errors.js";
import type { NodeGenesis } from "./genesis.js";
import { dataHash, hashHeader, nextAppHash } from "./header.js";
import { type AbciEvent, deliverMessage, fromChainError, pocvalStore } from "./messages.js";
import { type BufferedStore, bufferedStore, type KVStore, sqliteStore } from "./store.js";
import { type DecodedTx, decodeTx, txHash } from "./tx.js";

export const ACCOUNT_QUERY = "/cosmos.auth.v1beta1.Query/Account";
export const BALANCE_QUERY = "/cosmos.bank.v1beta1.Query/Balance";
export const ALL_BALANCES_QUERY = "/cosmos.bank.v1beta1.Query/AllBalances";
export const SIMULATE_QUERY = "/cosmos.tx.v1beta1.Service/Simulate";
const POCVAL_QUERY_PREFIX = "/pocval.v1.Query/";

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

export interface AppOptions {
  /** SQLite file, or ":memory:" for benchmarks. */
  dbPath: string;
  genesis: NodeGenesis;
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
  /** Executes txs as the next block, commits it in one SQLite transaction and resets the check state. */
  commitBlock(txs: readonly Uint8Array[], timeMs: number): CommittedBlock;
  query(path: string, data: Uint8Array, height?: bigint): QueryResult;
  close(): void;
}

const ZERO_HASH = new Uint8Array(32);

const okResult = (): TxResult => ({
  code: 0,
  codespace: "",
  log: "",
  data: new Uint8Array(),
  gasWanted: 0n,
  gasUsed: 0n,
  events: [],
});

function errorResult(err: unknown, gasWanted = 0n, gasUsed = 0n, events: AbciEvent[] = []): TxResult {
  const e =
    err instanceof TxError
      ? err
      : err instanceof ChainError
        ? fromChainError(err)
        : sdkError(SdkCode.internal, `panic: ${(err as Error)?.message ?? String(err)}`);
  return { code: e.code, codespace: e.codespace, log: e.log, data: new Uint8Array(), gasWanted, gasUsed, events };
}

/**
 * Runs one tx against store: the ante writes (fee, sequence) stay even when a message fails, the
 * message writes go through a buffer that is dropped on failure, as the Cosmos SDK does.
 */
function executeTx(
  store: KVStore,
  ctx: BlockContext,
  tx: DecodedTx,
  opts: { chainId: string; mode: AnteMode; signatureVerified?: boolean },
): TxResult {
  const ante = bufferedStore(store);
  let outcome: ReturnType<typeof runAnte>;
  try {
    outcome = runAnte(ante, tx, { chainId: opts.chainId, mode: opts.mode, signatureVerified: opts.signatureVerified });
  } catch (err) {
    return errorResult(err, tx.fee.gasLimit);
  }
  ante.flush();
  const msgs = bufferedStore(store);
  const responses: { typeUrl: string; value: Uint8Array }[] = [];
  const events = [...outcome.events];
  try {
    tx.messages.forEach((msg, i) => {
      const r = deliverMessage(msgs, ctx, msg, i, outcome.signer);
      responses.push({ typeUrl: r.responseTypeUrl, value: r.data });
      events.push(...r.events);
    });
  } catch (err) {
    return errorResult(err, outcome.gasWanted, outcome.gasUsed, outcome.events);
  }
  msgs.flush();
  return {
    ...okResult(),
    data: TxMsgData.encode({ data: [], msgResponses: responses }).finish(),
    gasWanted: outcome.gasWanted,
    gasUsed: outcome.gasUsed,
    events,
  };
}

/** Opens the node's database, running InitChain from genesis on first use. */
export function openApp(opts: AppOptions): App {
  const db = openDatabase(opts.dbPath);
  const blocks = blockStore(db);
  const committed = sqliteStore(db);
  const chainId = opts.genesis.chain_id;
  const proposerAddress = opts.genesis.validators[0]!.address.toUpperCase();

  const storedDigest = blocks.getMeta("genesis_digest");
  if (storedDigest === undefined) {
    const init = bufferedStore(committed);
    for (const a of opts.genesis.app_state.auth.accounts) ensureAccount(init, a.address);
    for (const b of opts.genesis.app_state.bank.balances) mint(init, b.address, b.coins);
    try {
      initGenesis(pocvalStore(init), opts.pocvalGenesis);
    } catch (err) {
      if (err instanceof ChainError) throw new NodeError(`genesis: app_state.pocval is rejected: ${err.log}`);
      throw err;
    }
    const appHash = nextAppHash(ZERO_HASH, 0n, init.writes());
    db.transaction(() => {
      init.flush();
      blocks.setMeta("genesis_digest", opts.genesisDigest);
      blocks.setMeta("chain_id", chainId);
      blocks.setMeta("app_hash", Buffer.from(appHash).toString("hex"));
    })();
  } else if (storedDigest !== opts.genesisDigest) {
    throw new NodeError(`${opts.dbPath} holds a chain started from another genesis file; use a fresh home`);
  }

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

  function simulate(data: Uint8Array): Uint8Array {
    let txBytes: Uint8Array;
    try {
      txBytes = SimulateRequest.decode(data).txBytes;
    } catch (err) {
      throw sdkError(SdkCode.txDecode, `SimulateRequest does not decode: ${(err as Error).message}`);
    }
    const tx = decodeTx(txBytes);
    const result = executeTx(bufferedStore(committed), contextAt(lastHeight + 1n), tx, { chainId, mode: "simulate" });
    if (result.code !== 0) throw new TxError(result.code, result.codespace, result.log);
    return SimulateResponse.encode({
      gasInfo: { gasWanted: result.gasWanted, gasUsed: result.gasUsed },
      result: {
        data: new Uint8Array(),
        log: "",
        events: result.events.map((e) => ({
          type: e.type,
          attributes: e.attributes.map((a) => ({ ...a, index: true })),
        })),
        msgResponses: TxMsgData.decode(result.data).msgResponses,
      },
    }).finish();
  }

  function routeQuery(path: string, data: Uint8Array): Uint8Array {
    const view = bufferedStore(committed);
    const decode = <T>(decoder: { decode(d: Uint8Array): T }, what: string): T => {
      try {
        return decoder.decode(data);
      } catch (err) {
        throw sdkError(SdkCode.txDecode, `${what} does not decode: ${(err as Error).message}`);
      }
    };
    switch (path) {
      case ACCOUNT_QUERY: {
        const { address } = decode(QueryAccountRequest, "QueryAccountRequest");
        checkAddress(address, "address");
        const account = getAccount(view, address);
        if (!account) {
          throw sdkError(SdkCode.keyNotFound, `rpc error: code = NotFound desc = account ${address} not found`);
        }
        return QueryAccountResponse.encode({
          account: { typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: BaseAccount.encode(account).finish() },
        }).finish();
      }
      case BALANCE_QUERY: {
        const { address, denom } = decode(QueryBalanceRequest, "QueryBalanceRequest");
        checkAddress(address, "address");
        const amount = getBalance(view, address, denom);
        return QueryBalanceResponse.encode({ balance: { denom, amount: amount.toString() } }).finish();
      }
      case ALL_BALANCES_QUERY: {
        const { address } = decode(QueryAllBalancesRequest, "QueryAllBalancesRequest");
        checkAddress(address, "address");
        const balances = allBalances(view, address);
        return QueryAllBalancesResponse.encode({
          balances,
          pagination: { nextKey: new Uint8Array(), total: BigInt(balances.length) },
        }).finish();
      }
      case SIMULATE_QUERY:
        return simulate(data);
    }
    if (path.startsWith(POCVAL_QUERY_PREFIX)) {
      try {
        // As in the SDK, a query runs at the latest committed height, whose hash is known.
        const ctx: BlockContext = {
          height: lastHeight,
          blockHash: (h) => (h <= lastHeight ? blockHash(h) : undefined),
        };
        return moduleQuery(pocvalStore(view), ctx, path, data);
      } catch (err) {
        if (err instanceof ChainError) throw fromChainError(err);
        throw err;
      }
    }
    throw sdkError(SdkCode.unknownRequest, `unknown query path ${path}`);
  }

  return {
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

    commitBlock(txs, timeMs) {
      const height = lastHeight + 1n;
      const ctx = contextAt(height);
      const block = bufferedStore(committed);
      const run = (fn: () => AbciEvent[]): AbciEvent[] => {
        try {
          return fn();
        } catch (err) {
          // A module that throws at a block boundary is a bug: stop rather than fork from ourselves.
          throw new NodeError(`height ${height}: the pocval module failed: ${(err as Error).message}`);
        }
      };
      const beginEvents = run(() => beginBlock(pocvalStore(block), ctx));
      const results = txs.map((bytes) => {
        let tx: DecodedTx;
        try {
          tx = decodeTx(bytes);
        } catch (err) {
          return errorResult(err);
        }
        const result = executeTx(block, ctx, tx, {
          chainId,
          mode: "deliver",
          signatureVerified: verified.has(tx.hash),
        });
        verified.delete(tx.hash);
        return result;
      });
      const endEvents = run(() => endBlock(pocvalStore(block), ctx));
      const appHash = nextAppHash(lastAppHash, height, block.writes());
      const previousMs = last ? Date.parse(last.header.time) : 0;
      const header = {
        chainId,
        height,
        time: new Date(Math.max(timeMs, previousMs + 1)).toISOString(),
        lastBlockHash: last?.hash ?? "",
        dataHash: dataHash(txs),
        appHash: Buffer.from(appHash).toString("hex"),
        proposerAddress,
      };
      const stored: StoredBlock = {
        height,
        hash: hashHeader(header),
        header,
        size: txs.reduce((n, tx) => n + tx.length, 0),
        txs: [...txs],
      };
      db.transaction(() => {
        block.flush();
        blocks.insertBlock(stored, results, beginEvents, endEvents);
        blocks.setMeta("app_hash", header.appHash);
      })();
      lastHeight = height;
      lastAppHash = appHash;
      last = stored;
      hashCache.set(height, stored.hash);
      // Recent hashes stay in memory (the module asks for the stage's); older ones come from SQLite.
      if (hashCache.size > 10_000) hashCache.delete(hashCache.keys().next().value!);
      checkState = bufferedStore(committed);
      return { block: stored, results, beginEvents, endEvents };
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
        return { ...base, value: routeQuery(path, data) };
      } catch (err) {
        const r = errorResult(err);
        return { ...base, code: r.code, codespace: r.codespace, log: r.log };
      }
    },

    close() {
      db.close();
    },
  };
}

/** CheckTx runs the ante handler only (as the SDK does); messages run in DeliverTx. */
function executeAnteOnly(store: KVStore, tx: DecodedTx, chainId: string, signatureVerified: boolean): TxResult {
  try {
    // A recheck after a commit need not verify again: same bytes, chain id and account number.
    const outcome = runAnte(store, tx, { chainId, mode: "check", signatureVerified });
    return { ...okResult(), gasWanted: outcome.gasWanted, gasUsed: outcome.gasUsed, events: outcome.events };
  } catch (err) {
    return errorResult(err, tx.fee.gasLimit);
  }
}
