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

export function createEngine(o: EngineOptions) {
  const { params, rate, batchLatencyMs, queueLimit, recordLimit } = o;
  const queue: Job[] = [];
  const records = new Map<string, Job>();
  let running: Job | undefined;
  let continuous: Continuous | undefined;
  let stopping = false;
  let noncesGenerated = 0;
  let jobsCompleted = 0;
  let jobsCancelled = 0;

  const sourceFor = (blockHash: string, publicKey: string) =>
    vectorSource({ blockHash, publicKey, ...params, profile: o.profileName, machineId: o.machineId });

  /** Emulated GPU time of one engine batch of m nonces, less the CPU time already spent. */
  async function gpuTime(m: number, spentMs: number): Promise<void> {
    const wanted = batchLatencyMs + (rate ? (m / rate) * 1000 : 0);
    if (wanted > spentMs) await sleep(wanted - spentMs);
    else await yieldToIo();
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
    if (o.faults().takeJobFailure()) throw new Error("injected job failure");
    if (r.validation && r.stat_test && job.received) {
      const test = r.stat_test;
      // Compare what would travel: our vector after the f16 round trip.
      const dists = r.validation.artifacts.map((_, i) =>
        l2Distance(decodeVector(encodeVector(vectors[i]!), params.kDim), job.received![i]!),
      );
      const mismatchNonces = r.validation.artifacts
        .filter((_, i) => dists[i]! > test.dist_threshold)
        .map((a) => a.nonce);
      const n = r.validation.artifacts.length;
      // The protocol's decision (core/check.ts), read with the vLLM API's names.
      const { verdict, pValue } = verdictFromCounts(countMismatches(dists, test.dist_threshold), n, {
        fpRate: test.p_mismatch,
        alpha: test.fraud_threshold,
      });
      job.result = {
        n_total: n,
        n_mismatch: mismatchNonces.length,
        mismatch_nonces: mismatchNonces,
        p_value: pValue,
        fraud_detected: verdict === Verdict.VERDICT_CHEATER,
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
          await sleep(backoffDelay(attempt + 1, { baseDelayMs: 50, maxDelayMs: 800 }));
        }
      }
      c.generated += remaining;
      c.batchesSent++;
      noncesGenerated += remaining;
    }
    c.active = false;
  }

  return {
    /**
     * Queues a generate job: "busy" while continuous generation runs, "full" when the queue holds
     * queueLimit jobs behind a running one (an idle engine takes the job at once).
     */
    submit(request: ParsedGenerateRequest, received: Float64Array[] | undefined): Job | "busy" | "full" {
      if (continuous?.active) return "busy";
      if (running && queue.length >= queueLimit) return "full";
      let finish = () => {};
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const job: Job = { id: randomUUID(), state: "queued", request, received, done, finish };
      remember(job);
      queue.push(job);
      void pump();
      return job;
    },
    /** Drops a queued job, or stops a running one at its next engine batch. */
    cancel(job: Job): void {
      if (job.state === "completed" || job.state === "failed") return;
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
    },
    record: (id: string) => records.get(id),
    forget: (id: string) => records.delete(id),
    /** A job as its record endpoint shows it. */
    recordOf(job: Job): Record<string, unknown> {
      if (job.state === "completed") return { ...job.result, status: "completed", request_id: job.id };
      if (job.state === "failed") return { status: "failed", request_id: job.id, error: job.error };
      return { status: job.state, request_id: job.id };
    },
    /** Starts continuous generation, ending a run in progress. */
    startContinuous(request: ContinuousRequest): void {
      if (continuous) continuous.active = false;
      continuous = { ...request, generated: 0, batchesSent: 0, active: true };
      void runContinuous(continuous);
    },
    stopContinuous(): void {
      if (continuous) continuous.active = false;
    },
    stopping: () => stopping,
    /** The engine's part of `/api/v1/pow/status`. */
    status() {
      const state = stopping
        ? "stopped"
        : continuous?.active
          ? "generating"
          : running || queue.length > 0
            ? "busy"
            : "idle";
      return {
        state,
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
    },
    stats: () => ({ noncesGenerated, jobsCompleted, jobsCancelled, queued: queue.length }),
    /** Fails the queued jobs and gives the running one up to a second to end at its next batch. */
    async stop(): Promise<void> {
      stopping = true;
      if (continuous) continuous.active = false;
      for (const job of queue.splice(0)) {
        job.state = "failed";
        job.error = "backend stopped";
        job.finish();
      }
      const current = running;
      if (current) {
        await Promise.race([current.done, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
      }
    },
  };
}
