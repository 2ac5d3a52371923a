// The module's tallies of one stage, decided and final (docs/protocol.md, tally and decided tallies):
// a participant's tally is written as soon as no possible vote can change its verdict, and written
// again with every vote at the window's end. Deterministic: no clock, network or randomness.
import {
  createStageTallier,
  type StageTallier,
  stageWindows,
  type TallyDecision,
  tallyDecision,
  type ValidatorStake,
} from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import { Tally, Verdict } from "../gen/pocval/v1/types.js";
import type { BlockContext } from "./context.js";
import { type AbciEvent, tallyDecidedEvent, tallyEvent, tallyReopenedEvent } from "./events.js";
import { getBallot, getParams, getSnapshot, getTally, getTiming, isFinalized, setTally } from "./keeper.js";
import { keys } from "./keys.js";
import { stageSlotHolders } from "./slots.js";
import type { KVStore } from "./store.js";

/** One stage's snapshot, quorum and slots, read once for all its participants. */
export interface StageTallyContext {
  stage: bigint;
  params: Params;
  tallier: StageTallier;
  positionOf: Map<string, number>;
  stakeOf: Map<string, bigint>;
}

export function stageTallyContext(store: KVStore, stage: bigint): StageTallyContext {
  const params = getParams(store);
  // A stage whose start preceded genesis has no snapshot: no stake, so nobody is convicted.
  const snapshot = getSnapshot(store, stage)?.validators ?? [];
  const stakes: ValidatorStake[] = snapshot.map((v) => ({ validator: v.address, stake: BigInt(v.stake) }));
  return {
    stage,
    params,
    tallier: createStageTallier(stakes, { num: params.quorumNum, den: params.quorumDen }),
    positionOf: new Map(snapshot.map((v, i) => [v.address, i])),
    stakeOf: new Map(stakes.map((s) => [s.validator, s.stake])),
  };
}

/** A participant's tally from the votes in so far, and whether its verdict is already decided. */
export function currentTally(
  store: KVStore,
  ctx: BlockContext,
  t: StageTallyContext,
  participant: string,
  count: bigint,
): { tally: Tally; decision: TallyDecision } {
  const { params, stage } = t;
  const quorum = { num: params.quorumNum, den: params.quorumDen };
  const ballot = getBallot(store, stage, participant) ?? new Uint8Array(0);
  const result = t.tallier.tallyBallot(participant, count, ballot);
  let slots = { slots: 0, cheaterSlots: 0, honestSlots: 0, abstainSlots: 0 };
  let convicted = result.convicted;
  // Version 1 counts stake; the participant's own stake, when it is a validator, never counts.
  let decision = tallyDecision(
    {
      total: result.totalStake,
      cheater: result.cheaterStake,
      honest: result.honestStake,
      uncountable: t.positionOf.has(participant) ? t.stakeOf.get(participant)! : 0n,
    },
    quorum,
  );
  if (params.validationSlots > 0) {
    // Version 2: each holder's vote counts as many times as it holds slots; the stake sums stay for governance.
    const m = params.validationSlots;
    let cheaterSlots = 0;
    let honestSlots = 0;
    // No vote yet (the sampling block, whose own hash the draw needs, decides before any vote): no holder to read.
    const holders = ballot.some((v) => v !== 0) ? stageSlotHolders(store, ctx, stage, participant) : [];
    for (const holder of holders) {
      const verdict = ballot[t.positionOf.get(holder.validator) ?? -1];
      if (verdict === Verdict.VERDICT_CHEATER) cheaterSlots += holder.slots;
      else if (verdict === Verdict.VERDICT_HONEST) honestSlots += holder.slots;
    }
    slots = { slots: m, cheaterSlots, honestSlots, abstainSlots: m - cheaterSlots - honestSlots };
    convicted = BigInt(cheaterSlots) * quorum.den > BigInt(m) * quorum.num;
    const slotsInput = { total: BigInt(m), cheater: BigInt(cheaterSlots), honest: BigInt(honestSlots) };
    decision = tallyDecision({ ...slotsInput, uncountable: 0n }, quorum);
  }
  const tally: Tally = {
    stageHeight: stage,
    participant,
    count,
    totalStake: result.totalStake.toString(),
    cheaterStake: result.cheaterStake.toString(),
    honestStake: result.honestStake.toString(),
    abstainStake: result.abstainStake.toString(),
    convicted,
    weight: convicted ? 0n : count,
    cheaterVotes: result.cheaterVotes,
    honestVotes: result.honestVotes,
    ...slots,
    decidedHeight: 0n,
    isFinal: false,
  };
  return { tally, decision };
}

