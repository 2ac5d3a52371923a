// Stage arithmetic of docs/protocol.md (stage timeline): which heights start a stage, its windows,
// and the timing rule. Every other folder asks these functions; none repeats the arithmetic.

import type { StageTiming } from "../gen/pocval/v1/params.js";

/** The heights of one stage (docs/protocol.md, stage timeline). */
export interface StageWindows {
  stageHeight: bigint;
  commitStart: bigint;
  commitEnd: bigint;
  samplingHeight: bigint;
  validationStart: bigint;
  validationEnd: bigint;
}

/** True iff a stage starts at height: `height % stage_length == stage_offset`, and height is a real block (>= 1). */
export function isStageStart(timing: StageTiming, height: bigint): boolean {
  return height >= 1n && height % timing.stageLength === timing.stageOffset;
}

/** The first stage of the chain: height 0 does not exist, so offset 0 starts at stage_length. */
export function firstStageStart(timing: StageTiming): bigint {
  return timing.stageOffset >= 1n ? timing.stageOffset : timing.stageLength;
}

/** The most recent stage start <= height, or undefined before the first stage. */
export function stageStartAtOrBefore(timing: StageTiming, height: bigint): bigint | undefined {
  if (height < firstStageStart(timing)) return undefined;
  const back = (((height - timing.stageOffset) % timing.stageLength) + timing.stageLength) % timing.stageLength;
  return height - back;
}

/** The stage a height belongs to for the Stage query: the latest start <= height, else the first stage. */
export function currentStage(timing: StageTiming, height: bigint): bigint {
  return stageStartAtOrBefore(timing, height) ?? firstStageStart(timing);
}

/** The windows of the stage starting at stageHeight (which must be a stage start). */
export function stageWindows(timing: StageTiming, stageHeight: bigint): StageWindows {
  const samplingHeight = stageHeight + timing.commitWindow;
  return {
    stageHeight,
    commitStart: stageHeight,
    commitEnd: samplingHeight - 1n,
    samplingHeight,
    validationStart: samplingHeight + 1n,
    validationEnd: samplingHeight + timing.validationWindow,
  };
}

/** The stage whose last validation height is height (its tally is due at the end of this block), if any. */
export function stageEndingAt(timing: StageTiming, height: bigint): bigint | undefined {
  const start = height - timing.commitWindow - timing.validationWindow;
  return isStageStart(timing, start) ? start : undefined;
}

/** Whether height lies in the commit window of the stage starting at stageHeight. */
export function inCommitWindow(timing: StageTiming, stageHeight: bigint, height: bigint): boolean {
  const w = stageWindows(timing, stageHeight);
  return height >= w.commitStart && height <= w.commitEnd;
}

/** Whether height lies in the validation window of the stage starting at stageHeight. */
export function inValidationWindow(timing: StageTiming, stageHeight: bigint, height: bigint): boolean {
  const w = stageWindows(timing, stageHeight);
  return height >= w.validationStart && height <= w.validationEnd;
}

/** The first stage start strictly after height. */
export function nextStageStart(timing: StageTiming, height: bigint): bigint {
  const after = height + 1n;
  const len = timing.stageLength;
  const start = after + ((((timing.stageOffset - after) % len) + len) % len);
  return start < firstStageStart(timing) ? firstStageStart(timing) : start;
}

/**
 * Stage starts whose validation window may still be open at height, newest first: a stage stays
 * open through its last validation height (more than one when windows overlap the next stage).
 */
export function openStageHeights(timing: StageTiming, height: bigint): bigint[] {
  const out: bigint[] = [];
  if (timing.stageLength <= 0n) return out;
  let start = stageStartAtOrBefore(timing, height);
  while (start !== undefined && start >= 1n && stageWindows(timing, start).validationEnd >= height) {
    out.push(start);
    start -= timing.stageLength;
  }
  return out;
}

/** A stage timing field that breaks the timing rule, and why (field names as in the proto). */
export interface TimingViolation {
  field: "stage_length" | "stage_offset" | "commit_window" | "validation_window";
  message: string;
}

/**
 * The timing rule (docs/protocol.md): both windows hold a block, and the commit window, the sampling
 * block and the validation window end strictly before the next stage starts (the tally ends the
 * stage), so stages never overlap. Empty when the timing is usable.
 */
export function timingViolations(timing: StageTiming): TimingViolation[] {
  const out: TimingViolation[] = [];
  if (timing.commitWindow < 1n) out.push({ field: "commit_window", message: "commit_window must be >= 1" });
  if (timing.validationWindow < 1n) out.push({ field: "validation_window", message: "validation_window must be >= 1" });
  const used = timing.commitWindow + 1n + timing.validationWindow;
  if (used >= timing.stageLength) {
    out.push({
      field: "stage_length",
      message: `commit_window + 1 + validation_window = ${used} must be below stage_length = ${timing.stageLength} (the tally ends the stage before the next starts)`,
    });
  }
  if (timing.stageOffset < 0n || timing.stageOffset >= timing.stageLength) {
    out.push({ field: "stage_offset", message: "stage_offset must be below stage_length" });
  }
  return out;
}
