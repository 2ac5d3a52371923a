// Guard against convicting through the sidecar's own fault: an unreachable proof API only earns
// an UNAVAILABLE vote once this stage has shown that the sidecar itself can reach proof APIs (some
// participant answered). If none ever does, its own network or clock is the likelier culprit,
// and it abstains instead.

/** Whether the sidecar has reached any participant's proof API in a stage. */
export interface Reachability {
  /** Some participant's proof API answered (with valid or faulty proofs). */
  markReached(): void;
  reached(): boolean;
  /** Resolves true once reached, or false when the signal aborts first. */
  waitReached(signal: AbortSignal): Promise<boolean>;
}

/**
 * @example const seen = createReachability(); seen.markReached(); await seen.waitReached(signal) // true
 */
export function createReachability(initially = false): Reachability {
  let reached = initially;
  const waiters = new Set<(value: boolean) => void>();
  return {
    markReached() {
      if (reached) return;
      reached = true;
      for (const w of waiters) w(true);
      waiters.clear();
    },
    reached: () => reached,
    waitReached(signal) {
      if (reached) return Promise.resolve(true);
      if (signal.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const done = (value: boolean) => {
          waiters.delete(done);
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        };
        const onAbort = () => done(false);
        waiters.add(done);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
