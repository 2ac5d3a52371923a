// The CometBFT-compatible JSON-RPC methods the node answers (status, block, tx, abci_query,
// broadcast, subscribe), over whatever the server hands them.
import { z } from "zod";
import { type App, MAX_TX_BYTES, type StoredTx, type TxResult } from "../app/index.js";
import { PocvalError, zodFieldLines } from "../core/index.js";
import { packageVersion } from "../net/index.js";
import {
  blockMetaJson,
  blockResponseJson,
  blockResultsJson,
  COMET_VERSION,
  headerJson,
  txJson,
  txResultJson,
} from "./comet-json.js";
import type { NodeGenesis } from "./genesis.js";
import { type Mempool, MempoolError } from "./mempool.js";
import { type Condition, parseQuery, QuerySyntaxError } from "./query-language.js";

/** JSON-RPC 2.0 error codes, as CometBFT answers them. */
export const RpcCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
} as const;

const messages: Record<number, string> = {
  [-32700]: "Parse error",
  [-32600]: "Invalid Request",
  [-32601]: "Method not found",
  [-32602]: "Invalid params",
  [-32603]: "Internal error",
};

/** An error the RPC answers as a JSON-RPC error object. */
export class RpcError extends PocvalError {
  override name = "RpcError";
  constructor(
    readonly code: number,
    readonly data: string,
  ) {
    super(`${messages[code] ?? "Error"}: ${data}`);
  }
  toJson() {
    return { code: this.code, message: messages[this.code] ?? "Error", data: this.data };
  }
}

/** What the RPC methods need from the running node. */
export interface RpcBackend {
  app: App;
  genesis: NodeGenesis;
  mempool: Mempool;
  nodeId: string;
  listenAddr: string;
  /** Resolves once the tx is committed; rejects after timeoutMs. */
  waitForTx(hash: string, timeoutMs: number): Promise<StoredTx>;
  /** Why the node stopped producing blocks, if it did. */
  failure(): string | undefined;
}

export const BROADCAST_COMMIT_TIMEOUT_MS = 10_000;

/** Positional parameter names, so `params: [..]` works like `params: {..}` as in CometBFT. */
const positional: Record<string, string[]> = {
  abci_query: ["path", "data", "height", "prove"],
  block: ["height"],
  block_results: ["height"],
  commit: ["height"],
  blockchain: ["minHeight", "maxHeight"],
  broadcast_tx_sync: ["tx"],
  broadcast_tx_async: ["tx"],
  broadcast_tx_commit: ["tx"],
  tx: ["hash", "prove"],
  tx_search: ["query", "prove", "page", "per_page", "order_by"],
  block_search: ["query", "page", "per_page", "order_by"],
  validators: ["height", "page", "per_page"],
  subscribe: ["query"],
  unsubscribe: ["query"],
};

/** Named params from a JSON-RPC params value (object, array or absent). */
export function namedParams(method: string, params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (Array.isArray(params)) {
    const names = positional[method] ?? [];
    if (params.length > names.length)
      throw new RpcError(RpcCode.invalidParams, `${method} takes at most ${names.length} params`);
    return Object.fromEntries(params.map((v, i) => [names[i]!, v]));
  }
  if (typeof params === "object") return params as Record<string, unknown>;
  throw new RpcError(RpcCode.invalidParams, "params must be an object or an array");
}

const intParam = z
  .union([
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^\d{1,15}$/, "must be a non-negative integer"),
  ])
  .transform((v) => Number(v));
const optionalInt = intParam.nullish();
const optionalBool = z.union([z.boolean(), z.enum(["true", "false"])]).nullish();
const hexBytes = z
  .string()
  .regex(/^(0x)?([0-9a-fA-F]{2})*$/, "must be hex")
  .transform((s) => new Uint8Array(Buffer.from(s.replace(/^0x/, ""), "hex")));
