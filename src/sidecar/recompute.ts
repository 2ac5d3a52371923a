// The recompute work queue: every participant's sampled nonces, cut into backend-sized chunks,
// served FIFO by a fixed number of workers per backend, so the backends always have the next
// request waiting and the GPU, not the sidecar, sets the pace. Backend failures are the
// sidecar's own faults: retried with backoff until the job's signal aborts or the budget ends.
import type { GenerateRequest, PocParams } from "../backend/index.js";
import { PocvalError } from "../core/index.js";
import { backoffDelay } from "../net/index.js";

/** The part of the backend client the queue uses (createBackendClient fits it). */
export interface RecomputeBackend {
  readonly url: string;
  generate(req: GenerateRequest, opts?: { signal?: AbortSignal }): Promise<{ nonce: number; vector: Float64Array }[]>;
}

/** One participant's recomputation. */
export interface RecomputeJob {
  generationSeed: string;
  stageHeight: number;
  publicKey: string;
  nonces: readonly number[];
  params: PocParams;
}

/** The backends could not recompute a job within its retry budget or before it was cancelled. */
export class RecomputeFailedError extends PocvalError {
  override name = "RecomputeFailedError";
}

export interface RecomputeQueueOptions {
  backends: readonly RecomputeBackend[];
  /** Requests in flight per backend. */
  concurrency: number;
  /** Nonces per backend request. */
  batchSize: number;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** Observations for metrics and logs. */
  onRequest?: (e: { backend: string; nonces: number; seconds: number; error?: Error }) => void;
}

export interface RecomputeQueue {
  /** Vectors of job.nonces in order; rejects with RecomputeFailedError or the signal's reason. */
  recompute(job: RecomputeJob, signal?: AbortSignal): Promise<Float64Array[]>;
  /** Chunks waiting and in flight. */
  load(): { queued: number; inFlight: number };
  /** Stops the workers; pending jobs reject. */
  close(): void;
}

interface Chunk {
  job: RecomputeJob;
  nonces: number[];
  attempt: number;
  notBefore: number;
  /** The last backend failure, so a cancelled job still says the backend was at fault. */
  lastError?: Error;
  signal?: AbortSignal;
  resolve(vectors: Float64Array[]): void;
  reject(err: unknown): void;
}

/** The queue's state: the functions below share it. */
interface QueueState {
  opts: RecomputeQueueOptions;
  queue: Chunk[];
  inFlight: number;
  closed: boolean;
  /** Workers waiting for a chunk. */
  wake: (() => void)[];
}

/**
 * @example const queue = createRecomputeQueue({ backends: [createBackendClient({url})], concurrency: 4,
 *   batchSize: 500, retry: {attempts: 10, baseDelayMs: 200, maxDelayMs: 5000} });
 *   const vectors = await queue.recompute({generationSeed, stageHeight, publicKey, nonces, params});
 */
export function createRecomputeQueue(opts: RecomputeQueueOptions): RecomputeQueue {
  if (opts.backends.length === 0) throw new RangeError("createRecomputeQueue: no backends");
  const state: QueueState = { opts, queue: [], inFlight: 0, closed: false, wake: [] };
  for (const backend of opts.backends) {
    for (let i = 0; i < opts.concurrency; i++) void worker(state, backend);
  }
  return {
    recompute: (job, signal) => enqueue(state, job, signal),
    load: () => ({ queued: state.queue.length, inFlight: state.inFlight }),
    close() {
      state.closed = true;
      for (const c of state.queue.splice(0)) c.reject(new RecomputeFailedError("the recompute queue is closed"));
      notify(state);
    },
  };
}

/** Wakes every waiting worker. */
function notify(state: QueueState): void {
  const waiting = state.wake;
  state.wake = [];
  for (const w of waiting) w();
}

/** Cuts a job into backend-sized chunks and queues them; resolves with all their vectors in order. */
function enqueue(state: QueueState, job: RecomputeJob, signal?: AbortSignal): Promise<Float64Array[]> {
  const { queue, opts } = state;
  if (state.closed) return Promise.reject(new RecomputeFailedError("the recompute queue is closed"));
  if (job.nonces.length === 0) return Promise.resolve([]);
  const parts: Promise<Float64Array[]>[] = [];
  for (let start = 0; start < job.nonces.length; start += opts.batchSize) {
    const nonces = job.nonces.slice(start, start + opts.batchSize);
    parts.push(
      new Promise<Float64Array[]>((resolve, reject) => {
        const chunk: Chunk = { job, nonces, attempt: 1, notBefore: 0, signal, resolve, reject };
        queue.push(chunk);
        // A cancelled job leaves the queue at once instead of waiting for a worker.
        signal?.addEventListener(
          "abort",
          () => {
            const i = queue.indexOf(chunk);
            if (i >= 0) {
              queue.splice(i, 1);
              reject(cancelled(chunk));
            }
          },
          { once: true },
        );
      }),
    );
  }
  notify(state);
  return Promise.all(parts).then((results) => results.flat());
}

