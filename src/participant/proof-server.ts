// The participant's proof API (docs/protocol.md): the state of a stage's last committed snapshot,
// and audit paths of sampled leaves for signed requests of bonded validators.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { BECH32_PREFIX } from "../client/index.js";
import {
  fromBase64,
  type LeafProof,
  type ProofRequest,
  proofRequestSchema,
  type SignedProofAnswer,
  type StateResponse,
  signProofAnswer,
  TIMESTAMP_TOLERANCE_NS,
  toBase64,
  verifyProofRequest,
  zodIssueLines,
} from "../core/index.js";
import { answerClientErrors, HttpError, listen, readJsonBody, sendJson } from "../net/index.js";
import { type EventLog, silentEventLog } from "./log.js";
import {
  createRateLimiter,
  createReplayCache,
  DEFAULT_RATE_LIMIT,
  type RateLimiter,
  type RateLimitOptions,
  type ReplayCache,
} from "./rate-limit.js";
import type { ArtifactStore } from "./store.js";

/** Bonded validator addresses of a stage (its stake snapshot); throws when it cannot be read. */
export type BondedValidators = (stageHeight: number) => Promise<ReadonlySet<string>>;

/** How a cheating participant serves: alters leaves, or refuses in the validation window. */
export interface ServeCheat {
  alterLeaf?(leaf: { index: number; vector: Uint8Array; auditPath: Uint8Array[] }): {
    vector: Uint8Array;
    auditPath: Uint8Array[];
  };
  withholding?(stageHeight: number): boolean;
  /** Sees every schema-valid request as it arrived (replay-flood forwards it elsewhere). */
  observe?(body: string, request: ProofRequest): void;
  /** rate-limit: 429 with this Retry-After to every proof request, before reading it. */
  rateLimitAll?: { retryAfterSeconds: number };
  /** stall: holds every proof request open, never answering, until the client gives up. */
  stall?: boolean;
}

export interface ProofServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  stores: { get(stageHeight: number): ArtifactStore | undefined };
  /** This participant's account address: a request naming anyone else is refused (401). */
  participantAddress: string;
  /** Its account key: every 200 answer carries `participant_signature` made with it. */
  signingKey: Uint8Array;
  bondedValidators: BondedValidators;
  /** Bech32 prefix validator addresses must carry. */
  prefix?: string;
  /** Nanoseconds clock for the timestamp window (injectable for tests). */
  nowNs?: () => bigint;
  rateLimit?: Omit<RateLimitOptions, "now">;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes?: number;
  cheat?: ServeCheat;
  log?: EventLog;
}

export interface ProofServer {
  url: string;
  stop(): Promise<void>;
}

export const STATE_PATH = "/pocval/v1/state";
export const PROOFS_PATH = "/pocval/v1/proofs";
/** A 500-index request is about 5 KB; the cap leaves room and stops memory exhaustion. */
const DEFAULT_MAX_BODY = 64 * 1024;
const BONDED_CACHE_STAGES = 16;

/** Caches each stage's bonded set (a snapshot never changes once taken); concurrent misses share one read. */
function cachedBonded(source: BondedValidators): BondedValidators {
  const cache = new Map<number, Promise<ReadonlySet<string>>>();
  return (stageHeight) => {
    const hit = cache.get(stageHeight);
    if (hit) return hit;
    const pending = source(stageHeight).then(
      (set) => {
        // An empty set is most likely a snapshot not taken yet: ask again next time.
        if (set.size === 0) cache.delete(stageHeight);
        return set;
      },
      (err: unknown) => {
        cache.delete(stageHeight);
        throw err;
      },
    );
    cache.set(stageHeight, pending);
    if (cache.size > BONDED_CACHE_STAGES) cache.delete(cache.keys().next().value!);
    return pending;
  };
}

/** What every handler of one proof server shares: its options and its long-lived state. */
interface ServerContext {
  opts: ProofServerOptions;
  log: EventLog;
  prefix: string;
  nowNs: () => bigint;
  maxBody: number;
  limiter: RateLimiter;
  bonded: BondedValidators;
  served: ReplayCache;
}