/**
 * Writes the decided tally of each listed participant whose verdict no possible vote can change any
 * more (once per participant and stage), with an event each. Called after votes land and at the
 * sampling block (a tally no vote can ever convict is decided there).
 */
export function decideTallies(
  store: KVStore,
  ctx: BlockContext,
  stage: bigint,
  participants: readonly { participant: string; count: bigint }[],
): AbciEvent[] {
  if (isFinalized(store, stage)) return [];
  const t = stageTallyContext(store, stage);
  const events: AbciEvent[] = [];
  for (const { participant, count } of participants) {
    if (getTally(store, stage, participant) !== undefined) continue;
    const { tally, decision } = currentTally(store, ctx, t, participant, count);
    if (decision === undefined) continue;
    const decided = { ...tally, decidedHeight: ctx.height };
    setTally(store, decided);
    events.push(tallyDecidedEvent(decided));
  }
  return events;
}

/**
 * The final tally at the window's end: every vote counted, is_final set, decided_height kept from an
 * earlier decision (or this height when only the end decided it).
 */
export function finalTally(
  store: KVStore,
  ctx: BlockContext,
  t: StageTallyContext,
  participant: string,
  count: bigint,
): { tally: Tally; events: AbciEvent[] } {
  const earlier = getTally(store, t.stage, participant);
  const { tally } = currentTally(store, ctx, t, participant, count);
  const final = { ...tally, decidedHeight: earlier?.decidedHeight ?? ctx.height, isFinal: true };
  setTally(store, final);
  return { tally: final, events: [...(earlier ? [] : [tallyDecidedEvent(final)]), tallyEvent(final)] };
}

/**
 * After a params change of the quorum or the slots, the open stages' early decisions were made under
 * other rules: they are dropped (an event each) and decided again by the next vote or the window's end.
 */
export function reopenDecisions(store: KVStore, ctx: BlockContext, before: Params, after: Params): AbciEvent[] {
  const rulesChanged =
    before.quorumNum * after.quorumDen !== after.quorumNum * before.quorumDen ||
    before.validationSlots !== after.validationSlots;
  if (!rulesChanged) return [];
  const timing = getTiming(store);
  const events: AbciEvent[] = [];
  // Every stage whose window is still open started within one commit plus validation window of now.
  const reach = timing.commitWindow + timing.validationWindow + 1n;
  const first = ctx.height > reach ? ctx.height - reach : 0n;
  for (const stage of openStages(store, timing, first, ctx.height)) {
    // Read all first: a store may not allow writes while one of its iterators is open.
    const stored = [...store.iterate(keys.tallies(stage))].map(([key, bytes]) => ({ key, tally: Tally.decode(bytes) }));
    for (const { key, tally } of stored) {
      if (tally.isFinal) continue;
      store.delete(key);
      events.push(tallyReopenedEvent(tally));
    }
  }
  return events;
}

function* openStages(
  store: KVStore,
  timing: ReturnType<typeof getTiming>,
  from: bigint,
  to: bigint,
): Generator<bigint> {
  const length = timing.stageLength;
  let stage = from - ((((from - timing.stageOffset) % length) + length) % length);
  for (; stage <= to; stage += length) {
    if (stage < 0n || isFinalized(store, stage)) continue;
    if (stageWindows(timing, stage).validationEnd >= to) yield stage;
  }
}
