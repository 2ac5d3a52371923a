// The validator's timing rules of "Availability": each wait capped so the request budget fits
// before the check's deadline, and that deadline from the window and the block rate.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDeadlineMs, retryWaitMs } from "../../src/core/index.js";

describe("retryWaitMs", () => {
  it("waits what was asked, capped at proof_response_ms, when no deadline is known", () => {
    expect(retryWaitMs({ askedMs: 60_000, responseMs: 30_000, triesLeft: 7, nowMs: 0 })).toBe(30_000);
    expect(retryWaitMs({ askedMs: 1_200, responseMs: 30_000, triesLeft: 7, nowMs: 0 })).toBe(1_200);
  });

  it("caps the wait at the time left over tries left + 1", () => {
    // 10 s left, one try left: half of it, so the last try goes out 5 s before the deadline.
    expect(retryWaitMs({ askedMs: 60_000, responseMs: 30_000, triesLeft: 1, nowMs: 0, deadlineMs: 10_000 })).toBe(
      5_000,
    );
    // 10 s left, 7 tries left: 1250 ms.
    expect(retryWaitMs({ askedMs: 60_000, responseMs: 30_000, triesLeft: 7, nowMs: 0, deadlineMs: 10_000 })).toBe(
      1_250,
    );
    // A short Retry-After is honoured as it is.
    expect(retryWaitMs({ askedMs: 200, responseMs: 30_000, triesLeft: 1, nowMs: 0, deadlineMs: 10_000 })).toBe(200);
    // Past the deadline: no wait.
    expect(retryWaitMs({ askedMs: 60_000, responseMs: 30_000, triesLeft: 3, nowMs: 11_000, deadlineMs: 10_000 })).toBe(
      0,
    );
  });

  it("spends the whole budget before the deadline when every try fails at once (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 100, max: 3_600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1000, maxLength: 1000 }),
        (budget, responseMs, left, asked) => {
          let now = 0;
          for (let sent = 1; sent < budget; sent++) {
            now += retryWaitMs({
              askedMs: asked[sent]!,
              responseMs,
              triesLeft: budget - sent,
              nowMs: now,
              deadlineMs: left,
            });
          }
          // The last try goes out no later than the deadline (and never later than budget - 1 full waits).
          expect(now).toBeLessThanOrEqual(Math.max(left, 0));
          expect(now).toBeLessThanOrEqual((budget - 1) * responseMs);
        },
      ),
    );
  });
});

describe("checkDeadlineMs", () => {
  it("is the time the chain reaches the window's end less the margin and the reserve", () => {
    const at = { nowMs: 1_000, height: 100n, validationEndHeight: 120n, marginBlocks: 2, reserveBlocks: 1 };
    expect(checkDeadlineMs({ ...at, blockMs: 500 })).toBe(1_000 + 17 * 500);
    expect(checkDeadlineMs({ ...at, height: 119n, blockMs: 500 })).toBe(1_000);
    expect(checkDeadlineMs({ ...at, blockMs: undefined })).toBeUndefined();
    expect(checkDeadlineMs({ ...at, blockMs: 0 })).toBeUndefined();
  });
});
