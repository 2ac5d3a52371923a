import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CommitCadence, commitDecision } from "../../src/participant/cadence.js";

const every = (blocks: number, leaves?: number): CommitCadence => ({
  everyBlocks: blocks,
  everyLeaves: leaves,
  finalMarginBlocks: 1,
});
const state = { height: 5n, commitEndHeight: 11n, count: 400, committedCount: 200, lastSentAt: 4n };

describe("commitDecision", () => {
  it("commits new leaves once a block, never twice in one block, never past the window", () => {
    expect(commitDecision(state, every(1))).toEqual({ commit: true, final: false });
    expect(commitDecision({ ...state, lastSentAt: 5n }, every(1))).toEqual({ commit: false });
    expect(commitDecision({ ...state, count: 200 }, every(1))).toEqual({ commit: false });
    // A commit sent at height 10 would land in 11, the last commit height; at 11 it would land too late.
    expect(commitDecision({ ...state, height: 10n }, every(1))).toEqual({ commit: true, final: true });
    expect(commitDecision({ ...state, height: 11n }, every(1))).toEqual({ commit: false });
  });

  it("waits for the block or leaf cadence, except for the final commit", () => {
    expect(commitDecision(state, every(3))).toEqual({ commit: false });
    expect(commitDecision({ ...state, height: 7n }, every(3))).toEqual({ commit: true, final: false });
    expect(commitDecision(state, every(100, 150))).toEqual({ commit: true, final: false });
    expect(commitDecision(state, every(100, 250))).toEqual({ commit: false });
    expect(commitDecision({ ...state, height: 9n }, every(100, 250))).toEqual({ commit: true, final: true });
  });

  it("over a simulated window: counts strictly increase, one commit per block, the last lands in the window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(500), { minLength: 12, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
        (growth, everyBlocks, everyLeaves) => {
          const cadence = every(everyBlocks, everyLeaves);
          const stageHeight = 100n;
          const commitEndHeight = stageHeight + 11n;
          let count = 0;
          let committedCount = 0;
          let lastSentAt = 0n;
          const landed: { height: bigint; count: number }[] = [];
          for (let i = 0; i < growth.length; i++) {
            const height = stageHeight + BigInt(i);
            count += growth[i]!;
            const d = commitDecision({ height, commitEndHeight, count, committedCount, lastSentAt }, cadence);
            if (!d.commit) continue;
            // The transaction lands in the next block and the chain accepts it.
            landed.push({ height: height + 1n, count });
            lastSentAt = height;
            committedCount = count;
          }
          const heights = landed.map((l) => l.height);
          const increasing = landed.every((l, i) => i === 0 || l.count > landed[i - 1]!.count);
          const inWindow = heights.every((h) => h >= stageHeight && h <= commitEndHeight);
          // Leaves present at the last sendable height are committed by the final commit.
          const atLastSendable = growth.slice(0, 11).reduce((a, b) => a + b, 0);
          const final = atLastSendable === 0 || landed.at(-1)?.count === atLastSendable;
          return increasing && new Set(heights).size === heights.length && inWindow && final;
        },
      ),
    );
  });
});