const txBytes = z
  .string()
  // Generous, so that a tx just over MAX_TX_BYTES reaches CheckTx and gets its code 21.
  .max(MAX_TX_BYTES * 2, `tx is far over ${MAX_TX_BYTES} bytes`)
  .transform((s, ctx) => {
    if (/^0x([0-9a-fA-F]{2})*$/.test(s)) return new Uint8Array(Buffer.from(s.slice(2), "hex"));
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
      ctx.addIssue({ code: "custom", message: "must be base64 (or 0x-prefixed hex)" });
      return z.NEVER;
    }
    return new Uint8Array(Buffer.from(s, "base64"));
  });
const hashParam = z.string().transform((s, ctx) => {
  const hex = s.replace(/^0x/, "");
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return hex.toUpperCase();
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(s) ? Buffer.from(s, "base64") : Buffer.alloc(0);
  if (bytes.length !== 32) {
    ctx.addIssue({ code: "custom", message: "must be a 32-byte hash in base64 or hex" });
    return z.NEVER;
  }
  return bytes.toString("hex").toUpperCase();
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new RpcError(RpcCode.invalidParams, zodFieldLines(r.error).join("; "));
  return r.data;
}

const heightSchema = z.object({ height: optionalInt });

function checkTxJson(r: TxResult) {
  return { ...txResultJson(r), data: r.data.length > 0 ? Buffer.from(r.data).toString("base64") : null };
}

/**
 * broadcast_tx_sync/async as CometBFT 0.38 answers them (ResultBroadcastTx): code, data as hex
 * (HexBytes, "" when empty), log, codespace and hash; no gas or events (those are in check_tx of
 * broadcast_tx_commit only).
 */
function broadcastResultJson(r: TxResult & { hash: string }) {
  return {
    code: r.code,
    data: Buffer.from(r.data).toString("hex").toUpperCase(),
    log: r.log,
    codespace: r.codespace,
    hash: r.hash,
  };
}

/** The height asked for, or the latest; errors as CometBFT words them. */
function resolveHeight(app: App, height: number | null | undefined): bigint {
  const latest = app.height();
  if (height === undefined || height === null || height === 0) return latest;
  const h = BigInt(height);
  if (h > latest) {
    throw new RpcError(
      RpcCode.internal,
      `height ${h} must be less than or equal to the current blockchain height ${latest}`,
    );
  }
  const earliest = app.blocks.earliestHeight();
  if (h < earliest) throw new RpcError(RpcCode.internal, `height ${h} is not available, lowest height is ${earliest}`);
  return h;
}

function parseOrInvalid(query: string): Condition[] {
  try {
    return parseQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) throw new RpcError(RpcCode.invalidParams, err.message);
    throw err;
  }
}

function paginate(total: number, page: number | null | undefined, perPage: number | null | undefined) {
  const size = Math.min(Math.max(perPage ?? 30, 1), 100);
  const pages = Math.max(1, Math.ceil(total / size));
  const p = page ?? 1;
  if (p < 1 || p > pages)
    throw new RpcError(RpcCode.invalidParams, `page should be within [1, ${pages}] range, given ${p}`);
  return { offset: (p - 1) * size, limit: size };
}

function validatorsJson(genesis: NodeGenesis) {
  return genesis.validators.map((v) => ({
    address: v.address.toUpperCase(),
    pub_key: v.pub_key,
    voting_power: v.power,
    proposer_priority: "0",
  }));
}

async function broadcast(backend: RpcBackend, params: Record<string, unknown>) {
  const { tx } = parse(z.object({ tx: txBytes }), params);
  try {
    return backend.mempool.add(tx);
  } catch (err) {
    if (err instanceof MempoolError) throw new RpcError(RpcCode.internal, err.message);
    throw err;
  }
}

type Method = (backend: RpcBackend, params: Record<string, unknown>) => unknown | Promise<unknown>;

