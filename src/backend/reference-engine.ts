// The reference backend's emulated GPU: one engine that runs generate jobs in order from a
// bounded queue (or one continuous generation run posting batches to a callback), paced at the
// profile's throughput, keeping finished records for polling.
import { randomUUID } from "node:crypto";
import {
  countMismatches,
  decodeVector,
  encodeVector,
  l2Distance,
  vectorToBase64,
  verdictFromCounts,
} from "../core/index.js";
import { Verdict } from "../gen/pocval/v1/types.js";
import { backoffDelay, sleep } from "../net/index.js";
import type { PocParams } from "./client.js";
import type { FaultState } from "./faults.js";
import { vectorSource } from "./profiles.js";
import type { ParsedGenerateRequest, WireArtifact } from "./wire.js";

type JobState = "queued" | "running" | "completed" | "failed";

export interface Job {
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

/** A continuous generation run (`/api/v1/pow/init/generate`). */
export interface ContinuousRequest {
  blockHash: string;
  blockHeight: number;
  publicKey: string;
  nodeId: number;
  nodeCount: number;
  batchSize: number;
  callbackUrl: string;
  maxNonces?: number;
}

interface Continuous extends ContinuousRequest {
  generated: number;
  batchesSent: number;
  error?: string;
  active: boolean;
}

export interface EngineOptions {
  params: PocParams;
  profileName: string;
  machineId: string;
  /** Nonces per second (unlimited when absent). */
  rate?: number;
  batchLatencyMs: number;
  queueLimit: number;
  recordLimit: number;
  /** The faults in force now (they can be replaced while the engine runs). */
  faults: () => FaultState;
}

export type Engine = ReturnType<typeof createEngine>;

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The engine's state: the functions below share it. */
interface EngineState {
  o: EngineOptions;
  queue: Job[];
  records: Map<string, Job>;
  running: Job | undefined;
  continuous: Continuous | undefined;
  stopping: boolean;
  noncesGenerated: number;
  jobsCompleted: number;
  jobsCancelled: number;
}

export function createEngine(o: EngineOptions) {
  const e: EngineState = {
    o,
    queue: [],
    records: new Map(),
    running: undefined,
    continuous: undefined,
    stopping: false,
    noncesGenerated: 0,
    jobsCompleted: 0,
    jobsCancelled: 0,
  };
  return {
    /**
     * Queues a generate job: "busy" while continuous generation runs, "full" when the queue holds
     * queueLimit jobs behind a running one (an idle engine takes the job at once).
     */
    submit: (request: ParsedGenerateRequest, received: Float64Array[] | undefined): Job | "busy" | "full" =>
      submit(e, request, received),
    /** Drops a queued job, or stops a running one at its next engine batch. */
    cancel: (job: Job): void => cancel(e, job),
    record: (id: string) => e.records.get(id),
    forget: (id: string) => e.records.delete(id),
    /** A job as its record endpoint shows it. */
    recordOf,
    /** Starts continuous generation, ending a run in progress. */
    startContinuous(request: ContinuousRequest): void {
      if (e.continuous) e.continuous.active = false;
      e.continuous = { ...request, generated: 0, batchesSent: 0, active: true };
      void runContinuous(e, e.continuous);
    },
    stopContinuous(): void {
      if (e.continuous) e.continuous.active = false;
    },
    stopping: () => e.stopping,
    /** The engine's part of `/api/v1/pow/status`. */
    status: () => status(e),
    stats: () => ({
      noncesGenerated: e.noncesGenerated,
      jobsCompleted: e.jobsCompleted,
      jobsCancelled: e.jobsCancelled,
      queued: e.queue.length,
    }),
    /** Fails the queued jobs and gives the running one up to a second to end at its next batch. */
    stop: () => stop(e),
  };
}

function sourceFor(e: EngineState, blockHash: string, publicKey: string) {
  return vectorSource({ blockHash, publicKey, ...e.o.params, profile: e.o.profileName, machineId: e.o.machineId });
}

/** Emulated GPU time of one engine batch of m nonces, less the CPU time already spent. */
async function gpuTime(e: EngineState, m: number, spentMs: number): Promise<void> {
  const { batchLatencyMs, rate } = e.o;
  const wanted = batchLatencyMs + (rate ? (m / rate) * 1000 : 0);
  if (wanted > spentMs) await sleep(wanted - spentMs);
  else await yieldToIo();
}

/** Keeps a job's record, forgetting the oldest finished ones beyond recordLimit. */
function remember(e: EngineState, job: Job): void {
  const { records } = e;
  records.set(job.id, job);
  if (records.size <= e.o.recordLimit) return;
  for (const [id, old] of records) {
    if (records.size <= e.o.recordLimit) break;
    if (old.state === "completed" || old.state === "failed") records.delete(id);
  }
}

function submit(
  e: EngineState,
  request: ParsedGenerateRequest,
  received: Float64Array[] | undefined,
): Job | "busy" | "full" {
  if (e.continuous?.active) return "busy";
  if (e.running && e.queue.length >= e.o.queueLimit) return "full";
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const job: Job = { id: randomUUID(), state: "queued", request, received, done, finish };
  remember(e, job);
  e.queue.push(job);
  void pump(e);
  return job;
}

function cancel(e: EngineState, job: Job): void {
  if (job.state === "completed" || job.state === "failed") return;
  job.cancelled = true;
  e.jobsCancelled++;
  const at = e.queue.indexOf(job);
  if (at >= 0) {
    e.queue.splice(at, 1);
    job.state = "failed";
    job.error = "its client disconnected";
    job.received = undefined;
    job.finish();
  }
}

function recordOf(job: Job): Record<string, unknown> {
  if (job.state === "completed") return { ...job.result, status: "completed", request_id: job.id };
  if (job.state === "failed") return { status: "failed", request_id: job.id, error: job.error };
  return { status: job.state, request_id: job.id };
}

/** Runs queued jobs one at a time. */
async function pump(e: EngineState): Promise<void> {
  if (e.running || e.stopping) return;
  const job = e.queue.shift();
  if (!job) return;
  e.running = job;
  job.state = "running";
  try {
    await runJob(e, job);
    job.state = "completed";
    e.jobsCompleted++;
  } catch (err) {
    job.state = "failed";
    job.error = (err as Error).message;
  } finally {
    e.running = undefined;
    job.received = undefined;
    job.finish();
  }
  void pump(e);
}

/** Generates a job's vectors in engine batches; a validation job compares them with the received ones. */
async function runJob(e: EngineState, job: Job): Promise<void> {
  const r = job.request;
  const chunkSize = r.batch_size ?? 256;
  const vectorOf = sourceFor(e, r.block_hash, r.public_key);
  const vectors: Float64Array[] = [];
  for (let start = 0; start < r.nonces.length; start += chunkSize) {
    if (e.stopping) throw new Error("backend stopped");
    if (job.cancelled) throw new Error("its client disconnected");
    const began = performance.now();
    const end = Math.min(r.nonces.length, start + chunkSize);
    for (let i = start; i < end; i++) vectors.push(vectorOf(r.nonces[i]!));
    await gpuTime(e, end - start, performance.now() - began);
  }
  e.noncesGenerated += vectors.length;
  if (e.o.faults().takeJobFailure()) throw new Error("injected job failure");
  if (r.validation && r.stat_test && job.received) {
    job.result = validationResult(e, r.validation, r.stat_test, vectors, job.received);
    return;
  }
  job.result = {
    artifacts: r.nonces.map((nonce, i) => ({ nonce, vector_b64: vectorToBase64(vectors[i]!) })),
    encoding: { dtype: "f16", k_dim: e.o.params.kDim, endian: "le" },
  };
}

type ParsedValidation = NonNullable<ParsedGenerateRequest["validation"]>;
type ParsedStatTest = NonNullable<ParsedGenerateRequest["stat_test"]>;

/** The statistical test of received vectors against ours, with the vLLM API's names. */
function validationResult(
  e: EngineState,
  validation: ParsedValidation,
  test: ParsedStatTest,
  vectors: Float64Array[],
  received: Float64Array[],
) {
  const { kDim } = e.o.params;
  // Compare what would travel: our vector after the f16 round trip.
  const dists = validation.artifacts.map((_, i) =>
    l2Distance(decodeVector(encodeVector(vectors[i]!), kDim), received[i]!),
  );
  const mismatchNonces = validation.artifacts.filter((_, i) => dists[i]! > test.dist_threshold).map((a) => a.nonce);
  const n = validation.artifacts.length;
  // The protocol's decision (core/check.ts), read with the vLLM API's names.
  const { verdict, pValue } = verdictFromCounts(countMismatches(dists, test.dist_threshold), n, {
    fpRate: test.p_mismatch,
    alpha: test.fraud_threshold,
  });
  return {
    n_total: n,
    n_mismatch: mismatchNonces.length,
    mismatch_nonces: mismatchNonces,
    p_value: pValue,
    fraud_detected: verdict === Verdict.VERDICT_CHEATER,
  };
}

/** Continuous generation: batches of this node's nonces, each posted to the callback. */
async function runContinuous(e: EngineState, c: Continuous): Promise<void> {
  const encoding = { dtype: "f16", k_dim: e.o.params.kDim, endian: "le" };
  const vectorOf = sourceFor(e, c.blockHash, c.publicKey);
  let index = 0;
  while (c.active && !e.stopping) {
    const remaining = c.maxNonces === undefined ? c.batchSize : Math.min(c.batchSize, c.maxNonces - c.generated);
    if (remaining <= 0) break;
    const began = performance.now();
    const artifacts: WireArtifact[] = [];
    for (let i = 0; i < remaining; i++, index++) {
      const nonce = c.nodeId + index * c.nodeCount;
      artifacts.push({ nonce, vector_b64: vectorToBase64(vectorOf(nonce)) });
    }
    await gpuTime(e, remaining, performance.now() - began);
    const body = JSON.stringify({
      block_hash: c.blockHash,
      block_height: c.blockHeight,
      public_key: c.publicKey,
      node_id: c.nodeId,
      node_count: c.nodeCount,
      artifacts,
      encoding,
    });
    if (!(await postBatch(e, c, body))) return;
    c.generated += remaining;
    c.batchesSent++;
    e.noncesGenerated += remaining;
  }
  c.active = false;
}

/** Posts one batch to the callback with retries; false when the run ends (stopped, or the callback keeps failing). */
async function postBatch(e: EngineState, c: Continuous, body: string): Promise<boolean> {
  // A callback that keeps failing ends the run, recorded in /status.
  for (let attempt = 0; ; attempt++) {
    if (!c.active || e.stopping) return false;
    try {
      const answer = await fetch(`${c.callbackUrl.replace(/\/+$/, "")}/generated`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await answer.arrayBuffer();
      if (!answer.ok) throw new Error(`callback answered HTTP ${answer.status}`);
      return true;
    } catch (err) {
      if (attempt >= 4) {
        c.error = `callback ${c.callbackUrl}/generated failed: ${(err as Error).message}`;
        c.active = false;
        return false;
      }
      await sleep(backoffDelay(attempt + 1, { baseDelayMs: 50, maxDelayMs: 800 }));
    }
  }
}

function status(e: EngineState) {
  const { continuous, running, queue } = e;
  const state = e.stopping
    ? "stopped"
    : continuous?.active
      ? "generating"
      : running || queue.length > 0
        ? "busy"
        : "idle";
  return {
    state,
    queue: { queued: queue.length, running: running ? 1 : 0, limit: e.o.queueLimit },
    nonces_per_second: e.o.rate ?? null,
    generated_total: e.noncesGenerated,
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

async function stop(e: EngineState): Promise<void> {
  e.stopping = true;
  if (e.continuous) e.continuous.active = false;
  for (const job of e.queue.splice(0)) {
    job.state = "failed";
    job.error = "backend stopped";
    job.finish();
  }
  const current = e.running;
  if (current) {
    await Promise.race([current.done, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
  }
}
