// The app's SQLite database: blocks, txs and their results, the tx and block event index, the committed state.
import Database from "better-sqlite3";
import type { AbciEvent } from "./messages.js";
import { txHash } from "./tx.js";

/** An operator of CometBFT's event query language (the node's RPC parses the queries). */
export type Operator = "=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "EXISTS";

/** One `key op operand` term of a search over the indexed events. */
export interface Condition {
  key: string;
  op: Operator;
  /** A string for quoted operands, a number for bare ones, undefined for EXISTS. */
  value: string | number | undefined;
}

/** The result of one transaction, as CheckTx and DeliverTx report it. */
export interface TxResult {
  code: number;
  codespace: string;
  log: string;
  data: Uint8Array;
  gasWanted: bigint;
  gasUsed: bigint;
  events: AbciEvent[];
}

/** What the block hash covers (see `hashHeader`). Hashes are lower-case hex. */
export interface BlockHeader {
  chainId: string;
  height: bigint;
  /** RFC 3339 with milliseconds, UTC. */
  time: string;
  /** Hash of the previous block, "" for the first one. */
  lastBlockHash: string;
  dataHash: string;
  /** The app hash after this block's state writes. */
  appHash: string;
  /** Upper-case hex of the sequencer's 20-byte address. */
  proposerAddress: string;
}

export interface StoredBlock {
  height: bigint;
  hash: string;
  header: BlockHeader;
  size: number;
  txs: Uint8Array[];
}

