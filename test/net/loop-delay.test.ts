// watchLoopDelay: a loop blocked by synchronous work is seen as a stall of about that length,
// reported once per interval that held it; a loop that only waits on timers reports none.
import { afterEach, describe, expect, it } from "vitest";
import { type LoopDelaySummary, type LoopDelayWatch, watchLoopDelay } from "../../src/net/index.js";

/** Spins the thread for ms milliseconds (the synchronous work that blocks a loop). */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("watchLoopDelay", () => {
  let watch: LoopDelayWatch | undefined;
  afterEach(() => watch?.stop());

  it("reports a 600 ms block as a stall of at least 600 ms in the interval that held it", async () => {
    const stalls: LoopDelaySummary[] = [];
    watch = watchLoopDelay({ intervalMs: 200, stallMs: 400, onStall: (s) => stalls.push(s) });
    await wait(50);
    block(600);
    // The interval timer fires once the loop is free again; then one more for the next interval.
    await wait(450);
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    expect(stalls[0]!.maxMs).toBeGreaterThanOrEqual(550);
    expect(stalls[0]!.p99Ms).toBeLessThanOrEqual(stalls[0]!.maxMs);
    expect(watch.worstMs()).toBeGreaterThanOrEqual(stalls[0]!.maxMs);
    expect(watch.stalls()).toBe(stalls.length);
  });

  it("reports no stall while the loop only waits, and the worst delay stays under the stall mark", async () => {
    const stalls: LoopDelaySummary[] = [];
    // A stall mark far above any scheduling hiccup of a loaded test machine.
    watch = watchLoopDelay({ intervalMs: 100, stallMs: 5_000, onStall: (s) => stalls.push(s) });
    expect(watch.last()).toEqual({ maxMs: 0, p99Ms: 0, meanMs: 0 });
    await wait(350);
    expect(stalls).toEqual([]);
    expect(watch.stalls()).toBe(0);
    expect(watch.last().maxMs).toBeLessThan(5_000);
    expect(watch.last().meanMs).toBeGreaterThanOrEqual(0);
  });
});
