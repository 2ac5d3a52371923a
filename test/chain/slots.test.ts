import { describe, expect, it } from "vitest";
import { beginBlock, ErrorCode, endBlock, type KVStore, query } from "../../src/chain/index.js";
import { slotHolders } from "../../src/core/index.js";
import {
  QueryParamsRequest,
  QueryParamsResponse,
  QuerySlotsRequest,
  QuerySlotsResponse,
  QueryTallyRequest,
  QueryTallyResponse,
  QueryVotesRequest,
  QueryVotesResponse,
} from "../../src/gen/pocval/v1/query.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  aVote,
  baseGenesis,
  commit,
  ctxAt,
  expectRejected,
  fakeHash,
  freshStore,
  p0,
  p1,
  p2,
  p3,
  register,
  submitVotes,
  v0,
  v1,
  validatorStakes,
} from "./helpers.js";

// Version 2 in the chain module: validation slots, STAT_TEST consistency, k_crit in the params query.
const M = 5;
const participants = [p0, p1, p2, p3];

/** A stage-2 chain with slots on: four validators (40/30/20/10), four participants committed 500 leaves. */
function slotStage(): KVStore {
  const g = baseGenesis();
  g.params = { ...g.params!, validationSlots: M };
  const store = freshStore(g);
  beginBlock(store, ctxAt(2n));
  for (const p of participants) {
    register(store, 2n, p);
    commit(store, 2n, p, 2n, 500n);
  }
  return store;
}

/** The holders as core computes them from the snapshot and the sampling block (height 12). */
const holdersOf = (participant: string) =>
  slotHolders({
    stageHeight: 2n,
    samplingBlockHash: fakeHash(12n),
    participantAddress: participant,
    stakes: validatorStakes.map(([validator, stake]) => ({ validator, stake: BigInt(stake) })),
    slots: M,
  });

const stakeOf = new Map(validatorStakes.map(([a, s]) => [a, BigInt(s)]));

const tallyOf = (store: KVStore, participant: string) =>
  QueryTallyResponse.decode(
    query(
      store,
      ctxAt(25n),
      "/pocval.v1.Query/Tally",
      QueryTallyRequest.encode({ stageHeight: 2n, participant }).finish(),
    ),
  ).tally!;

