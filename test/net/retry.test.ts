import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, semaphore, sleep, sleepUntilAborted } from "../../src/net/retry.js";

describe("backoffDelay", () => {
  it("doubles from the base, stays in [c/2, c] and never passes the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (attempt, base, extra) => {
          const max = base + extra;
          const ceiling = Math.min(max, base * 2 ** (attempt - 1));
          const d = backoffDelay(attempt, { baseDelayMs: base, maxDelayMs: max });
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(ceiling / 2);
          expect(d).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it("treats attempt 0 like the first try (the base)", () => {
    const d = backoffDelay(0, { baseDelayMs: 100, maxDelayMs: 1000 });
    expect(d).toBeGreaterThanOrEqual(50);
    expect(d).toBeLessThanOrEqual(100);
  });
});

describe("sleep", () => {
  it("rejects with the abort reason, before or during the wait", async () => {
    const before = new AbortController();
    before.abort(new Error("stopped early"));
    await expect(sleep(10_000, before.signal)).rejects.toThrow("stopped early");

    const during = new AbortController();
    const waiting = sleep(10_000, during.signal);
    during.abort(new Error("stopped while waiting"));
    await expect(waiting).rejects.toThrow("stopped while waiting");
  });

  it("resolves after the delay, and sleepUntilAborted resolves on abort", async () => {
    const t0 = performance.now();
    await sleep(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    const c = new AbortController();
    const waiting = sleepUntilAborted(10_000, c.signal);
    c.abort(new Error("stop"));
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe("semaphore", () => {
  it("admits at most limit holders, in FIFO order", async () => {
    const s = semaphore(2);
    const order: number[] = [];
    let peak = 0;
    const gates = [0, 1, 2, 3, 4].map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    });
    const runs = gates.map((g, i) =>
      s.run(async () => {
        order.push(i);
        peak = Math.max(peak, s.active());
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(s.active()).toBe(2);
    expect(s.waiting()).toBe(3);
    for (const g of gates) g.resolve();
    await Promise.all(runs);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(s.active()).toBe(0);
  });
});
