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