/** GET /pocval/v1/state: the stage's last confirmed commitment. */
function stateAnswer(ctx: ServerContext, url: URL): StateResponse {
  const raw = url.searchParams.get("stage_height");
  if (raw === null || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, "stage_height: must be a non-negative integer query parameter");
  }
  const stageHeight = Number(raw);
  // The chain-accepted snapshot: one recorded but rejected (or landed late) is not the commitment.
  const last = ctx.opts.stores.get(stageHeight)?.latestConfirmed();
  if (!last) throw new HttpError(404, `stage_height: no confirmed commitment for stage ${stageHeight}`);
  return { stage_height: stageHeight, count: last.count, root_hash: toBase64(last.rootHash) };
}

/** Reads and parses a signed proof request: size, schema (401 for an unsigned one, 400 otherwise). */
async function readProofRequest(ctx: ServerContext, req: IncomingMessage): Promise<ProofRequest> {
  const { text, json } = await readJsonBody(req, ctx.maxBody);
  if (typeof json === "object" && json !== null && !Array.isArray(json) && !("signature" in json)) {
    throw new HttpError(401, "signature: the request is not signed");
  }
  const parsed = proofRequestSchema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, zodIssueLines(parsed.error).slice(0, 5).join("; "));
  ctx.opts.cheat?.observe?.(text, parsed.data);
  return parsed.data;
}

/**
 * docs/protocol.md "Version 2 (replay safety)": participant, signature, timestamp, bonding,
 * (count, root), leaf range and the replay cache, all before the validator's rate-limit token, so
 * that a request replayed by a third party cannot spend it. Returns the store that holds the snapshot.
 */
async function admitProofRequest(ctx: ServerContext, request: ProofRequest): Promise<ArtifactStore> {
  const { opts } = ctx;
  // The string compare before the signature: a flood of requests meant for others (a replay-flood
  // attack) costs no curve arithmetic on this process's event loop.
  if (request.participant_address !== opts.participantAddress) {
    throw new HttpError(
      401,
      `participant_address: the request is meant for ${request.participant_address}, not ${opts.participantAddress}`,
    );
  }
  const check = verifyProofRequest(request, ctx.prefix, ctx.nowNs());
  if (!check.ok) throw new HttpError(401, check.reason);
  let set: ReadonlySet<string>;
  try {
    set = await ctx.bonded(request.stage_height);
  } catch (err) {
    ctx.log("proof_api_stake_unavailable", { level: "warn", stage_height: request.stage_height, error: String(err) });
    throw new HttpError(503, `cannot read the stake snapshot of stage ${request.stage_height}; retry later`);
  }
  if (!set.has(request.validator_address)) {
    throw new HttpError(
      403,
      `validator_address: ${request.validator_address} is not bonded at stage ${request.stage_height}`,
    );
  }
  const store = opts.stores.get(request.stage_height);
  const rootHash = fromBase64(request.root_hash, "root_hash");
  if (!store?.holds(request.count, rootHash)) {
    throw new HttpError(
      409,
      `count, root_hash: no committed snapshot (${request.count}, ${request.root_hash}) at stage ${request.stage_height}`,
    );
  }
  for (const [i, index] of request.leaf_indices.entries()) {
    if (index >= request.count) {
      throw new HttpError(400, `leaf_indices.${i}: ${index} is outside 0..${request.count - 1}`);
    }
  }
  const expiresAtMs = Number((BigInt(request.timestamp_ns) + TIMESTAMP_TOLERANCE_NS) / 1_000_000n);
  if (!ctx.served.claim(request.signature, expiresAtMs)) {
    throw new HttpError(401, "signature: this request was already received (a replay)");
  }
  return store;
}

/** One token of the validator's bucket, or 429 with Retry-After. */
function takeToken(ctx: ServerContext, validator: string): void {
  if (ctx.limiter.take(validator)) return;
  const wait = Math.ceil(ctx.limiter.retryAfter(validator));
  throw new HttpError(429, `rate limit for ${validator}; retry in ${wait}s`, {
    "retry-after": String(Math.max(1, wait)),
  });
}

