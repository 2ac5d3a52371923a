// The worker thread of backend-thread.ts: starts one reference backend with the options it was
// given, posts back its URL (or why it could not start), and stops it when asked.
import { parentPort, workerData } from "node:worker_threads";
import { type ReferenceBackendOptions, startReferenceBackend } from "../backend/index.js";

if (!parentPort) throw new Error("backend-worker runs as a worker thread");
const port = parentPort;
try {
  const backend = await startReferenceBackend(workerData as ReferenceBackendOptions);
  port.on("message", (m: unknown) => {
    if (m !== "stop") return;
    void backend.stop().then(() => port.postMessage({ stopped: true }));
  });
  port.postMessage({ url: backend.url });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
