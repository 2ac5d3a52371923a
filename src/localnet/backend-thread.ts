// One emulated GPU machine of the localnet per worker thread: each reference backend computes on
// its own thread, as each machine of a real network computes on its own GPU. Hosted together on
// the runner's one event loop, every validator's recomputes waited in one queue behind the others'
// and, on a busy machine, the runner's one thread set the pace of every check (issue 24).
import { Worker } from "node:worker_threads";
import type { ReferenceBackendOptions } from "../backend/index.js";
import { PocvalError } from "../core/index.js";

/** A reference backend running in a worker thread. */
export interface BackendThread {
  url: string;
  stop(): Promise<void>;
}

/** A reference backend thread that could not start. */
export class BackendThreadError extends PocvalError {
  override name = "BackendThreadError";
}

// Compiled (dist/), the worker is plain JavaScript; run from source (tsx, vitest), a small .mjs
// registers tsx in the thread first (worker threads do not inherit the loader).
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./backend-worker-boot.mjs", import.meta.url)
  : new URL("./backend-worker.js", import.meta.url);

/**
 * Starts `startReferenceBackend(opts)` in a new worker thread and resolves with its URL.
 * @example const b = await startBackendThread({ profile: "h100-fp8", machineId: "v0" }); ... await b.stop();
 */
export function startBackendThread(opts: ReferenceBackendOptions): Promise<BackendThread> {
  const worker = new Worker(WORKER_URL, { workerData: opts });
  return new Promise<BackendThread>((resolve, reject) => {
    const failed = (err: Error) =>
      reject(new BackendThreadError(`reference backend ${opts.profile}: ${err.message}`, { cause: err }));
    worker.once("error", failed);
    worker.once("exit", (code) => failed(new Error(`its thread exited with code ${code} before listening`)));
    worker.once("message", (m: { url?: string; error?: string }) => {
      worker.removeAllListeners("exit");
      worker.removeAllListeners("error");
      if (m.url === undefined) {
        void worker.terminate();
        failed(new Error(m.error ?? "no URL"));
        return;
      }
      resolve({ url: m.url, stop: () => stopThread(worker) });
    });
  });
}

/** Asks the thread to stop its server (open requests end with 503), then ends the thread. */
function stopThread(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(force);
      void worker.terminate().then(() => resolve());
    };
    // A thread that does not answer within 5 s is ended anyway.
    const force = setTimeout(done, 5_000);
    worker.once("message", done);
    worker.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    worker.postMessage("stop");
  });
}
