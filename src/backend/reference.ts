// The CPU reference PoC backend: the vLLM PoC API on loopback, deterministic vectors from a
// hardware profile, a GPU's throughput and latency, and injectable faults for tests.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { z } from "zod";
import { DEFAULT_PARAMS, DecodeError, vectorFromBase64, zodField } from "../core/index.js";
import { HttpError, listen, readJsonBody, sendJson, sleep } from "../net/index.js";
import type { PocParams } from "./client.js";
import { createFaultState, type FaultOptions, type FaultState } from "./faults.js";
import { getProfile, type ProfileDescription, vectorSource } from "./profiles.js";
import { createEngine, type Engine } from "./reference-engine.js";
import {
  generateRequestSchema,
  initGenerateRequestSchema,
  type ParsedGenerateRequest,
  type WireArtifact,
} from "./wire.js";

/** The report's deployment (core's default params): the params a backend serves unless told otherwise. */
export const DEFAULT_POC_PARAMS: Readonly<PocParams> = Object.freeze({
  model: DEFAULT_PARAMS.model,
  seqLen: DEFAULT_PARAMS.seqLen,
  kDim: DEFAULT_PARAMS.kDim,
});

export interface ReferenceBackendOptions {
  /** Listen address; loopback by default. */
  host?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** A name from `profileNames`. */
  profile: string;
  /** This machine's identity within its profile (default "0"). */
  machineId?: string;
  model?: string;
  seqLen?: number;
  kDim?: number;
  /** Throughput cap: a job of m nonces takes about m / rate seconds. Unlimited when absent. */
  noncesPerSecond?: number;
  /** Fixed latency added per engine batch, in ms. Default 0. */
  batchLatencyMs?: number;
  /** Jobs that may wait behind the running one before new ones get 429 (0: no queue). Default 64. */
  queueLimit?: number;
  /** Faults injected from the start (change them with `setFaults`). */
  faults?: FaultOptions;
  /** Largest accepted request body in bytes (413 beyond). Default 32 MiB. */
  maxBodyBytes?: number;
  /** Finished records of `wait: false` jobs kept for polling, oldest dropped first. Default 256. */
  recordLimit?: number;
}

/** A running reference backend. */
export interface ReferenceBackend {
  url: string;
  profile: ProfileDescription;
  machineId: string;
  params: PocParams;
  /** Replaces the injected faults; busy periods count from now. */
  setFaults(faults: FaultOptions): void;
  /** The faults in force, one-shot counters as they stand. */
  faults(): FaultOptions;
  /** Counters for tests and benches. */
  stats(): { requests: number; noncesGenerated: number; jobsCompleted: number; jobsCancelled: number; queued: number };
  /** Stops serving: open requests end with 503, connections close. */
  stop(): Promise<void>;
}

/** A request the backend refuses, naming the field (sent back as `{error, field}`). */
class BadRequest extends HttpError {
  constructor(
    readonly field: string,
    message: string,
    status = 400,
  ) {
    super(status, `${field}: ${message}`);
  }
}

/** The running backend's state: the handlers below share it. */
interface BackendState {
  profile: ProfileDescription;
  machineId: string;
  params: PocParams;
  queueLimit: number;
  maxBodyBytes: number;
  engine: Engine;
  faultState: FaultState;
  requests: number;
}

/**
 * Starts the reference backend on loopback (port 0 by default).
 * @example
 * const backend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 5000 });
 * // ... createBackendClient({ url: backend.url }) ...
 * await backend.stop();
 */
