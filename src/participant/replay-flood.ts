// The replay-flood attack (issue 11, D1): a participant that replays every proof request it
// receives, byte for byte, to the other participants' proof APIs, many in flight, hoping to
// spend the validators' rate-limit tokens there so that honest participants look unavailable.
// Its own work is honest; only this forwarding is the attack.
import type { ProofRequest } from "../core/index.js";
import type { EventLog } from "./log.js";
import { PROOFS_PATH } from "./proof-server.js";

export interface ReplayFloodOptions {
  /** Proof API base URLs of the other participants (asked again every `refreshMs`). */
  targets(): Promise<string[]>;
  /** Replays in flight at most (default 16). */
  concurrency?: number;
  /** How many times each received request is sent to each target (default 25: more than the default 20-token burst). */
  copies?: number;
  /** Replays queued at most; beyond, new ones are dropped (default 20,000). */
  maxQueued?: number;
  refreshMs?: number;
  timeoutMs?: number;
  log: EventLog;
}

export interface ReplayFlood {
  observe(body: string, request: ProofRequest): void;
  /** Replays answered so far, by HTTP status ("error" for no answer). */
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

export function createReplayFlood(opts: ReplayFloodOptions): ReplayFlood {
  const concurrency = opts.concurrency ?? 16;
  const copies = opts.copies ?? 25;
  const maxQueued = opts.maxQueued ?? 20_000;
  const refreshMs = opts.refreshMs ?? 10_000;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const abort = new AbortController();
  const queue: { url: string; body: string }[] = [];
  const statuses: Record<string, number> = {};
  let inFlight = 0;
  let dropped = 0;
  let targets: { at: number; urls: Promise<string[]> } | undefined;
  const running = new Set<Promise<void>>();

  const urls = (): Promise<string[]> => {
    if (!targets || performance.now() - targets.at > refreshMs) {
      const pending = opts.targets().catch(() => [] as string[]);
      targets = { at: performance.now(), urls: pending };
    }
    return targets.urls;
  };

  const send = async (job: { url: string; body: string }): Promise<void> => {
    let status = "error";
    try {
      const res = await fetch(job.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: job.body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]),
      });
      status = String(res.status);
      await res.arrayBuffer();
    } catch {
      // A target down or slow: counted as "error", nothing else to do.
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  const pump = (): void => {
    while (inFlight < concurrency && queue.length > 0 && !abort.signal.aborted) {
      const job = queue.shift()!;
      inFlight++;
      const p = send(job).finally(() => {
        inFlight--;
        running.delete(p);
        if (queue.length === 0 && inFlight === 0) opts.log("replay_flood_drained", { answers: { ...statuses } });
        pump();
      });
      running.add(p);
    }
  };

  return {
    observe(body, request) {
      if (abort.signal.aborted) return;
      void urls().then((list) => {
        let queued = 0;
        for (let i = 0; i < copies; i++) {
          for (const base of list) {
            if (queue.length >= maxQueued) {
              dropped++;
              continue;
            }
            queue.push({ url: new URL(PROOFS_PATH.slice(1), base.endsWith("/") ? base : `${base}/`).toString(), body });
            queued++;
          }
        }
        opts.log("replay_flood", {
          stage_height: request.stage_height,
          validator: request.validator_address,
          targets: list.length,
          queued,
          dropped,
        });
        pump();
      });
    },
    stats: () => ({ ...statuses }),
    async stop() {
      abort.abort();
      queue.length = 0;
      await Promise.allSettled([...running]);
    },
  };
}
