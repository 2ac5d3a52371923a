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

/** The proof API's limit unless configured: a burst of 20 per validator, then 10 a second. */
export const DEFAULT_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({ capacity: 20, refillPerSecond: 10 });

/**
 * Why a burst capacity cannot serve a chain's proof_request_budget, or undefined when it can:
 * every bonded validator must be able to spend its whole budget (docs/protocol.md "Availability")
 * without meeting a 429, or the participant's own limiter would earn it UNAVAILABLE votes.
 * @example budgetShortfall(4, 8) // "capacity 4 is below the chain's proof_request_budget 8: ..."
 */
export function budgetShortfall(capacity: number, budget: number): string | undefined {
  if (capacity >= budget) return undefined;
  return (
    `capacity ${capacity} is below the chain's proof_request_budget ${budget}: a validator could meet 429 ` +
    `before its budget is spent and vote UNAVAILABLE; set capacity to at least ${budget}`
  );
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

/** Remembers the signatures of requests already accepted, until their timestamp window ends. */
export interface ReplayCache {
  /** Records `key` (a request signature) valid until `expiresAtMs`; false when it is already held. */
  claim(key: string, expiresAtMs: number): boolean;
  size(): number;
}

/**
 * A replay cache bounded in time (entries expire with their request's timestamp window) and in
 * size (at most `maxEntries`; the oldest is forgotten first). Expired entries go on every claim.
 * @example const seen = createReplayCache({ maxEntries: 100_000 }); seen.claim(sig, expiry) // true, then false
 */
export function createReplayCache(opts: { maxEntries?: number; now?: () => number } = {}): ReplayCache {
  const maxEntries = opts.maxEntries ?? 100_000;
  const now = opts.now ?? (() => Date.now());
  // Insertion order; expiries are not monotone in it (clocks skew), so expiry is checked on lookup too.
  const entries = new Map<string, number>();
  const sweep = (t: number) => {
    for (const [key, expiry] of entries) {
      if (expiry > t) break;
      entries.delete(key);
    }
  };
  return {
    claim(key, expiresAtMs) {
      const t = now();
      sweep(t);
      const held = entries.get(key);
      if (held !== undefined && held > t) return false;
      entries.delete(key);
      entries.set(key, expiresAtMs);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return true;
    },
    size: () => entries.size,
  };
}