/** The CometBFT JSON-RPC methods that @cosmjs/tendermint-rpc calls (subscriptions live in the server). */
export const methods: Record<string, Method> = {
  health: (backend) => {
    const failure = backend.failure();
    if (failure) throw new RpcError(RpcCode.internal, `the node stopped producing blocks: ${failure}`);
    return {};
  },

  status: ({ app, genesis, nodeId, listenAddr }) => {
    const latest = app.blocks.block(app.height());
    const earliest = app.blocks.block(app.blocks.earliestHeight());
    const proposer = genesis.validators[0]!;
    return {
      node_info: {
        protocol_version: { p2p: "8", block: "11", app: "0" },
        id: nodeId,
        listen_addr: listenAddr,
        network: genesis.chain_id,
        version: COMET_VERSION,
        channels: "40202122233038606100",
        moniker: "pocval-localnet",
        other: { tx_index: "on", rpc_address: listenAddr },
      },
      sync_info: {
        latest_block_hash: (latest?.hash ?? "").toUpperCase(),
        latest_app_hash: Buffer.from(app.appHash()).toString("hex").toUpperCase(),
        latest_block_height: app.height().toString(),
        latest_block_time: latest?.header.time ?? genesis.genesis_time,
        earliest_block_hash: (earliest?.hash ?? "").toUpperCase(),
        earliest_app_hash: (earliest?.header.appHash ?? "").toUpperCase(),
        earliest_block_height: (earliest?.height ?? 0n).toString(),
        earliest_block_time: earliest?.header.time ?? genesis.genesis_time,
        catching_up: false,
      },
      validator_info: {
        address: proposer.address.toUpperCase(),
        pub_key: proposer.pub_key,
        voting_power: proposer.power,
      },
    };
  },

  abci_info: ({ app }) => ({
    response: {
      data: "pocval",
      version: packageVersion(),
      app_version: "1",
      last_block_height: app.height().toString(),
      last_block_app_hash: Buffer.from(app.appHash()).toString("base64"),
    },
  }),

  abci_query: ({ app }, params) => {
    const p = parse(
      z.object({
        path: z.string().min(1).max(256),
        data: hexBytes.nullish(),
        height: optionalInt,
        prove: optionalBool,
      }),
      params,
    );
    const r = app.query(p.path, p.data ?? new Uint8Array(), p.height ? BigInt(p.height) : undefined);
    return {
      response: {
        code: r.code,
        log: r.log,
        info: "",
        index: "0",
        key: null,
        value: r.code === 0 ? Buffer.from(r.value).toString("base64") : null,
        proofOps: null,
        height: r.height.toString(),
        codespace: r.codespace,
      },
    };
  },

  broadcast_tx_sync: async (backend, params) => broadcastResultJson(await broadcast(backend, params)),

  // Runs CheckTx before answering (CometBFT's async answers before it): the answer is the same as sync.
  broadcast_tx_async: async (backend, params) => broadcastResultJson(await broadcast(backend, params)),

  broadcast_tx_commit: async (backend, params) => {
    const r = await broadcast(backend, params);
    if (r.code !== 0) {
      return { check_tx: checkTxJson(r), tx_result: txResultJson({ ...r, events: [] }), hash: r.hash, height: "0" };
    }
    let included: StoredTx;
    try {
      included = await backend.waitForTx(r.hash, BROADCAST_COMMIT_TIMEOUT_MS);
    } catch (err) {
      throw new RpcError(RpcCode.internal, (err as Error).message);
    }
    return {
      check_tx: checkTxJson(r),
      tx_result: txResultJson(included.result),
      hash: r.hash,
      height: included.height.toString(),
    };
  },

  num_unconfirmed_txs: ({ mempool }) => {
    const { count, bytes } = mempool.size();
    return { n_txs: String(count), total: String(count), total_bytes: String(bytes), txs: null };
  },

  tx: ({ app }, params) => {
    const { hash } = parse(z.object({ hash: hashParam, prove: optionalBool }), params);
    const found = app.blocks.tx(hash);
    if (!found) throw new RpcError(RpcCode.internal, `tx (${hash}) not found`);
    return txJson(found);
  },

  tx_search: ({ app }, params) => {
    const p = parse(
      z.object({
        query: z.string(),
        prove: optionalBool,
        page: optionalInt,
        per_page: optionalInt,
        order_by: z.enum(["asc", "desc", ""]).nullish(),
      }),
      params,
    );
    const conditions = parseOrInvalid(p.query);
    const descending = p.order_by === "desc";
    const probe = app.blocks.searchTxs(conditions, { offset: 0, limit: 0, descending });
    const page = paginate(probe.total, p.page, p.per_page);
    const found = app.blocks.searchTxs(conditions, { ...page, descending });
    return { txs: found.txs.map(txJson), total_count: String(found.total) };
  },

  block_search: ({ app }, params) => {
    const p = parse(
      z.object({
        query: z.string(),
        page: optionalInt,
        per_page: optionalInt,
        order_by: z.enum(["asc", "desc", ""]).nullish(),
      }),
      params,
    );
    const conditions = parseOrInvalid(p.query);
    const descending = p.order_by === "desc";
    const probe = app.blocks.searchBlocks(conditions, { offset: 0, limit: 0, descending });
    const page = paginate(probe.total, p.page, p.per_page);
    const found = app.blocks.searchBlocks(conditions, { ...page, descending });
    const blocks = found.heights.map((h) => app.blocks.block(h)).filter((b) => b !== undefined);
    return { blocks: blocks.map(blockResponseJson), total_count: String(found.total) };
  },

  block: ({ app }, params) => {
    const { height } = parse(heightSchema, params);
    const h = resolveHeight(app, height);
    const block = app.blocks.block(h);
    if (!block) throw new RpcError(RpcCode.internal, `block ${h} not found`);
    return blockResponseJson(block);
  },

  block_results: ({ app }, params) => {
    const { height } = parse(heightSchema, params);
    const h = resolveHeight(app, height);
    const block = app.blocks.block(h);
    const results = app.blocks.blockResults(h);
    if (!block || !results) throw new RpcError(RpcCode.internal, `block ${h} not found`);
    return blockResultsJson(
      h,
      block.header.appHash,
      results.txs.map((t) => t.result),
      results.beginEvents,
      results.endEvents,
    );
  },

  commit: ({ app }, params) => {
    const { height } = parse(heightSchema, params);
    const block = app.blocks.block(resolveHeight(app, height));
    if (!block) throw new RpcError(RpcCode.internal, "no blocks yet");
    return {
      signed_header: {
        header: headerJson(block.header),
        commit: {
          height: block.height.toString(),
          round: 0,
          block_id: blockResponseJson(block).block_id,
          signatures: [],
        },
      },
      canonical: true,
    };
  },

  blockchain: ({ app }, params) => {
    const p = parse(z.object({ minHeight: optionalInt, maxHeight: optionalInt }), params);
    const latest = app.height();
    const earliest = app.blocks.earliestHeight();
    let max = p.maxHeight ? BigInt(p.maxHeight) : latest;
    if (max > latest) max = latest;
    let min = p.minHeight ? BigInt(p.minHeight) : earliest;
    if (min < earliest) min = earliest;
    if (min > max)
      throw new RpcError(RpcCode.invalidParams, `min height ${min} can't be greater than max height ${max}`);
    if (max - min >= 20n) min = max - 19n;
    const metas = [];
    for (let h = max; h >= min && h > 0n; h--) {
      const b = app.blocks.block(h);
      if (b) metas.push(blockMetaJson(b));
    }
    return { last_height: latest.toString(), block_metas: metas };
  },

  validators: ({ app, genesis }, params) => {
    const p = parse(z.object({ height: optionalInt, page: optionalInt, per_page: optionalInt }), params);
    const h = resolveHeight(app, p.height);
    const all = validatorsJson(genesis);
    const page = paginate(all.length, p.page, p.per_page);
    const slice = all.slice(page.offset, page.offset + page.limit);
    return { block_height: h.toString(), validators: slice, count: String(slice.length), total: String(all.length) };
  },

  genesis: ({ genesis }) => ({ genesis }),
};
