// Backoff and cancellable sleep shared by the sidecar's retry loops.

/** Exponential backoff with full jitter: a delay in [base*2^(n-1)/2, base*2^(n-1)], capped. */
export function backoffDelay(attempt: number, retry: { baseDelayMs: number; maxDelayMs: number }): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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