/** The requested leaves with their audit paths, signed by the participant (docs/protocol.md "Signed proof answers"). */
function signedLeaves(ctx: ServerContext, request: ProofRequest, store: ArtifactStore): SignedProofAnswer {
  const cheat = ctx.opts.cheat;
  const paths = store.proofs(request.leaf_indices, request.count);
  const out: LeafProof[] = request.leaf_indices.map((index, i) => {
    const leaf = store.leaf(index);
    let served = { vector: leaf.vector, auditPath: paths[i]! };
    if (cheat?.alterLeaf) served = cheat.alterLeaf({ index, ...served });
    return {
      leaf_index: index,
      nonce: leaf.nonce,
      vector_b64: toBase64(served.vector),
      audit_path: served.auditPath.map(toBase64),
    };
  });
  ctx.log("proofs_served", {
    stage_height: request.stage_height,
    validator: request.validator_address,
    count: request.count,
    leaves: out.length,
  });
  return signProofAnswer(
    {
      stage_height: request.stage_height,
      count: request.count,
      root_hash: request.root_hash,
      validator_address: request.validator_address,
      timestamp_ns: request.timestamp_ns,
      proofs: out,
    },
    ctx.opts.signingKey,
  );
}

/** POST /pocval/v1/proofs; undefined when a stalling cheat held the request until the client left. */
async function proofsAnswer(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<SignedProofAnswer | undefined> {
  const cheat = ctx.opts.cheat;
  if (cheat?.rateLimitAll) {
    throw new HttpError(429, "rate limited", { "retry-after": String(cheat.rateLimitAll.retryAfterSeconds) });
  }
  if (cheat?.stall) {
    await new Promise<void>((resolve) => res.once("close", () => resolve()));
    return undefined;
  }
  const request = await readProofRequest(ctx, req);
  const store = await admitProofRequest(ctx, request);
  takeToken(ctx, request.validator_address);
  if (cheat?.withholding?.(request.stage_height)) {
    throw new HttpError(503, "proofs are not served now");
  }
  return signedLeaves(ctx, request, store);
}

/** Answers an error as JSON; a server error is logged. */
function sendError(ctx: ServerContext, res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) {
    // A refused body may still be streaming in: close rather than drain it.
    const headers = err.status === 413 ? { ...err.headers, connection: "close" } : err.headers;
    sendJson(res, err.status, { error: err.message }, headers);
    if (err.status >= 500) ctx.log("proof_api_refused", { level: "warn", status: err.status, error: err.message });
    return;
  }
  ctx.log("proof_api_error", {
    level: "error",
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  sendJson(res, 500, { error: "internal error" });
}

/** Routes one HTTP request. */
async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === STATE_PATH) {
      if (req.method !== "GET") throw new HttpError(405, "use GET", { allow: "GET" });
      sendJson(res, 200, stateAnswer(ctx, url));
    } else if (url.pathname === PROOFS_PATH) {
      if (req.method !== "POST") throw new HttpError(405, "use POST", { allow: "POST" });
      const answer = await proofsAnswer(ctx, req, res);
      if (answer !== undefined) sendJson(res, 200, answer);
    } else {
      throw new HttpError(404, `no route ${url.pathname}`);
    }
  } catch (err) {
    sendError(ctx, res, err);
  }
}

/**
 * Starts the proof API on host:port (default 127.0.0.1:0) and returns its URL.
 * @example const server = await startProofServer({ stores, bondedValidators: async () => new Set([addr]) });
 */
export async function startProofServer(opts: ProofServerOptions): Promise<ProofServer> {
  const ctx: ServerContext = {
    opts,
    log: opts.log ?? silentEventLog,
    prefix: opts.prefix ?? BECH32_PREFIX,
    nowNs: opts.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n),
    maxBody: opts.maxBodyBytes ?? DEFAULT_MAX_BODY,
    limiter: createRateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT),
    bonded: cachedBonded(opts.bondedValidators),
    served: createReplayCache(),
  };
  const server = createServer((req, res) => {
    void handleRequest(ctx, req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  answerClientErrors(server);
  const { host, port } = await listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
