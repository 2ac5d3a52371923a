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
import { createRateLimiter, createReplayCache, type RateLimitOptions } from "./rate-limit.js";
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

/**
 * Starts the proof API on host:port (default 127.0.0.1:0) and returns its URL.
 * @example const server = await startProofServer({ stores, bondedValidators: async () => new Set([addr]) });
 */
export async function startProofServer(opts: ProofServerOptions): Promise<ProofServer> {
  const log = opts.log ?? silentEventLog;
  const prefix = opts.prefix ?? BECH32_PREFIX;
  const nowNs = opts.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const limiter = createRateLimiter(opts.rateLimit ?? { capacity: 20, refillPerSecond: 10 });
  const bonded = cachedBonded(opts.bondedValidators);
  const served = createReplayCache();

  const state = (url: URL): StateResponse => {
    const raw = url.searchParams.get("stage_height");
    if (raw === null || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new HttpError(400, "stage_height: must be a non-negative integer query parameter");
    }
    const stageHeight = Number(raw);
    // The chain-accepted snapshot: one recorded but rejected (or landed late) is not the commitment.
    const last = opts.stores.get(stageHeight)?.latestConfirmed();
    if (!last) throw new HttpError(404, `stage_height: no confirmed commitment for stage ${stageHeight}`);
    return { stage_height: stageHeight, count: last.count, root_hash: toBase64(last.rootHash) };
  };

  const proofs = async (req: IncomingMessage): Promise<SignedProofAnswer> => {
    const { text, json } = await readJsonBody(req, maxBody);
    if (typeof json === "object" && json !== null && !Array.isArray(json) && !("signature" in json)) {
      throw new HttpError(401, "signature: the request is not signed");
    }
    const parsed = proofRequestSchema.safeParse(json);
    if (!parsed.success) throw new HttpError(400, zodIssueLines(parsed.error).slice(0, 5).join("; "));
    const request: ProofRequest = parsed.data;
    opts.cheat?.observe?.(text, request);
    // docs/protocol.md "Version 2 (replay safety)": every check below comes before the validator's
    // rate-limit token, so a request replayed by a third party cannot spend it.
    const check = verifyProofRequest(request, prefix, nowNs());
    if (!check.ok) throw new HttpError(401, check.reason);
    if (request.participant_address !== opts.participantAddress) {
      throw new HttpError(
        401,
        `participant_address: the request is meant for ${request.participant_address}, not ${opts.participantAddress}`,
      );
    }

    let set: ReadonlySet<string>;
    try {
      set = await bonded(request.stage_height);
    } catch (err) {
      log("proof_api_stake_unavailable", { level: "warn", stage_height: request.stage_height, error: String(err) });
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
    if (!served.claim(request.signature, expiresAtMs)) {
      throw new HttpError(401, "signature: this request was already received (a replay)");
    }
    if (!limiter.take(request.validator_address)) {
      const wait = Math.ceil(limiter.retryAfter(request.validator_address));
      throw new HttpError(429, `rate limit for ${request.validator_address}; retry in ${wait}s`, {
        "retry-after": String(Math.max(1, wait)),
      });
    }
    if (opts.cheat?.withholding?.(request.stage_height)) {
      throw new HttpError(503, "proofs are not served now");
    }
    const out: LeafProof[] = request.leaf_indices.map((index) => {
      const leaf = store.leaf(index);
      let served = { vector: leaf.vector, auditPath: store.proof(index, request.count) };
      if (opts.cheat?.alterLeaf) served = opts.cheat.alterLeaf({ index, ...served });
      return {
        leaf_index: index,
        nonce: leaf.nonce,
        vector_b64: toBase64(served.vector),
        audit_path: served.auditPath.map(toBase64),
      };
    });
    log("proofs_served", {
      stage_height: request.stage_height,
      validator: request.validator_address,
      count: request.count,
      leaves: out.length,
    });
    // docs/protocol.md "Signed proof answers": the request's facts repeated, signed by the participant.
    return signProofAnswer(
      {
        stage_height: request.stage_height,
        count: request.count,
        root_hash: request.root_hash,
        validator_address: request.validator_address,
        timestamp_ns: request.timestamp_ns,
        proofs: out,
      },
      opts.signingKey,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === STATE_PATH) {
        if (req.method !== "GET") throw new HttpError(405, "use GET", { allow: "GET" });
        sendJson(res, 200, state(url));
      } else if (url.pathname === PROOFS_PATH) {
        if (req.method !== "POST") throw new HttpError(405, "use POST", { allow: "POST" });
        sendJson(res, 200, await proofs(req));
      } else {
        throw new HttpError(404, `no route ${url.pathname}`);
      }
    } catch (err) {
      if (err instanceof HttpError) {
        // A refused body may still be streaming in: close rather than drain it.
        const headers = err.status === 413 ? { ...err.headers, connection: "close" } : err.headers;
        sendJson(res, err.status, { error: err.message }, headers);
        if (err.status >= 500) log("proof_api_refused", { level: "warn", status: err.status, error: err.message });
      } else {
        log("proof_api_error", {
          level: "error",
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        sendJson(res, 500, { error: "internal error" });
      }
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
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