/** The first chunk that may run now, or the time the earliest delayed one may. */
function take(state: QueueState): Chunk | number | undefined {
  const { queue } = state;
  const now = Date.now();
  let earliest: number | undefined;
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]!;
    if (c.notBefore <= now) {
      queue.splice(i, 1);
      return c;
    }
    earliest = earliest === undefined ? c.notBefore : Math.min(earliest, c.notBefore);
  }
  return earliest;
}

/** One of a backend's workers: takes chunks until the queue closes. */
async function worker(state: QueueState, backend: RecomputeBackend): Promise<void> {
  // A backend that keeps failing rests before taking more work, so healthy ones take it first.
  let failuresInARow = 0;
  while (!state.closed) {
    if (failuresInARow > 0) {
      await new Promise((r) => setTimeout(r, backoffDelay(failuresInARow - 1, state.opts.retry)));
    }
    const next = take(state);
    if (next === undefined || typeof next === "number") {
      await new Promise<void>((resolve) => {
        state.wake.push(resolve);
        if (typeof next === "number") setTimeout(() => notify(state), Math.max(1, next - Date.now()));
      });
      continue;
    }
    const chunk = next;
    if (chunk.signal?.aborted) {
      chunk.reject(cancelled(chunk));
      continue;
    }
    state.inFlight++;
    try {
      const outcome = await runChunk(state, backend, chunk);
      if (outcome === "done") failuresInARow = 0;
      else if (outcome === "failed") failuresInARow++;
    } finally {
      state.inFlight--;
    }
  }
}

/** Sends one chunk to the backend and settles or requeues it: done, failed (the backend's fault) or cancelled. */
async function runChunk(
  state: QueueState,
  backend: RecomputeBackend,
  chunk: Chunk,
): Promise<"done" | "failed" | "cancelled"> {
  const { opts } = state;
  const started = performance.now();
  try {
    const artifacts = await backend.generate(
      {
        blockHash: chunk.job.generationSeed,
        blockHeight: chunk.job.stageHeight,
        publicKey: chunk.job.publicKey,
        nonces: chunk.nonces,
        params: chunk.job.params,
      },
      { signal: chunk.signal },
    );
    const vectors = checkArtifacts(artifacts, chunk.nonces, chunk.job.params.kDim, backend.url);
    opts.onRequest?.({
      backend: backend.url,
      nonces: chunk.nonces.length,
      seconds: (performance.now() - started) / 1000,
    });
    chunk.resolve(vectors);
    return "done";
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    opts.onRequest?.({
      backend: backend.url,
      nonces: chunk.nonces.length,
      seconds: (performance.now() - started) / 1000,
      error,
    });
    // An abort is not the backend's failure; anything else is.
    if (chunk.signal?.aborted) {
      chunk.reject(cancelled(chunk));
      return "cancelled";
    }
    if (chunk.attempt >= opts.retry.attempts || state.closed) {
      chunk.reject(
        new RecomputeFailedError(`recompute failed after ${chunk.attempt} attempts: ${error.message}`, {
          cause: err,
        }),
      );
    } else {
      chunk.lastError = error;
      chunk.attempt++;
      chunk.notBefore = Date.now() + backoffDelay(chunk.attempt - 1, opts.retry);
      state.queue.push(chunk);
      notify(state);
    }
    return "failed";
  }
}

/** Why a cancelled chunk ends: the backend's fault if it had failed, else the signal's reason. */
function cancelled(chunk: Chunk): unknown {
  if (chunk.lastError === undefined) return chunk.signal?.reason;
  return new RecomputeFailedError(
    `cancelled after ${chunk.attempt - 1} failed backend attempt(s); last: ${chunk.lastError.message}`,
    { cause: chunk.lastError },
  );
}

/** The backend's vectors for exactly `nonces`, in order, each of kDim finite values. */
function checkArtifacts(
  artifacts: readonly { nonce: number; vector: Float64Array }[],
  nonces: readonly number[],
  kDim: number,
  url: string,
): Float64Array[] {
  if (artifacts.length !== nonces.length) {
    throw new RecomputeFailedError(`backend ${url} answered ${artifacts.length} vectors for ${nonces.length} nonces`);
  }
  return artifacts.map((a, i) => {
    if (a.nonce !== nonces[i])
      throw new RecomputeFailedError(`backend ${url} answered nonce ${a.nonce} for ${nonces[i]}`);
    if (a.vector.length !== kDim || !a.vector.every(Number.isFinite)) {
      throw new RecomputeFailedError(`backend ${url}: nonce ${a.nonce} vector is not ${kDim} finite values`);
    }
    return a.vector;
  });
}
