// Per-validator token buckets: a bonded validator may burst up to `capacity` proof requests and
// then `refillPerSecond` a second, so one validator cannot starve the others.

export interface RateLimiter {
  /** Takes one token of `key`; false when its bucket is empty. */
  take(key: string): boolean;
  /** Seconds until `key` has a token again (0 if it has one). */
  retryAfter(key: string): number;
}

export interface RateLimitOptions {
  capacity: number;
  refillPerSecond: number;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
  /** Buckets kept at most; the least recently used is forgotten (it comes back full). */
  maxKeys?: number;
}

export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  if (!(opts.capacity >= 1 && opts.refillPerSecond > 0)) {
    throw new RangeError(
      `rate limit needs capacity >= 1 and refillPerSecond > 0, got ${opts.capacity}, ${opts.refillPerSecond}`,
    );
  }
  const now = opts.now ?? (() => performance.now());
  const maxKeys = opts.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const bucket = (key: string): { tokens: number; at: number } => {
    const t = now();
    let b = buckets.get(key);
    if (b) {
      buckets.delete(key);
      b.tokens = Math.min(opts.capacity, b.tokens + ((t - b.at) / 1000) * opts.refillPerSecond);
      b.at = t;
    } else {
      b = { tokens: opts.capacity, at: t };
    }
    buckets.set(key, b);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    return b;
  };
  return {
    take(key) {
      const b = bucket(key);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    retryAfter(key) {
      const b = bucket(key);
      return b.tokens >= 1 ? 0 : (1 - b.tokens) / opts.refillPerSecond;
    },
  };
}
