import { describe, expect, it } from "vitest";
import { createRateLimiter, createReplayCache } from "../../src/participant/rate-limit.js";

describe("rate limiter", () => {
  it("lets a key burst up to capacity, then refills at the given rate, per key", () => {
    let now = 0;
    const limiter = createRateLimiter({ capacity: 3, refillPerSecond: 2, now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([true, true, true, false]);
    expect(limiter.take("b")).toBe(true);
    expect(limiter.retryAfter("a")).toBeCloseTo(0.5);
    now += 499;
    expect(limiter.take("a")).toBe(false);
    now += 2;
    expect(limiter.take("a")).toBe(true);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([true, true, true, false]);
  });

  it("forgets the least recently used key beyond maxKeys (it comes back full)", () => {
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 0.001, now: () => 0, maxKeys: 2 });
    expect(limiter.take("a")).toBe(true);
    expect(limiter.take("b")).toBe(true);
    expect(limiter.take("c")).toBe(true);
    expect(limiter.take("b")).toBe(false);
    expect(limiter.take("a")).toBe(true);
  });

  it("refuses a bucket that could never pass", () => {
    expect(() => createRateLimiter({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});

describe("replay cache", () => {
  it("refuses a key it holds until the key's expiry, then accepts it again", () => {
    let t = 1_000;
    const cache = createReplayCache({ now: () => t });
    expect(cache.claim("sig-a", 2_000)).toBe(true);
    expect(cache.claim("sig-a", 2_000)).toBe(false);
    expect(cache.claim("sig-b", 5_000)).toBe(true);
    t = 2_000;
    expect(cache.claim("sig-a", 3_000)).toBe(true);
    expect(cache.claim("sig-b", 5_000)).toBe(false);
  });

  it("stays within its size bound, forgetting the oldest first", () => {
    const cache = createReplayCache({ maxEntries: 3, now: () => 0 });
    for (const k of ["a", "b", "c", "d"]) expect(cache.claim(k, 10)).toBe(true);
    expect(cache.size()).toBe(3);
    expect(cache.claim("a", 10)).toBe(true);
    expect(cache.claim("d", 10)).toBe(false);
  });
});
