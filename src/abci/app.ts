// The pocval application behind CometBFT's ABCI 2.0: each request maps onto the same App the
// embedded node drives (finalizeBlock, commit, checkTx, query). No sockets here: see server.ts.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import {
  type Event,
  type ExecTxResult,
  type Request,
  type RequestFinalizeBlock,
  type RequestInitChain,
  type RequestPrepareProposal,
  type RequestQuery,
  type Response,
  ResponseApplySnapshotChunk_Result,
  ResponseOfferSnapshot_Result,
  ResponseProcessProposal_ProposalStatus,
  ResponseVerifyVoteExtension_VerifyStatus,
} from "cosmjs-types/tendermint/abci/types";
import { type AbciEvent, type App, type FinalizedBlock, openApp, type TxResult } from "../app/index.js";
import { PocvalError } from "../core/index.js";
import { packageVersion } from "../net/index.js";
import { AbciGenesisError, consensusValidators, type ParsedAppGenesis, parseAppGenesis } from "./genesis.js";

export const APP_GENESIS_FILE = "app-genesis.json";
export const APP_DB_FILE = join("data", "app.db");
export const APP_VERSION = 1n;

export class AbciAppError extends PocvalError {
  override name = "AbciAppError";
}

export interface AbciApp {
  /** Answers one request; throws on a request the app cannot serve (the server answers an exception). */
  handle(req: Request): Response;
  /** The committed height (0 before InitChain). */
  height(): bigint;
  close(): void;
}

export interface AbciAppOptions {
  /** Holds app-genesis.json and data/app.db. */
  home: string;
  log?: (line: string) => void;
}

const toAbciEvents = (events: readonly AbciEvent[]): Event[] =>
  events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ ...a, index: true })) }));

const toExecResult = (r: TxResult): ExecTxResult => ({
  code: r.code,
  data: r.data,
  log: r.log,
  info: "",
  gasWanted: r.gasWanted,
  gasUsed: r.gasUsed,
  events: toAbciEvents(r.events),
  codespace: r.codespace,
});

const timestampMs = (t: Timestamp | undefined): number =>
  t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000) : 0;

const upperHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex").toUpperCase();

/** What one home's app holds between requests. */
interface Session {
  readonly home: string;
  readonly genesisPath: string;
  readonly log: (line: string) => void;
  genesis: ParsedAppGenesis | undefined;
  app: App | undefined;
  /** The block FinalizeBlock executed, waiting for Commit. */
  pending: FinalizedBlock | undefined;
}

/** The app for one home: reopens the state InitChain created there, if any. */
export async function createAbciApp(opts: AbciAppOptions): Promise<AbciApp> {
  await mkdir(join(opts.home, "data"), { recursive: true });
  const s: Session = {
    home: opts.home,
    genesisPath: join(opts.home, APP_GENESIS_FILE),
    log: opts.log ?? (() => {}),
    genesis: undefined,
    app: undefined,
    pending: undefined,
  };
  reopen(s);
  return {
    height: () => s.app?.height() ?? 0n,
    handle: (req) => handle(s, req),
    close() {
      s.app?.close();
      s.app = undefined;
    },
  };
}

const openStore = (s: Session, g: ParsedAppGenesis): App =>
  openApp({
    dbPath: join(s.home, APP_DB_FILE),
    genesis: { chain_id: g.genesis.chain_id, app_state: g.genesis.app_state },
    pocvalGenesis: g.pocval,
    genesisDigest: g.digest,
  });