export interface StoredTx {
  hash: string;
  height: bigint;
  index: number;
  tx: Uint8Array;
  result: TxResult;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
  height INTEGER PRIMARY KEY, hash TEXT NOT NULL, header TEXT NOT NULL, size INTEGER NOT NULL,
  begin_events TEXT NOT NULL, end_events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, height INTEGER NOT NULL, idx INTEGER NOT NULL,
  tx BLOB NOT NULL, result TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS txs_height ON txs (height, idx);
CREATE TABLE IF NOT EXISTS tx_attrs (tx_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tx_attrs_key ON tx_attrs (key, value, tx_id);
CREATE TABLE IF NOT EXISTS block_attrs (height INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS block_attrs_key ON block_attrs (key, value, height);
`;

/** Opens (creating if needed) the node database. WAL: a commit survives the process being killed. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(SCHEMA);
  return db;
}

// Results travel through JSON with bigints as strings and bytes as base64.
const resultToJson = (r: TxResult): string =>
  JSON.stringify({
    ...r,
    data: Buffer.from(r.data).toString("base64"),
    gasWanted: `${r.gasWanted}`,
    gasUsed: `${r.gasUsed}`,
  });
function resultFromJson(text: string): TxResult {
  const j = JSON.parse(text) as Omit<TxResult, "data" | "gasWanted" | "gasUsed"> & {
    data: string;
    gasWanted: string;
    gasUsed: string;
  };
  return {
    ...j,
    data: new Uint8Array(Buffer.from(j.data, "base64")),
    gasWanted: BigInt(j.gasWanted),
    gasUsed: BigInt(j.gasUsed),
  };
}
const headerToJson = (h: BlockHeader): string => JSON.stringify({ ...h, height: h.height.toString() });
const headerFromJson = (text: string): BlockHeader => {
  const j = JSON.parse(text) as Omit<BlockHeader, "height"> & { height: string };
  return { ...j, height: BigInt(j.height) };
};

/**
 * SQL for a CometBFT query over an indexed table: `columns` maps the implicit keys (tx.height,
 * tx.hash, block.height) to columns; every other key is an event attribute found by `attrs`, a
 * correlated subquery over the attribute table aliased `a`. Operators come from the parser's
 * fixed set and values are bound, so no input reaches the SQL text.
 */
function whereClause(
  conditions: readonly Condition[],
  table: { columns: Record<string, string>; attrs: string },
): { clause: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  for (const c of conditions) {
    if (c.key === "tm.event") continue;
    const column = Object.hasOwn(table.columns, c.key) ? table.columns[c.key] : undefined;
    if (column) {
      if (c.op === "EXISTS") continue;
      if (c.op === "CONTAINS") {
        where.push(`instr(${column}, ?) > 0`);
        args.push(String(c.value));
      } else {
        where.push(`${column} ${c.op} ?`);
        args.push(c.key === "tx.hash" ? String(c.value).toUpperCase() : Number(c.value));
      }
      continue;
    }
    const sub = `EXISTS (${table.attrs} AND a.key = ?`;
    args.push(c.key);
    if (c.op === "EXISTS") where.push(`${sub})`);
    else if (c.op === "CONTAINS") {
      where.push(`${sub} AND instr(a.value, ?) > 0)`);
      args.push(String(c.value));
    } else if (c.op === "=" && typeof c.value === "string") {
      where.push(`${sub} AND a.value = ?)`);
      args.push(c.value);
    } else {
      where.push(`${sub} AND CAST(a.value AS REAL) ${c.op} ?)`);
      args.push(Number(c.value));
    }
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args };
}

/** A paged, ordered slice of search results. */
export interface SearchPage {
  offset: number;
  limit: number;
  descending: boolean;
}

/** Reads and writes blocks, tx results and the tx index. Writes happen inside the caller's transaction. */
export interface BlockStore {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  latestHeight(): bigint;
  earliestHeight(): bigint;
  insertBlock(block: StoredBlock, results: TxResult[], beginEvents: AbciEvent[], endEvents: AbciEvent[]): void;
  block(height: bigint): StoredBlock | undefined;
  blockResults(height: bigint): { txs: StoredTx[]; beginEvents: AbciEvent[]; endEvents: AbciEvent[] } | undefined;
  tx(hash: string): StoredTx | undefined;
  /** Txs matching every condition, ordered by height then index; `tm.event` terms are ignored. */
  searchTxs(conditions: readonly Condition[], page: SearchPage): { total: number; txs: StoredTx[] };
  /** Heights of blocks whose begin/end block events match every condition (`block.height` too). */
  searchBlocks(conditions: readonly Condition[], page: SearchPage): { total: number; heights: bigint[] };
}

interface TxRow {
  hash: string;
  height: number;
  idx: number;
  tx: Uint8Array;
  result: string;
}

function prepareStatements(db: Database.Database) {
  return {
    getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare<[string, string]>(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ),
    insertBlock: db.prepare<[number, string, string, number, string, string]>(
      "INSERT INTO blocks (height, hash, header, size, begin_events, end_events) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    insertTx: db.prepare<[string, number, number, Uint8Array, string]>(
      "INSERT INTO txs (hash, height, idx, tx, result) VALUES (?, ?, ?, ?, ?)",
    ),
    insertAttr: db.prepare<[number | bigint, string, string]>(
      "INSERT INTO tx_attrs (tx_id, key, value) VALUES (?, ?, ?)",
    ),
    insertBlockAttr: db.prepare<[number, string, string]>(
      "INSERT INTO block_attrs (height, key, value) VALUES (?, ?, ?)",
    ),
    block: db.prepare<[number], { height: number; hash: string; header: string; size: number }>(
      "SELECT height, hash, header, size FROM blocks WHERE height = ?",
    ),
    blockEvents: db.prepare<[number], { begin_events: string; end_events: string }>(
      "SELECT begin_events, end_events FROM blocks WHERE height = ?",
    ),
    blockTxs: db.prepare<[number], TxRow>(
      "SELECT hash, height, idx, tx, result FROM txs WHERE height = ? ORDER BY idx",
    ),
    txByHash: db.prepare<[string], TxRow>("SELECT hash, height, idx, tx, result FROM txs WHERE hash = ?"),
    latest: db.prepare<[], { height: number | null }>("SELECT MAX(height) AS height FROM blocks"),
    earliest: db.prepare<[], { height: number | null }>("SELECT MIN(height) AS height FROM blocks"),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

const toTx = (row: TxRow): StoredTx => ({
  hash: row.hash,
  height: BigInt(row.height),
  index: row.idx,
  tx: new Uint8Array(row.tx),
  result: resultFromJson(row.result),
});

/** The block, its txs with their results, and every event attribute into the search index. */
function insertBlock(
  stmts: Statements,
  block: StoredBlock,
  results: TxResult[],
  beginEvents: AbciEvent[],
  endEvents: AbciEvent[],
): void {
  const h = Number(block.height);
  stmts.insertBlock.run(
    h,
    block.hash,
    headerToJson(block.header),
    block.size,
    JSON.stringify(beginEvents),
    JSON.stringify(endEvents),
  );
  for (const event of [...beginEvents, ...endEvents]) {
    for (const attr of event.attributes) stmts.insertBlockAttr.run(h, `${event.type}.${attr.key}`, attr.value);
  }
  block.txs.forEach((tx, i) => {
    const result = results[i]!;
    const hash = txHash(tx);
    const id = stmts.insertTx.run(hash, h, i, tx, resultToJson(result)).lastInsertRowid;
    for (const event of result.events) {
      for (const attr of event.attributes) stmts.insertAttr.run(id, `${event.type}.${attr.key}`, attr.value);
    }
  });
}

function readBlock(stmts: Statements, height: bigint): StoredBlock | undefined {
  const row = stmts.block.get(Number(height));
  if (!row) return undefined;
  return {
    height: BigInt(row.height),
    hash: row.hash,
    header: headerFromJson(row.header),
    size: row.size,
    txs: stmts.blockTxs.all(Number(height)).map((t) => new Uint8Array(t.tx)),
  };
}

function readBlockResults(stmts: Statements, height: bigint): ReturnType<BlockStore["blockResults"]> {
  const row = stmts.blockEvents.get(Number(height));
  if (!row) return undefined;
  return {
    txs: stmts.blockTxs.all(Number(height)).map(toTx),
    beginEvents: JSON.parse(row.begin_events) as AbciEvent[],
    endEvents: JSON.parse(row.end_events) as AbciEvent[],
  };
}

function searchTxs(
  db: Database.Database,
  conditions: readonly Condition[],
  page: SearchPage,
): { total: number; txs: StoredTx[] } {
  const { clause, args } = whereClause(conditions, {
    columns: { "tx.height": "t.height", "tx.hash": "t.hash" },
    attrs: "SELECT 1 FROM tx_attrs a WHERE a.tx_id = t.id",
  });
  const total = db.prepare(`SELECT COUNT(*) AS n FROM txs t ${clause}`).get(...args) as { n: number };
  const order = page.descending ? "DESC" : "ASC";
  const rows = db
    .prepare(
      `SELECT t.hash, t.height, t.idx, t.tx, t.result FROM txs t ${clause} ORDER BY t.height ${order}, t.idx ${order} LIMIT ? OFFSET ?`,
    )
    .all(...args, page.limit, page.offset) as TxRow[];
  return { total: total.n, txs: rows.map(toTx) };
}

function searchBlocks(
  db: Database.Database,
  conditions: readonly Condition[],
  page: SearchPage,
): { total: number; heights: bigint[] } {
  const { clause, args } = whereClause(conditions, {
    columns: { "block.height": "b.height" },
    attrs: "SELECT 1 FROM block_attrs a WHERE a.height = b.height",
  });
  const total = db.prepare(`SELECT COUNT(*) AS n FROM blocks b ${clause}`).get(...args) as { n: number };
  const order = page.descending ? "DESC" : "ASC";
  const rows = db
    .prepare(`SELECT b.height FROM blocks b ${clause} ORDER BY b.height ${order} LIMIT ? OFFSET ?`)
    .all(...args, page.limit, page.offset) as { height: number }[];
  return { total: total.n, heights: rows.map((r) => BigInt(r.height)) };
}

/** The block store over an open database (see `openDatabase`). */
export function blockStore(db: Database.Database): BlockStore {
  const stmts = prepareStatements(db);
  return {
    getMeta: (key) => stmts.getMeta.get(key)?.value,
    setMeta: (key, value) => {
      stmts.setMeta.run(key, value);
    },
    latestHeight: () => BigInt(stmts.latest.get()?.height ?? 0),
    earliestHeight: () => BigInt(stmts.earliest.get()?.height ?? 0),
    insertBlock: (block, results, beginEvents, endEvents) => insertBlock(stmts, block, results, beginEvents, endEvents),
    block: (height) => readBlock(stmts, height),
    blockResults: (height) => readBlockResults(stmts, height),
    tx: (hash) => {
      const row = stmts.txByHash.get(hash.toUpperCase());
      return row ? toTx(row) : undefined;
    },
    searchTxs: (conditions, page) => searchTxs(db, conditions, page),
    searchBlocks: (conditions, page) => searchBlocks(db, conditions, page),
  };
}