export async function startReferenceBackend(opts: ReferenceBackendOptions): Promise<ReferenceBackend> {
  const profile = getProfile(opts.profile);
  const machineId = opts.machineId ?? "0";
  const params: PocParams = {
    model: opts.model ?? DEFAULT_POC_PARAMS.model,
    seqLen: opts.seqLen ?? DEFAULT_POC_PARAMS.seqLen,
    kDim: opts.kDim ?? DEFAULT_POC_PARAMS.kDim,
  };
  // Fails here, not on the first request, for a bad k_dim or seq_len.
  vectorSource({ blockHash: "", publicKey: "", ...params, profile: profile.name, machineId });
  checkOptions(opts);
  const queueLimit = opts.queueLimit ?? 64;
  const b: BackendState = {
    profile,
    machineId,
    params,
    queueLimit,
    maxBodyBytes: opts.maxBodyBytes ?? 32 * 1024 * 1024,
    faultState: createFaultState(opts.faults ?? {}, Date.now()),
    requests: 0,
    engine: createEngine({
      params,
      profileName: profile.name,
      machineId,
      rate: opts.noncesPerSecond,
      batchLatencyMs: opts.batchLatencyMs ?? 0,
      queueLimit,
      recordLimit: opts.recordLimit ?? 256,
      faults: () => b.faultState,
    }),
  };
  const server = createServer((req, res) => handleRequest(b, req, res));
  const { host, port } = await listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    profile,
    machineId,
    params,
    setFaults(faults) {
      b.faultState = createFaultState(faults, Date.now());
    },
    faults() {
      return b.faultState.current();
    },
    stats() {
      return { requests: b.requests, ...b.engine.stats() };
    },
    async stop() {
      if (b.engine.stopping()) return;
      // The running job stops at its next engine batch; give its 503 a moment to go out.
      await b.engine.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Answers in progress get a moment to flush before their connections go.
        setTimeout(() => server.closeAllConnections(), 50).unref();
      });
    },
  };
}

