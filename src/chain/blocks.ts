// The module's begin and end of block: the stake snapshot at a stage start and the tally at its end.
// Deterministic: no clock, network or randomness.
import { isStageStart, stageEndingAt } from "../core/index.js";
import type { BlockContext } from "./context.js";
import { type AbciEvent, finalizeEvent, snapshotEvent } from "./events.js";
import { commitments, getSnapshot, getTiming, isFinalized, setFinalized, setSnapshot, validators } from "./keeper.js";
import type { KVStore } from "./store.js";
import { decideTallies, finalTally, stageTallyContext } from "./tally.js";

/**
 * Start of block: at a stage start S, snapshot the stake of every bonded validator (stake > 0).
 * Cheap on other heights: one read of the timing.
 */
export function beginBlock(store: KVStore, ctx: BlockContext): AbciEvent[] {
  const timing = getTiming(store);
  const stage = ctx.height;
  if (!isStageStart(timing, stage) || getSnapshot(store, stage) !== undefined) return [];
  const bonded = [...validators(store)].filter((v) => BigInt(v.stake) > 0n);
  const totalStake = bonded.reduce((sum, v) => sum + BigInt(v.stake), 0n).toString();
  setSnapshot(store, { stageHeight: stage, validators: bonded, totalStake });
  return [snapshotEvent(stage, bonded.length, totalStake)];
}

/**
 * End of block: at the last validation height of a stage, finalize one Tally per committed
 * participant (docs/protocol.md's rule, through core's stage tallier) and mark the stage final; at
 * a stage's sampling block, decide the tallies no vote can change (docs/protocol.md, decided tallies).
 * Cheap on other heights: one read of the timing.
 */
export function endBlock(store: KVStore, ctx: BlockContext): AbciEvent[] {
  const timing = getTiming(store);
  const sampled = ctx.height - timing.commitWindow;
  const decided =
    sampled >= 0n && isStageStart(timing, sampled)
      ? decideTallies(store, ctx, sampled, [...commitments(store, sampled)])
      : [];
  const stage = stageEndingAt(timing, ctx.height);
  if (stage === undefined || isFinalized(store, stage)) return decided;
  const t = stageTallyContext(store, stage);
  const events: AbciEvent[] = [...decided];
  let tallies = 0;
  let convicted = 0;
  // Read all first: a store may not allow writes while one of its iterators is open.
  for (const commitment of [...commitments(store, stage)]) {
    const final = finalTally(store, ctx, t, commitment.participant, commitment.count);
    events.push(...final.events);
    tallies++;
    if (final.tally.convicted) convicted++;
  }
  setFinalized(store, stage);
  events.push(finalizeEvent(stage, tallies, convicted));
  return events;
}
