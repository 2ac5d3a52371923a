import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  currentStage,
  defaultTiming,
  firstStageStart,
  inCommitWindow,
  inValidationWindow,
  isStageStart,
  nextStageStart,
  openStageHeights,
  stageEndingAt,
  stageStartAtOrBefore,
  stageWindows,
  timingViolations,
} from "../../src/core/index.js";

const timing = defaultTiming(); // stages at 2, 32, 62, ...: commit 10, sampling 1, validation 12

describe("stage arithmetic", () => {
  it("places the default localnet stages at real heights 2, 32, 62", () => {
    expect([1n, 2n, 3n, 31n, 32n, 62n].filter((h) => isStageStart(timing, h))).toEqual([2n, 32n, 62n]);
    expect(firstStageStart(timing)).toBe(2n);
  });

  it("gives the windows of docs/protocol.md's timeline", () => {
    expect(stageWindows(timing, 32n)).toEqual({
      stageHeight: 32n,
      commitStart: 32n,
      commitEnd: 41n,
      samplingHeight: 42n,
      validationStart: 43n,
      validationEnd: 54n,
    });
    expect([31n, 32n, 41n, 42n].map((h) => inCommitWindow(timing, 32n, h))).toEqual([false, true, true, false]);
    expect([42n, 43n, 54n, 55n].map((h) => inValidationWindow(timing, 32n, h))).toEqual([false, true, true, false]);
    expect(stageEndingAt(timing, 54n)).toBe(32n);
    expect(stageEndingAt(timing, 53n)).toBeUndefined();
    expect(stageEndingAt(timing, 55n)).toBeUndefined();
  });

  it("finds the stage containing a height, and the first stage before it starts", () => {
    expect(stageStartAtOrBefore(timing, 1n)).toBeUndefined();
    expect(currentStage(timing, 1n)).toBe(2n);
    expect(currentStage(timing, 2n)).toBe(2n);
    expect(currentStage(timing, 31n)).toBe(2n);
    expect(currentStage(timing, 32n)).toBe(32n);
  });

  it("never starts a stage at height 0 when stage_offset is 0", () => {
    const zero = { ...timing, stageOffset: 0n };
    expect(isStageStart(zero, 0n)).toBe(false);
    expect(firstStageStart(zero)).toBe(30n);
    expect(stageStartAtOrBefore(zero, 29n)).toBeUndefined();
    expect(currentStage(zero, 5n)).toBe(30n);
    expect(stageStartAtOrBefore(zero, 59n)).toBe(30n);
  });

  it("the latest start at or before a height is a start within one stage length (property)", () => {
    fc.assert(
      fc.property(fc.bigInt(1n, 500n), fc.bigInt(0n, 499n), fc.bigInt(1n, 10n ** 12n), (length, offsetRaw, height) => {
        const t = { stageLength: length, stageOffset: offsetRaw % length, commitWindow: 1n, validationWindow: 1n };
        const start = stageStartAtOrBefore(t, height);
        if (height < firstStageStart(t)) {
          expect(start).toBeUndefined();
        } else {
          expect(start).toBeDefined();
          expect(isStageStart(t, start!)).toBe(true);
          expect(start! <= height && height - start! < length).toBe(true);
        }
      }),
    );
  });
});

describe("openStageHeights", () => {
  const timing = { stageLength: 30n, stageOffset: 2n, commitWindow: 16n, validationWindow: 6n };
  it("lists the stages whose validation window may still be open, newest first", () => {
    expect(openStageHeights(timing, 1n)).toEqual([]);
    expect(openStageHeights(timing, 2n)).toEqual([2n]);
    expect(openStageHeights(timing, 24n)).toEqual([2n]);
    expect(openStageHeights(timing, 25n)).toEqual([]);
    expect(openStageHeights(timing, 32n)).toEqual([32n]);
  });
  it("includes an older stage when windows overlap the next stage", () => {
    const overlapping = { stageLength: 10n, stageOffset: 0n, commitWindow: 5n, validationWindow: 10n };
    expect(openStageHeights(overlapping, 22n)).toEqual([20n, 10n]);
    expect(openStageHeights(overlapping, 26n)).toEqual([20n]);
  });
});

describe("nextStageStart", () => {
  it("is the first start strictly after the height", () => {
    expect(nextStageStart(timing, 1n)).toBe(2n);
    expect(nextStageStart(timing, 2n)).toBe(32n);
    expect(nextStageStart(timing, 31n)).toBe(32n);
    expect(nextStageStart({ ...timing, stageOffset: 0n }, 0n)).toBe(30n);
  });
  it("is a stage start within one stage length after the height (property)", () => {
    fc.assert(
      fc.property(fc.bigInt(1n, 500n), fc.bigInt(0n, 499n), fc.bigInt(0n, 10n ** 12n), (length, offsetRaw, height) => {
        const t = { stageLength: length, stageOffset: offsetRaw % length, commitWindow: 1n, validationWindow: 1n };
        const next = nextStageStart(t, height);
        expect(isStageStart(t, next)).toBe(true);
        expect(next > height && next - height <= length).toBe(true);
      }),
    );
  });
});

describe("timingViolations", () => {
  it("accepts the default timing", () => {
    expect(timingViolations(timing)).toEqual([]);
  });
  it("needs the tally to end the stage strictly before the next starts", () => {
    expect(timingViolations({ ...timing, stageLength: 24n }).map((v) => v.field)).toEqual([]);
    expect(timingViolations({ ...timing, stageLength: 23n })).toEqual([
      {
        field: "stage_length",
        message:
          "commit_window + 1 + validation_window = 23 must be below stage_length = 23 (the tally ends the stage before the next starts)",
      },
    ]);
  });
  it("names every field at fault", () => {
    const bad = { stageLength: 5n, stageOffset: 5n, commitWindow: 0n, validationWindow: 0n };
    expect(timingViolations(bad).map((v) => v.field)).toEqual(["commit_window", "validation_window", "stage_offset"]);
    expect(timingViolations({ ...bad, stageLength: 1n }).map((v) => v.field)).toEqual([
      "commit_window",
      "validation_window",
      "stage_length",
      "stage_offset",
    ]);
  });
});