/** The numeric options: non-negative integers, and a positive rate when one is given. */
function checkOptions(opts: ReferenceBackendOptions): void {
  for (const [name, value] of [
    ["queueLimit", opts.queueLimit],
    ["batchLatencyMs", opts.batchLatencyMs],
    ["recordLimit", opts.recordLimit],
    ["maxBodyBytes", opts.maxBodyBytes],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  const rate = opts.noncesPerSecond;
  if (rate !== undefined && !(rate > 0)) throw new RangeError(`noncesPerSecond must be > 0, got ${rate}`);
}

/** Every request: the injected fault decides first (drop, 503 or delay), then the route answers. */
function handleRequest(b: BackendState, req: IncomingMessage, res: ServerResponse): void {
  b.requests++;
  const decision = b.engine.stopping()
    ? { kind: "unavailable" as const, reason: "backend stopping" }
    : b.faultState.decide(Date.now());
  if (decision.kind === "drop") {
    req.socket.destroy();
    return;
  }
  if (decision.kind === "unavailable") {
    req.resume();
    sendJson(res, 503, { error: decision.reason });
    return;
  }
  const serve = async () => {
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    await route(b, req, res);
  };
  serve().catch((err: unknown) => {
    if (err instanceof HttpError) {
      // net/http's refusals are about the body as a whole.
      sendJson(res, err.status, { error: err.message, field: err instanceof BadRequest ? err.field : "(body)" });
      if (err.status === 413) req.socket.end();
      return;
    }
    sendJson(res, 500, { error: (err as Error).message });
  });
}

async function route(b: BackendState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { engine } = b;
  const path = (req.url ?? "/").split("?")[0]!;
  const method = req.method ?? "GET";
  if (path === "/api/v1/pow/generate") {
    if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
    return handleGenerate(b, req, res);
  }
  if (path.startsWith("/api/v1/pow/generate/")) {
    if (method !== "GET") return sendJson(res, 405, { error: "use GET" });
    const job = engine.record(decodeURIComponent(path.slice("/api/v1/pow/generate/".length)));
    if (!job) return sendJson(res, 404, { error: "unknown request_id" });
    return sendJson(res, 200, engine.recordOf(job));
  }
  if (path === "/api/v1/pow/init/generate") {
    if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
    return handleInitGenerate(b, req, res);
  }
  if (path === "/api/v1/pow/status") {
    if (method !== "GET") return sendJson(res, 405, { error: "use GET" });
    return sendJson(res, 200, statusBody(b));
  }
  if (path === "/api/v1/pow/stop") {
    if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
    engine.stopContinuous();
    return sendJson(res, 200, { status: "OK", state: "idle" });
  }
  sendJson(res, 404, { error: `no route ${method} ${path}` });
}

function paramsMismatch(params: PocParams, wire: { model: string; seq_len: number; k_dim: number }): string[] {
  const fields: string[] = [];
  if (wire.model !== params.model) fields.push("model");
  if (wire.seq_len !== params.seqLen) fields.push("seq_len");
  if (wire.k_dim !== params.kDim) fields.push("k_dim");
  return fields;
}

function mismatchBody(params: PocParams, fields: string[]) {
  return {
    error: `params differ from the deployed model: ${fields.join(", ")}`,
    fields,
    expected: { model: params.model, seq_len: params.seqLen, k_dim: params.kDim },
  };
}

/** Validates a generate body beyond its schema: unique nonces, the validation variant's shape. */
function checkGenerate(params: PocParams, r: ParsedGenerateRequest): Float64Array[] | undefined {
  const seen = new Set<number>();
  r.nonces.forEach((n, i) => {
    if (seen.has(n)) throw new BadRequest(`nonces[${i}]`, `duplicate nonce ${n}`);
    seen.add(n);
  });
  if (!r.validation && !r.stat_test) return undefined;
  if (!r.validation) throw new BadRequest("validation", "required with stat_test");
  if (!r.stat_test) throw new BadRequest("stat_test", "required with validation");
  const artifacts: WireArtifact[] = r.validation.artifacts;
  if (artifacts.length !== r.nonces.length) {
    throw new BadRequest("validation.artifacts", `${artifacts.length} artifacts for ${r.nonces.length} nonces`);
  }
  return artifacts.map((a, i) => {
    if (a.nonce !== r.nonces[i]) {
      throw new BadRequest(`validation.artifacts[${i}].nonce`, `expected nonce ${r.nonces[i]} (the order of nonces)`);
    }
    try {
      return vectorFromBase64(a.vector_b64, params.kDim, `validation.artifacts[${i}].vector_b64`);
    } catch (err) {
      if (err instanceof DecodeError) throw new BadRequest(err.field, err.message.replace(`${err.field}: `, ""));
      throw err;
    }
  });
}

/** Reads and validates a JSON request body; a bad one is a 400 naming the field. */
async function readRequest<S extends z.ZodType>(
  b: BackendState,
  req: IncomingMessage,
  schema: S,
): Promise<z.output<S>> {
  const parsed = schema.safeParse((await readJsonBody(req, b.maxBodyBytes)).json);
  if (!parsed.success) {
    const { field, message } = zodField(parsed.error);
    throw new BadRequest(field, message);
  }
  return parsed.data;
}

async function handleGenerate(b: BackendState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { engine } = b;
  const r = await readRequest(b, req, generateRequestSchema);
  const mismatch = paramsMismatch(b.params, r.params);
  if (mismatch.length > 0) return sendJson(res, 409, mismatchBody(b.params, mismatch));
  const received = checkGenerate(b.params, r);
  const job = engine.submit(r, received);
  if (job === "busy") return sendJson(res, 503, { error: "engine busy with continuous generation" });
  if (job === "full") return sendJson(res, 429, { error: `queue full (${b.queueLimit} requests waiting)` });
  if (!r.wait) return sendJson(res, 202, { status: "queued", request_id: job.id, queued_count: r.nonces.length });
  // A client that disconnects before its answer (a crashed sidecar) must not keep the engine busy.
  res.once("close", () => {
    if (!res.writableEnded) engine.cancel(job);
  });
  await job.done;
  // Its answer goes out now: keeping the record would only hold the artifacts in memory.
  engine.forget(job.id);
  if (engine.stopping() && job.state !== "completed") return sendJson(res, 503, { error: "backend stopping" });
  sendJson(res, 200, engine.recordOf(job));
}

async function handleInitGenerate(b: BackendState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const r = await readRequest(b, req, initGenerateRequestSchema);
  const mismatch = paramsMismatch(b.params, r.params);
  if (mismatch.length > 0) return sendJson(res, 409, mismatchBody(b.params, mismatch));
  b.engine.startContinuous({
    blockHash: r.block_hash,
    blockHeight: r.block_height,
    publicKey: r.public_key,
    nodeId: r.node_id,
    nodeCount: r.node_count,
    batchSize: r.batch_size,
    callbackUrl: r.callback_url,
    maxNonces: r.max_nonces,
  });
  sendJson(res, 200, { status: "OK", state: "generating" });
}

function statusBody(b: BackendState) {
  const { state, ...engineStatus } = b.engine.status();
  return {
    status: "OK",
    state,
    profile: b.profile.name,
    machine_id: b.machineId,
    params: { model: b.params.model, seq_len: b.params.seqLen, k_dim: b.params.kDim },
    ...engineStatus,
  };
}
