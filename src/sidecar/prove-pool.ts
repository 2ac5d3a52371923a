// Runs the proof side of checks (proveSample: sampling, signing, fetching, parsing, Merkle
// verification) in worker threads, so that a validator host's cores, not the sidecar's one
// event loop, bound how fast proofs are verified.
import { Worker } from "node:worker_threads";
import { PocvalError } from "../core/index.js";
import type { ProveFailure, ProveResult, ProveTask } from "./prove.js";

export interface ProvePool {
  prove(task: ProveTask, signal?: AbortSignal, onFailure?: (failure: ProveFailure) => void): Promise<ProveResult>;
  close(): Promise<void>;
}

interface Pending {
  worker: number;
  resolve(result: ProveResult): void;
  reject(err: unknown): void;
  onFailure?: (failure: ProveFailure) => void;
}

/** A proof task that failed inside a worker (not a participant fault: those are results). */
export class ProveWorkerError extends PocvalError {
  override name = "ProveWorkerError";
}

// Compiled (dist/), the worker is plain JavaScript. Run from source (tsx, vitest), worker threads do
// not inherit the loader, so a small .mjs registers tsx first (a dev-only file: not in dist/).
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./prove-worker-boot.mjs", import.meta.url)
  : new URL("./prove-worker.js", import.meta.url);

/**
 * @example const pool = createProvePool(4); const result = await pool.prove(task, signal);
 */
export function createProvePool(size: number): ProvePool {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`createProvePool: size must be >= 1, got ${size}`);
  const workers = Array.from({ length: size }, () => new Worker(WORKER_URL));
  const load = workers.map(() => 0);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;

  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    if (p) {
      pending.delete(id);
      load[p.worker]!--;
    }
    return p;
  };
  workers.forEach((worker, index) => {
    worker.on(
      "message",
      (m: { id: number; result?: ProveResult; failure?: ProveFailure; error?: { name: string; message: string } }) => {
        if (m.failure) {
          pending.get(m.id)?.onFailure?.(m.failure);
          return;
        }
        const p = settle(m.id);
        if (!p) return;
        if (m.result) p.resolve(m.result);
        else {
          const err = new ProveWorkerError(m.error?.message ?? "unknown worker error");
          if (m.error?.name) err.name = m.error.name;
          p.reject(err);
        }
      },
    );
    worker.on("error", (err) => {
      for (const [id, p] of pending) {
        if (p.worker === index) {
          settle(id);
          p.reject(new ProveWorkerError(`prove worker ${index} failed: ${err.message}`, { cause: err }));
        }
      }
    });
    worker.unref();
  });

  return {
    prove(task, signal, onFailure) {
      if (closed) return Promise.reject(new ProveWorkerError("the prove pool is closed"));
      if (signal?.aborted) return Promise.reject(signal.reason);
      const id = nextId++;
      const worker = load.indexOf(Math.min(...load));
      load[worker]!++;
      return new Promise<ProveResult>((resolve, reject) => {
        pending.set(id, { worker, resolve, reject, onFailure });
        workers[worker]!.postMessage({ id, task });
        signal?.addEventListener(
          "abort",
          () => {
            workers[worker]!.postMessage({ id, cancel: String((signal.reason as Error)?.message ?? signal.reason) });
            // The caller sees the abort at once, as with proveSample in this thread.
            if (settle(id)) reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async close() {
      closed = true;
      for (const [id, p] of pending) {
        settle(id);
        p.reject(new ProveWorkerError("the prove pool is closed"));
      }
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
