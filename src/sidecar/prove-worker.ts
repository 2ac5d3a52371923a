// A worker thread of the prove pool: runs proveSample for the main thread and answers with the
// sample and either the fault or the verified vectors (their buffers transferred, not copied).
import { parentPort } from "node:worker_threads";
import { type ProveTask, proveSample } from "./prove.js";

if (!parentPort) throw new Error("prove-worker runs as a worker thread");
const port = parentPort;
const running = new Map<number, AbortController>();

port.on("message", (message: { id: number; task?: ProveTask; cancel?: unknown }) => {
  const { id } = message;
  if (message.task === undefined) {
    running.get(id)?.abort(message.cancel);
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  proveSample(message.task, controller.signal, (failure) => port.postMessage({ id, failure }))
    .then((result) => {
      const transfer = "vectors" in result ? result.vectors.map((v) => v.buffer as ArrayBuffer) : [];
      port.postMessage({ id, result }, transfer);
    })
    .catch((err: unknown) => {
      const e = err as Error;
      port.postMessage({ id, error: { name: e?.name ?? "Error", message: e?.message ?? String(err) } });
    })
    .finally(() => running.delete(id));
});
