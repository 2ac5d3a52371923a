// The CPU reference PoC backend: the vLLM PoC API on loopback, deterministic vectors from a
// hardware profile, a GPU's throughput and latency, and injectable faults for tests.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { z } from "zod";
import {
  binomialPValue,
  DEFAULT_PARAMS,
  DecodeError,
  decodeVector,
  encodeVector,
  l2Distance,
  vectorFromBase64,
  vectorToBase64,
} from "../core/index.js";
import { listen } from "../net/listen.js";
import type { PocParams } from "./client.js";
import { createFaultState, type FaultOptions, type FaultState } from "./faults.js";
import { getProfile, type ProfileDescription, vectorSource } from "./profiles.js";
import {
  describeZodError,
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

/** A bad request body: answered 400 naming the field. */
class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status = 400,
  ) {
    super(`${field}: ${message}`);
  }
}

type JobState = "queued" | "running" | "completed" | "failed";

interface Job {
  id: string;
  state: JobState;
  request: ParsedGenerateRequest;
  /** Decoded received vectors of the validation variant, by position. */
  received?: Float64Array[];
  result?: Record<string, unknown>;
  error?: string;
  /** Its `wait: true` client went away: nobody will read the answer, stop computing it. */
  cancelled?: boolean;
  done: Promise<void>;
  finish: () => void;
}

