// The module's begin and end of block: the stake snapshot at a stage start and the tally at its end.
// Deterministic: no clock, network or randomness.
import { createStageTallier, isStageStart, stageEndingAt, type ValidatorStake } from "../core/index.js";
import { type Tally, Verdict } from "../gen/pocval/v1/types.js";
import type { BlockContext } from "./context.js";
import { type AbciEvent, finalizeEvent, snapshotEvent, tallyEvent } from "./events.js";
import {
  commitments,
  getBallot,
  getParams,
  getSnapshot,
  getTiming,
  isFinalized,
  setFinalized,
  setSnapshot,
  setTally,
  validators,
} from "./keeper.js";
import { stageSlotHolders } from "./slots.js";
import type { KVStore } from "./store.js";

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
 * participant (docs/protocol.md's rule, through core's stage tallier) and mark the stage final.
 * Cheap on other heights: one read of the timing.
 */
export function endBlock(store: KVStore, ctx: BlockContext): AbciEvent[] {
  const timing = getTiming(store);
  const stage = stageEndingAt(timing, ctx.height);
  if (stage === undefined || isFinalized(store, stage)) return [];
  const params = getParams(store);
  const quorum = { num: params.quorumNum, den: params.quorumDen };
  // A stage whose start preceded genesis has no snapshot: no stake, so nobody is convicted.
  const snapshot = getSnapshot(store, stage)?.validators ?? [];
  const stakes: ValidatorStake[] = snapshot.map((v) => ({ validator: v.address, stake: BigInt(v.stake) }));
  const tallier = createStageTallier(stakes, quorum);
  const positionOf = new Map(snapshot.map((v, i) => [v.address, i]));
  const events: AbciEvent[] = [];
  let convicted = 0;
  // Read all first: a store may not allow writes while one of its iterators is open.
  for (const commitment of [...commitments(store, stage)]) {
    const participant = commitment.participant;
    const ballot = getBallot(store, stage, participant) ?? new Uint8Array(0);
    const result = tallier.tallyBallot(participant, commitment.count, ballot);
    let slots = { slots: 0, cheaterSlots: 0, honestSlots: 0, abstainSlots: 0 };
    let convictedNow = result.convicted;
    if (params.validationSlots > 0) {
      // Version 2: each holder's vote counts as many times as it holds slots; the stake sums stay for governance.
      const m = params.validationSlots;
      let cheaterSlots = 0;
      let honestSlots = 0;
      for (const holder of stageSlotHolders(store, ctx, stage, participant)) {
        const verdict = ballot[positionOf.get(holder.validator) ?? -1];
        if (verdict === Verdict.VERDICT_CHEATER) cheaterSlots += holder.slots;
        else if (verdict === Verdict.VERDICT_HONEST) honestSlots += holder.slots;
      }
      slots = { slots: m, cheaterSlots, honestSlots, abstainSlots: m - cheaterSlots - honestSlots };
      convictedNow = BigInt(cheaterSlots) * quorum.den > BigInt(m) * quorum.num;
    }
    const tally: Tally = {
      stageHeight: stage,
      participant,
      count: commitment.count,
      totalStake: result.totalStake.toString(),
      cheaterStake: result.cheaterStake.toString(),
      honestStake: result.honestStake.toString(),
      abstainStake: result.abstainStake.toString(),
      convicted: convictedNow,
      weight: convictedNow ? 0n : commitment.count,
      cheaterVotes: result.cheaterVotes,
      honestVotes: result.honestVotes,
      ...slots,
    };
    setTally(store, tally);
    events.push(tallyEvent(tally));
    if (convictedNow) convicted++;
  }
  setFinalized(store, stage);
  events.push(finalizeEvent(stage, events.length, convicted));
  return events;
}