/** Opens the state an earlier InitChain created in this home, if there is one. */
function reopen(s: Session): void {
  if (!existsSync(s.genesisPath)) return;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(s.genesisPath, "utf8"));
  } catch (err) {
    throw new AbciAppError(`${s.genesisPath}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  s.genesis = parseAppGenesis(json, s.genesisPath);
  s.app = openStore(s, s.genesis);
  s.log(`reopened chain ${s.genesis.genesis.chain_id} at height ${s.app.height()}`);
}

function requireApp(s: Session, what: string): App {
  if (!s.app) throw new AbciAppError(`${what} before InitChain: this app has no genesis yet`);
  return s.app;
}

/** Answers one request by its kind; the consensus, mempool, query and snapshot connections all come here. */
function handle(s: Session, req: Request): Response {
  if (req.echo) return { echo: { message: req.echo.message } };
  if (req.flush) return { flush: {} };
  if (req.info) return info(s);
  if (req.initChain) return initChain(s, req.initChain);
  if (req.checkTx) return checkTx(requireApp(s, "CheckTx"), req.checkTx.tx);
  if (req.query) return query(requireApp(s, "Query"), req.query);
  if (req.prepareProposal) return prepareProposal(req.prepareProposal);
  if (req.processProposal) return { processProposal: { status: ResponseProcessProposal_ProposalStatus.ACCEPT } };
  if (req.finalizeBlock) return finalizeBlock(s, req.finalizeBlock);
  if (req.commit) return commit(s);
  if (req.extendVote) return { extendVote: { voteExtension: new Uint8Array() } };
  if (req.verifyVoteExtension) {
    return { verifyVoteExtension: { status: ResponseVerifyVoteExtension_VerifyStatus.ACCEPT } };
  }
  // State sync is not offered: no snapshots to list, none accepted.
  if (req.listSnapshots) return { listSnapshots: { snapshots: [] } };
  if (req.offerSnapshot) return { offerSnapshot: { result: ResponseOfferSnapshot_Result.ABORT } };
  if (req.loadSnapshotChunk) return { loadSnapshotChunk: { chunk: new Uint8Array() } };
  if (req.applySnapshotChunk) {
    return {
      applySnapshotChunk: { result: ResponseApplySnapshotChunk_Result.ABORT, refetchChunks: [], rejectSenders: [] },
    };
  }
  throw new AbciAppError("unknown ABCI request (no field set)");
}

function info(s: Session): Response {
  const height = s.app?.height() ?? 0n;
  return {
    info: {
      data: "pocval",
      version: packageVersion(),
      appVersion: APP_VERSION,
      lastBlockHeight: height,
      lastBlockAppHash: s.app && height > 0n ? s.app.appHash() : new Uint8Array(),
    },
  };
}

/** InitChain: the genesis kept in this home (app-genesis.json), the state written, the validator set. */
function initChain(s: Session, req: RequestInitChain): Response {
  let json: unknown;
  try {
    json = { chain_id: req.chainId, app_state: JSON.parse(Buffer.from(req.appStateBytes).toString("utf8")) };
  } catch (err) {
    throw new AbciGenesisError(`InitChain: app_state is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (req.initialHeight > 1n)
    throw new AbciGenesisError(`InitChain: initial_height must be 1, got ${req.initialHeight}`);
  const parsed = parseAppGenesis(json, "InitChain");
  if (s.genesis && s.genesis.digest !== parsed.digest) {
    throw new AbciGenesisError(`InitChain: ${s.genesisPath} holds another genesis; use a fresh home for a new chain`);
  }
  if (!s.genesis) {
    const tmp = `${s.genesisPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(parsed.genesis, null, 2)}\n`);
    renameSync(tmp, s.genesisPath);
    s.genesis = parsed;
    s.app = openStore(s, parsed);
  }
  const a = requireApp(s, "InitChain");
  s.log(`InitChain: chain ${req.chainId}, app hash ${upperHex(a.appHash())}`);
  return {
    initChain: {
      validators: consensusValidators(parsed).map((v) => ({ pubKey: { ed25519: v.pubKeyEd25519 }, power: v.power })),
      appHash: a.appHash(),
    },
  };
}

function checkTx(app: App, tx: Uint8Array): Response {
  const r = app.checkTx(tx);
  return { checkTx: toExecResult(r) };
}

function query(app: App, q: RequestQuery): Response {
  const r = app.query(q.path, q.data, q.height);
  return {
    query: {
      code: r.code,
      log: r.log,
      info: "",
      index: 0n,
      key: q.data,
      value: r.value,
      height: r.height,
      codespace: r.codespace,
    },
  };
}

/** Pass-through: the mempool's order, within the byte limit (each tx counted as its proto field). */
function prepareProposal(req: RequestPrepareProposal): Response {
  const out: Uint8Array[] = [];
  let bytes = 0n;
  for (const tx of req.txs) {
    const size = BigInt(tx.length + 1 + varintLength(tx.length));
    if (bytes + size > req.maxTxBytes) break;
    out.push(tx);
    bytes += size;
  }
  return { prepareProposal: { txs: out } };
}

function finalizeBlock(s: Session, req: RequestFinalizeBlock): Response {
  const a = requireApp(s, "FinalizeBlock");
  if (req.height !== a.height() + 1n) {
    throw new AbciAppError(`FinalizeBlock: height ${req.height} does not follow the committed height ${a.height()}`);
  }
  const pending = a.finalizeBlock(req.txs, {
    timeMs: timestampMs(req.time),
    hash: Buffer.from(req.hash).toString("hex"),
    proposerAddress: upperHex(req.proposerAddress),
  });
  s.pending = pending;
  return {
    finalizeBlock: {
      events: toAbciEvents([...pending.beginEvents, ...pending.endEvents]),
      txResults: pending.results.map(toExecResult),
      validatorUpdates: [],
      appHash: pending.appHash,
    },
  };
}

function commit(s: Session): Response {
  const a = requireApp(s, "Commit");
  if (!s.pending) throw new AbciAppError(`Commit without a finalized block at height ${a.height() + 1n}`);
  const { block } = a.commit(s.pending);
  s.pending = undefined;
  s.log(`height ${block.height} txs ${block.txs.length} app_hash ${block.header.appHash}`);
  return { commit: { retainHeight: 0n } };
}

function varintLength(n: number): number {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 0x80)) len++;
  return len;
}