interface Continuous {
  blockHash: string;
  blockHeight: number;
  publicKey: string;
  nodeId: number;
  nodeCount: number;
  batchSize: number;
  callbackUrl: string;
  maxNonces?: number;
  generated: number;
  batchesSent: number;
  error?: string;
  active: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw new BadRequest("(body)", `larger than ${limit} bytes`, 413);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BadRequest("(body)", `larger than ${limit} bytes`, 413);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("(body)", "not valid JSON");
  }
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
  const batchLatencyMs = opts.batchLatencyMs ?? 0;
  const queueLimit = opts.queueLimit ?? 64;
  const maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const recordLimit = opts.recordLimit ?? 256;
  let faultState: FaultState = createFaultState(opts.faults ?? {}, Date.now());

  const queue: Job[] = [];
  const records = new Map<string, Job>();
  let running: Job | undefined;
  let continuous: Continuous | undefined;
  let stopping = false;
  let requests = 0;
  let noncesGenerated = 0;
  let jobsCompleted = 0;
  let jobsCancelled = 0;

  const sourceFor = (blockHash: string, publicKey: string) =>
    vectorSource({ blockHash, publicKey, ...params, profile: profile.name, machineId });

  /** Emulated GPU time of one engine batch of m nonces, less the CPU time already spent. */
  async function gpuTime(m: number, spentMs: number): Promise<void> {
    const wanted = batchLatencyMs + (rate ? (m / rate) * 1000 : 0);
    if (wanted > spentMs) await sleep(wanted - spentMs);
    else await yieldToIo();
  }

  function paramsMismatch(wire: { model: string; seq_len: number; k_dim: number }): string[] {
    const fields: string[] = [];
    if (wire.model !== params.model) fields.push("model");
    if (wire.seq_len !== params.seqLen) fields.push("seq_len");
    if (wire.k_dim !== params.kDim) fields.push("k_dim");
    return fields;
  }

  function mismatchBody(fields: string[]) {
    return {
      error: `params differ from the deployed model: ${fields.join(", ")}`,
      fields,
      expected: { model: params.model, seq_len: params.seqLen, k_dim: params.kDim },
    };
  }

  function recordOf(job: Job): Record<string, unknown> {
    if (job.state === "completed") return { ...job.result, status: "completed", request_id: job.id };
    if (job.state === "failed") return { status: "failed", request_id: job.id, error: job.error };
    return { status: job.state, request_id: job.id };
  }

  function remember(job: Job): void {
    records.set(job.id, job);
    if (records.size <= recordLimit) return;
    for (const [id, old] of records) {
      if (records.size <= recordLimit) break;
      if (old.state === "completed" || old.state === "failed") records.delete(id);
    }
  }

  async function runJob(job: Job): Promise<void> {
    const r = job.request;
    const chunkSize = r.batch_size ?? 256;
    const vectorOf = sourceFor(r.block_hash, r.public_key);
    const vectors: Float64Array[] = [];
    for (let start = 0; start < r.nonces.length; start += chunkSize) {
      if (stopping) throw new Error("backend stopped");
      if (job.cancelled) throw new Error("its client disconnected");
      const began = performance.now();
      const end = Math.min(r.nonces.length, start + chunkSize);
      for (let i = start; i < end; i++) vectors.push(vectorOf(r.nonces[i]!));
      await gpuTime(end - start, performance.now() - began);
    }
    noncesGenerated += vectors.length;
    if (faultState.takeJobFailure()) throw new Error("injected job failure");
    if (r.validation && r.stat_test && job.received) {
      const test = r.stat_test;
      const mismatchNonces: number[] = [];
      r.validation.artifacts.forEach((a, i) => {
        // Compare what would travel: our vector after the f16 round trip.
        const own = decodeVector(encodeVector(vectors[i]!), params.kDim);
        if (l2Distance(own, job.received![i]!) > test.dist_threshold) mismatchNonces.push(a.nonce);
      });
      const n = r.validation.artifacts.length;
      const pValue = binomialPValue(mismatchNonces.length, n, test.p_mismatch);
      job.result = {
        n_total: n,
        n_mismatch: mismatchNonces.length,
        mismatch_nonces: mismatchNonces,
        p_value: pValue,
        fraud_detected: pValue < test.fraud_threshold,
      };
      return;
    }
    job.result = {
      artifacts: r.nonces.map((nonce, i) => ({ nonce, vector_b64: vectorToBase64(vectors[i]!) })),
      encoding: { dtype: "f16", k_dim: params.kDim, endian: "le" },
    };
  }

  async function pump(): Promise<void> {
    if (running || stopping) return;
    const job = queue.shift();
    if (!job) return;
    running = job;
    job.state = "running";
    try {
      await runJob(job);
      job.state = "completed";
      jobsCompleted++;
    } catch (err) {
      job.state = "failed";
      job.error = (err as Error).message;
    } finally {
      running = undefined;
      job.received = undefined;
      job.finish();
    }
    void pump();
  }

  /** Validates a generate body beyond its schema: unique nonces, the validation variant's shape. */
  function checkGenerate(r: ParsedGenerateRequest): Float64Array[] | undefined {
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
  async function readRequest<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.output<S>> {
    const parsed = schema.safeParse(parseJson(await readBody(req, maxBodyBytes)));
    if (!parsed.success) {
      const { field, message } = describeZodError(parsed.error);
      throw new BadRequest(field, message);
    }
    return parsed.data;
  }

  async function handleGenerate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = await readRequest(req, generateRequestSchema);
    const mismatch = paramsMismatch(r.params);
    if (mismatch.length > 0) return sendJson(res, 409, mismatchBody(mismatch));
    const received = checkGenerate(r);
    if (continuous?.active) return sendJson(res, 503, { error: "engine busy with continuous generation" });
    // An idle engine takes the job at once; otherwise it waits in a queue of queueLimit places.
    if (running && queue.length >= queueLimit) {
      return sendJson(res, 429, { error: `queue full (${queueLimit} requests waiting)` });
    }
    let finish = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const job: Job = { id: randomUUID(), state: "queued", request: r, received, done, finish };
    remember(job);
    queue.push(job);
    void pump();
    if (!r.wait) return sendJson(res, 202, { status: "queued", request_id: job.id, queued_count: r.nonces.length });
    // A client that disconnects before its answer (a crashed sidecar) must not keep the engine busy.
    res.once("close", () => {
      if (res.writableEnded || job.state === "completed" || job.state === "failed") return;
      job.cancelled = true;
      jobsCancelled++;
      const at = queue.indexOf(job);
      if (at >= 0) {
        queue.splice(at, 1);
        job.state = "failed";
        job.error = "its client disconnected";
        job.received = undefined;
        job.finish();
      }
    });
    await job.done;
    // Its answer goes out now: keeping the record would only hold the artifacts in memory.
    records.delete(job.id);
    if (stopping && job.state !== "completed") return sendJson(res, 503, { error: "backend stopping" });
    sendJson(res, 200, recordOf(job));
  }

  async function runContinuous(c: Continuous): Promise<void> {
    const encoding = { dtype: "f16", k_dim: params.kDim, endian: "le" };
    const vectorOf = sourceFor(c.blockHash, c.publicKey);
    let index = 0;
    while (c.active && !stopping) {
      const remaining = c.maxNonces === undefined ? c.batchSize : Math.min(c.batchSize, c.maxNonces - c.generated);
      if (remaining <= 0) break;
      const began = performance.now();
      const artifacts: WireArtifact[] = [];
      for (let i = 0; i < remaining; i++, index++) {
        const nonce = c.nodeId + index * c.nodeCount;
        artifacts.push({ nonce, vector_b64: vectorToBase64(vectorOf(nonce)) });
      }
      await gpuTime(remaining, performance.now() - began);
      const body = JSON.stringify({
        block_hash: c.blockHash,
        block_height: c.blockHeight,
        public_key: c.publicKey,
        node_id: c.nodeId,
        node_count: c.nodeCount,
        artifacts,
        encoding,
      });
      // A callback that keeps failing ends the run, recorded in /status.
      for (let attempt = 0; ; attempt++) {
        if (!c.active || stopping) return;
        try {
          const answer = await fetch(`${c.callbackUrl.replace(/\/+$/, "")}/generated`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          await answer.arrayBuffer();
          if (!answer.ok) throw new Error(`callback answered HTTP ${answer.status}`);
          break;
        } catch (err) {
          if (attempt >= 4) {
            c.error = `callback ${c.callbackUrl}/generated failed: ${(err as Error).message}`;
            c.active = false;
            return;
          }
          await sleep(50 * 2 ** attempt);
        }
      }
      c.generated += remaining;
      c.batchesSent++;
      noncesGenerated += remaining;
    }
    c.active = false;
  }

  async function handleInitGenerate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = await readRequest(req, initGenerateRequestSchema);
    const mismatch = paramsMismatch(r.params);
    if (mismatch.length > 0) return sendJson(res, 409, mismatchBody(mismatch));
    if (continuous) continuous.active = false;
    const c: Continuous = {
      blockHash: r.block_hash,
      blockHeight: r.block_height,
      publicKey: r.public_key,
      nodeId: r.node_id,
      nodeCount: r.node_count,
      batchSize: r.batch_size,
      callbackUrl: r.callback_url,
      maxNonces: r.max_nonces,
      generated: 0,
      batchesSent: 0,
      active: true,
    };
    continuous = c;
    void runContinuous(c);
    sendJson(res, 200, { status: "OK", state: "generating" });
  }

  function statusBody() {
    const state = stopping
      ? "stopped"
      : continuous?.active
        ? "generating"
        : running || queue.length > 0
          ? "busy"
          : "idle";
    return {
      status: "OK",
      state,
      profile: profile.name,
      machine_id: machineId,
      params: { model: params.model, seq_len: params.seqLen, k_dim: params.kDim },
      queue: { queued: queue.length, running: running ? 1 : 0, limit: queueLimit },
      nonces_per_second: rate ?? null,
      generated_total: noncesGenerated,
      continuous: continuous
        ? {
            active: continuous.active,
            block_height: continuous.blockHeight,
            node_id: continuous.nodeId,
            node_count: continuous.nodeCount,
            generated: continuous.generated,
            batches_sent: continuous.batchesSent,
            error: continuous.error ?? null,
          }
        : null,
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    if (path === "/api/v1/pow/generate") {
      if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
      return handleGenerate(req, res);
    }
    if (path.startsWith("/api/v1/pow/generate/")) {
      if (method !== "GET") return sendJson(res, 405, { error: "use GET" });
      const job = records.get(decodeURIComponent(path.slice("/api/v1/pow/generate/".length)));
      if (!job) return sendJson(res, 404, { error: "unknown request_id" });
      return sendJson(res, 200, recordOf(job));
    }
    if (path === "/api/v1/pow/init/generate") {
      if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
      return handleInitGenerate(req, res);
    }
    if (path === "/api/v1/pow/status") {
      if (method !== "GET") return sendJson(res, 405, { error: "use GET" });
      return sendJson(res, 200, statusBody());
    }
    if (path === "/api/v1/pow/stop") {
      if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
      if (continuous) continuous.active = false;
      return sendJson(res, 200, { status: "OK", state: "idle" });
    }
    sendJson(res, 404, { error: `no route ${method} ${path}` });
  }

  const server = createServer((req, res) => {
    requests++;
    const decision = stopping
      ? { kind: "unavailable" as const, reason: "backend stopping" }
      : faultState.decide(Date.now());
    if (decision.kind === "drop") {
      req.socket.destroy();
      return;
    }
    if (decision.kind === "unavailable") {
      req.resume();
      return sendJson(res, 503, { error: decision.reason });
    }
    const serve = async () => {
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      await route(req, res);
    };
    serve().catch((err: unknown) => {
      if (err instanceof BadRequest) {
        sendJson(res, err.status, { error: err.message, field: err.field });
        if (err.status === 413) req.socket.end();
        return;
      }
      sendJson(res, 500, { error: (err as Error).message });
    });
  });

  const { host, port } = await listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0);

  return {
    url: `http://${host}:${port}`,
    profile,
    machineId,
    params,
    setFaults(faults) {
      faultState = createFaultState(faults, Date.now());
    },
    faults() {
      return faultState.current();
    },
    stats() {
      return { requests, noncesGenerated, jobsCompleted, jobsCancelled, queued: queue.length };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (continuous) continuous.active = false;
      for (const job of queue.splice(0)) {
        job.state = "failed";
        job.error = "backend stopped";
        job.finish();
      }
      // The running job stops at its next engine batch; give its 503 a moment to go out.
      const current = running;
      if (current) {
        await Promise.race([current.done, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Answers in progress get a moment to flush before their connections go.
        setTimeout(() => server.closeAllConnections(), 50).unref();
      });
    },
  };
}