describe("validation slots in the chain", () => {
  it("answers the slot holders core derives, and k_crit in the params query", () => {
    const store = slotStage();
    const r = QuerySlotsResponse.decode(
      query(
        store,
        ctxAt(13n),
        "/pocval.v1.Query/Slots",
        QuerySlotsRequest.encode({ stageHeight: 2n, participant: p0 }).finish(),
      ),
    );
    expect(r.slots).toBe(M);
    expect(r.holders).toEqual(holdersOf(p0));
    expect(r.holders.reduce((s, h) => s + h.slots, 0)).toBe(M);
    const params = QueryParamsResponse.decode(
      query(store, ctxAt(13n), "/pocval.v1.Query/Params", QueryParamsRequest.encode({}).finish()),
    );
    expect(params.kCrit).toBe(8);
    expect(params.params?.validationSlots).toBe(M);
  });

  it("rejects a vote from a validator holding no slot of the participant, changing nothing", () => {
    const store = slotStage();
    // Find a (participant, validator) pair without a slot: with 5 draws over 4 validators one exists here.
    const pair = participants
      .flatMap((p) => validatorStakes.map(([v]) => [p, v] as const))
      .find(([p, v]) => v !== p && !holdersOf(p).some((h) => h.validator === v));
    expect(pair).toBeDefined();
    const [participant, validator] = pair!;
    expectRejected(store, () => submitVotes(store, 13n, validator, 2n, [aVote(participant)]), ErrorCode.NoSlot, [
      "holds none of the participant's 5 validation slots",
      `validator ${validator}`,
    ]);
  });

  it("rejects a second vote of a slot holder, keeping the first", () => {
    const store = slotStage();
    const holder = holdersOf(p0)[0]!.validator;
    submitVotes(store, 13n, holder, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)]);
    expectRejected(store, () => submitVotes(store, 14n, holder, 2n, [aVote(p0)]), ErrorCode.DuplicateVote, [
      "already voted",
    ]);
  });

  it.each([
    ["CHEATER below k_crit", Verdict.VERDICT_CHEATER, { checked: 200, mismatches: 7 }, "below k_crit(200) = 8"],
    ["HONEST with k_crit still reachable", Verdict.VERDICT_HONEST, { checked: 150, mismatches: 0 }, "still reachable"],
    ["checked above n", Verdict.VERDICT_HONEST, { checked: 201, mismatches: 0 }, "checked 201 exceeds n = 200"],
  ] as const)("rejects a STAT_TEST vote whose counts contradict its verdict: %s", (_, verdict, counts, fragment) => {
    const store = slotStage();
    const holder = holdersOf(p1)[0]!.validator;
    expectRejected(
      store,
      () => submitVotes(store, 13n, holder, 2n, [aVote(p1, verdict, counts)]),
      ErrorCode.InconsistentVote,
      [fragment],
    );
  });

  it("accepts curtailed STAT_TEST votes that agree with their verdict, and fault votes without counts: recorded, then tallied by slots", () => {
    const store = slotStage();
    // CHEATER after 20 checked with 8 mismatches; HONEST after 195 checked with 2 (2 + 5 < 8).
    const cheater = {
      holder: holdersOf(p2)[0]!,
      vote: aVote(p2, Verdict.VERDICT_CHEATER, { checked: 20, mismatches: 8 }),
    };
    const honest = {
      holder: holdersOf(p3)[0]!,
      vote: aVote(p3, Verdict.VERDICT_HONEST, { checked: 195, mismatches: 2 }),
    };
    const fault = {
      holder: holdersOf(p1).at(-1)!,
      vote: aVote(p1, Verdict.VERDICT_CHEATER, { reason: Reason.REASON_UNAVAILABLE, checked: 0, mismatches: 0 }),
    };
    for (const { holder, vote } of [cheater, honest, fault]) submitVotes(store, 13n, holder.validator, 2n, [vote]);

    for (const { holder, vote } of [cheater, honest, fault]) {
      const recorded = QueryVotesResponse.decode(
        query(
          store,
          ctxAt(14n),
          "/pocval.v1.Query/Votes",
          QueryVotesRequest.encode({
            stageHeight: 2n,
            participant: vote.participant,
            validator: "",
            pagination: undefined,
          }).finish(),
        ),
      ).votes;
      expect(recorded).toEqual([{ stageHeight: 2n, validator: holder.validator, vote, height: 13n }]);
    }

    endBlock(store, ctxAt(24n));
    for (const { holder, vote } of [cheater, honest, fault]) {
      const byCheater = vote.verdict === Verdict.VERDICT_CHEATER;
      expect(tallyOf(store, vote.participant)).toMatchObject({
        slots: M,
        cheaterSlots: byCheater ? holder.slots : 0,
        honestSlots: byCheater ? 0 : holder.slots,
        abstainSlots: M - holder.slots,
        cheaterVotes: byCheater ? 1 : 0,
        honestVotes: byCheater ? 0 : 1,
        convicted: byCheater && holder.slots * 2 > M,
        cheaterStake: byCheater ? stakeOf.get(holder.validator)!.toString() : "0",
        honestStake: byCheater ? "0" : stakeOf.get(holder.validator)!.toString(),
      });
    }
  });

  it("a version 1 chain (validation_slots 0) accepts curtailed votes and tallies them by stake", () => {
    const store = freshStore(baseGenesis());
    beginBlock(store, ctxAt(2n));
    for (const p of [p0, p1]) {
      register(store, 2n, p);
      commit(store, 2n, p, 2n, 500n);
    }
    // v0 (40%) and v1 (30%) stop p0 after one chunk with 16 mismatches; HONEST on p1 needs all 200 here.
    for (const v of [v0, v1]) {
      submitVotes(store, 13n, v, 2n, [
        aVote(p0, Verdict.VERDICT_CHEATER, { checked: 20, mismatches: 16, pValue: "0.0000000001" }),
        aVote(p1, Verdict.VERDICT_HONEST, { checked: 200, mismatches: 3 }),
      ]);
    }
    endBlock(store, ctxAt(24n));
    expect(tallyOf(store, p0)).toMatchObject({ convicted: true, cheaterStake: "70", slots: 0, cheaterVotes: 2 });
    expect(tallyOf(store, p1)).toMatchObject({ convicted: false, honestStake: "70", slots: 0 });
  });

  it("tallies by slots: each holder's vote counts its slots, convicted iff cheater_slots * 2 > m; stake sums kept", () => {
    const store = slotStage();
    const holders = holdersOf(p0);
    // Every holder votes CHEATER on p0 except the one holding the fewest slots, who votes HONEST.
    const sorted = [...holders].sort((a, b) => a.slots - b.slots);
    const honest = sorted[0]!;
    for (const h of holders) {
      const verdict = h === honest ? Verdict.VERDICT_HONEST : Verdict.VERDICT_CHEATER;
      submitVotes(store, 13n, h.validator, 2n, [aVote(p0, verdict)]);
    }
    endBlock(store, ctxAt(24n));
    const tally = tallyOf(store, p0);
    const cheaterSlots = M - honest.slots;
    expect(tally).toMatchObject({
      slots: M,
      cheaterSlots,
      honestSlots: honest.slots,
      abstainSlots: 0,
      convicted: cheaterSlots * 2 > M,
      cheaterVotes: holders.length - 1,
      honestVotes: 1,
      cheaterStake: holders
        .filter((h) => h !== honest)
        .reduce((s, h) => s + stakeOf.get(h.validator)!, 0n)
        .toString(),
    });
    // Nobody voted on p3: every slot abstains and it keeps its weight.
    const silent = tallyOf(store, p3);
    expect(silent).toMatchObject({
      slots: M,
      cheaterSlots: 0,
      honestSlots: 0,
      abstainSlots: M,
      convicted: false,
      weight: 500n,
    });
  });
});
