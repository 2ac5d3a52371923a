// Waiting between tries, in one place: the backoff every retry loop uses (sidecar, participant,
// backend client, reference backend callbacks, chain websocket reconnects), an abortable sleep and
// a FIFO semaphore.
import { setTimeout as delay } from "node:timers/promises";

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with jitter before try `attempt + 1` (attempt counts from 1): a delay in
 * [c/2, c] with c = min(maxDelayMs, baseDelayMs * 2^(attempt-1)). Jitter keeps many clients that
 * failed together from retrying together.
 * @example backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 1000 }) // in [200, 400]
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  // The exponent is clamped so that a long outage cannot overflow to Infinity before the cap.
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(Math.max(0, attempt - 1), 52));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    // timers/promises rejects with its own AbortError; callers expect the reason they aborted with.
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}

/** Resolves after ms, or earlier (without throwing) when the signal aborts: for loops that check a stop flag. */
export function sleepUntilAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => undefined);
}

/** A counting semaphore: at most `limit` holders at a time, FIFO. */
export function semaphore(limit: number): {
  run<T>(fn: () => Promise<T>): Promise<T>;
  active(): number;
  waiting(): number;
} {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active < limit) active++;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await fn();
      } finally {
        release();
      }
    },
    active: () => active,
    waiting: () => queue.length,
  };
}
