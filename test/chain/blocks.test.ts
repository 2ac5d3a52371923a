import { toBech32 } from "@cosmjs/encoding";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  beginBlock,
  deliverMsg,
  ErrorCode,
  endBlock,
  exportGenesis,
  type KVStore,
  query,
} from "../../src/chain/index.js";
import { setValidator } from "../../src/chain/keeper.js";
import { tallyParticipant } from "../../src/core/index.js";
import { QueryTallyRequest, QueryTallyResponse } from "../../src/gen/pocval/v1/query.js";
import { MsgUpdateParams } from "../../src/gen/pocval/v1/tx.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  attrs,
  authority,
  aVote,
  baseGenesis,
  commit,
  ctxAt,
  dump,
  expectRejected,
  freshStore,
  p0,
  p1,
  p2,
  p3,
  p4,
  register,
  submitVotes,
  v0,
  v1,
  v2,
  v3,
} from "./helpers.js";

const { VERDICT_CHEATER: C, VERDICT_HONEST: H } = Verdict;

/** Runs beginBlock/endBlock for heights from..to, returning the events of each height. */
function runBlocks(store: KVStore, from: bigint, to: bigint) {
  const out = new Map<bigint, ReturnType<typeof endBlock>>();
  for (let h = from; h <= to; h++) out.set(h, [...beginBlock(store, ctxAt(h)), ...endBlock(store, ctxAt(h))]);
  return out;
}

/**
 * Stage 2 with stakes v0 40, v1 30, v2 20, v3 10 (total 100), default quorum 1/2, and these votes:
 * p0: v0 C, v1 C (70: convicted)        p1: v0 C (40: not)         p2: v0 C, v3 C, v1 H, v2 H (50: exactly half, not)
 * p3: nobody (all abstain)              p4: v1 C, v2 C, v3 C, v0 H (60: convicted)
 * v0 as a participant: v0 C on itself (ignored), v1 C, v2 C (50 counted: not; 90 had the self-vote counted)
 */
function stageTwo(): KVStore {
  const store = freshStore();
  for (const p of [p0, p1, p2, p3, p4, v0]) register(store, 1n, p);
  beginBlock(store, ctxAt(2n));
  for (const [i, p] of [p0, p1, p2, p3, p4, v0].entries()) commit(store, 3n, p, 2n, BigInt(100 * (i + 1)));
  submitVotes(store, 13n, v0, 2n, [aVote(p0, C), aVote(p1, C), aVote(p2, C), aVote(p4, H), aVote(v0, C)]);
  submitVotes(store, 14n, v1, 2n, [aVote(p0, C), aVote(p2, H), aVote(p4, C), aVote(v0, C)]);
  submitVotes(store, 15n, v2, 2n, [aVote(p2, H), aVote(p4, C), aVote(v0, C)]);
  submitVotes(store, 24n, v3, 2n, [aVote(p2, C), aVote(p4, C)]);
  return store;
}

describe("beginBlock: the stake snapshot", () => {
  it("snapshots bonded validators at a stage start only, once", () => {
    const store = freshStore();
    expect(beginBlock(store, ctxAt(1n))).toEqual([]);
    const before = dump(store);
    const events = beginBlock(store, ctxAt(2n));
    expect(events.map((e) => [e.type, attrs(e)])).toEqual([
      ["pocval.stake_snapshot", { stage_height: "2", validators: "4", total_stake: "100" }],
    ]);
    expect(dump(store)).not.toEqual(before);
    const after = dump(store);
    expect(beginBlock(store, ctxAt(2n))).toEqual([]);
    expect(beginBlock(store, ctxAt(3n))).toEqual([]);
    expect(dump(store)).toEqual(after);
    expect(
      exportGenesis(store)
        .snapshots[0]!.validators.map((v) => v.stake)
        .sort(),
    ).toEqual(["10", "20", "30", "40"]);
  });

  it("leaves validators with zero stake out, so their votes are refused", () => {
    const g = baseGenesis();
    const idle = toBech32("pocval", new Uint8Array(20).fill(9));
    g.validators.push({ address: idle, stake: "0" });
    const store = freshStore(g);
    register(store, 1n, p0);
    beginBlock(store, ctxAt(2n));
    commit(store, 3n, p0, 2n, 5n);
    expect(exportGenesis(store).snapshots[0]!.validators).toHaveLength(4);
    expectRejected(store, () => submitVotes(store, 13n, idle, 2n, [aVote(p0)]), ErrorCode.NotBonded);
  });
});

describe("endBlock: the end-of-stage tally", () => {
  it("decides a tally as soon as no possible vote can change it, and finalizes nothing before the last validation height", () => {
    const store = freshStore();
    for (const p of [p0, p1, p2]) register(store, 1n, p);
    beginBlock(store, ctxAt(2n));
    for (const p of [p0, p1, p2]) commit(store, 3n, p, 2n, 100n);
    // Stakes v0 40, v1 30, v2 20, v3 10 of 100; the quorum is strictly more than 50.
    const first = submitVotes(store, 13n, v0, 2n, [aVote(p0, C), aVote(p1, C), aVote(p2, H)]).events;
    expect(first.filter((e) => e.type === "pocval.tally_decided")).toEqual([]);
    const second = submitVotes(store, 14n, v1, 2n, [aVote(p0, C), aVote(p1, H), aVote(p2, H)]).events;
    // p0: 70 cheater, convicted whatever comes; p2: 70 honest, at most 30 cheater can follow: cleared.
    expect(second.filter((e) => e.type === "pocval.tally_decided").map(attrs)).toEqual([
      {
        participant: p0,
        stage_height: "2",
        decided_height: "14",
        convicted: "true",
        cheater_stake: "70",
        honest_stake: "0",
        total_stake: "100",
        is_final: "false",
      },
      expect.objectContaining({ participant: p2, decided_height: "14", convicted: "false", honest_stake: "70" }),
    ]);
    // p1: 40 cheater, 30 honest, 30 still open: 70 is possible, so undecided until the end.
    expect(exportGenesis(store).tallies.map((t) => [t.participant, t.decidedHeight, t.isFinal])).toEqual(
      [
        [p0, 14n, false],
        [p2, 14n, false],
      ].sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)),
    );
    expect([...runBlocks(store, 16n, 23n).values()].flat()).toEqual([]);
    const end = endBlock(store, ctxAt(24n));
    // Only p1 is decided by the end itself; every tally is final, and p0 and p2 keep their decided height.
    expect(end.filter((e) => e.type === "pocval.tally_decided").map((e) => attrs(e).participant)).toEqual([p1]);
    const final = new Map(exportGenesis(store).tallies.map((t) => [t.participant, t]));
    expect([p0, p1, p2].map((p) => [final.get(p)!.decidedHeight, final.get(p)!.isFinal])).toEqual([
      [14n, true],
      [24n, true],
      [14n, true],
    ]);
    expect(final.get(p0)!.convicted).toBe(true);
    expect(final.get(p2)!.convicted).toBe(false);
  });

  it("decides at the sampling block a tally that no vote can convict (a participant holding most stake)", () => {
    const store = freshStore();
    register(store, 1n, v0);
    beginBlock(store, ctxAt(2n));
    commit(store, 3n, v0, 2n, 100n);
    const quorum = { ...exportGenesis(store).params!, quorumNum: 2n, quorumDen: 3n };
    deliverMsg(
      store,
      ctxAt(4n),
      "/pocval.v1.MsgUpdateParams",
      MsgUpdateParams.encode({ authority, params: quorum }).finish(),
    );
    // v0 holds 40 of 100 and never counts on itself: the others' 60 cannot exceed two thirds.
    expect(endBlock(store, ctxAt(11n))).toEqual([]);
    const decided = endBlock(store, ctxAt(12n));
    expect(decided.map((e) => [e.type, attrs(e).participant, attrs(e).decided_height])).toEqual([
      ["pocval.tally_decided", v0, "12"],
    ]);
  });

  it("with validation slots, the sampling block decides nothing and does not need its own hash", () => {
    const store = freshStore();
    register(store, 1n, p0);
    beginBlock(store, ctxAt(2n));
    commit(store, 3n, p0, 2n, 100n);
    const params = { ...exportGenesis(store).params!, validationSlots: 3 };
    deliverMsg(store, ctxAt(4n), "/pocval.v1.MsgUpdateParams", MsgUpdateParams.encode({ authority, params }).finish());
    // ctxAt(12) knows the hashes below 12 only, as a block does not know its own hash at its end.
    expect(endBlock(store, ctxAt(12n))).toEqual([]);
    expect(exportGenesis(store).tallies).toEqual([]);
  });

  it("reopens early decisions of an open stage when governance changes the quorum", () => {
    // stageTwo decided p0 (convicted, 70), p2 (cleared) and, with v3's vote at 24, p4.
    const store = stageTwo();
    expect(
      exportGenesis(store)
        .tallies.map((t) => t.participant)
        .sort(),
    ).toEqual([p0, p2, p4].sort());
    const params = { ...exportGenesis(store).params!, quorumNum: 3n, quorumDen: 4n };
    const result = deliverMsg(
      store,
      ctxAt(20n),
      "/pocval.v1.MsgUpdateParams",
      MsgUpdateParams.encode({ authority, params }).finish(),
    );
    expect(
      result.events
        .filter((e) => e.type === "pocval.tally_reopened")
        .map((e) => attrs(e).participant)
        .sort(),
    ).toEqual([p0, p2, p4].sort());
    expect(exportGenesis(store).tallies).toEqual([]);
    // p0's 70 of 100 is not more than three quarters: cleared at the end, not convicted as it was decided under 1/2.
    const end = endBlock(store, ctxAt(24n));
    expect(end.map(attrs).find((a) => a.participant === p0 && a.weight !== undefined)).toMatchObject({
      convicted: "false",
      decided_height: "24",
    });
  });

  it("tallies every committed participant by snapshot stake at the end of the last validation height", () => {
    const store = stageTwo();
    const events = endBlock(store, ctxAt(24n));
    const byParticipant = Object.fromEntries(
      events.filter((e) => e.type === "pocval.tally").map((e) => [attrs(e).participant, attrs(e)]),
    );
    expect(byParticipant[p0]).toEqual({
      participant: p0,
      stage_height: "2",
      count: "100",
      cheater_stake: "70",
      honest_stake: "0",
      abstain_stake: "30",
      total_stake: "100",
      cheater_votes: "2",
      honest_votes: "0",
      convicted: "true",
      weight: "0",
      decided_height: "14",
    });
    expect(byParticipant[p1]).toMatchObject({
      cheater_stake: "40",
      abstain_stake: "60",
      convicted: "false",
      weight: "200",
    });
    expect(byParticipant[p2]).toMatchObject({
      cheater_stake: "50",
      honest_stake: "50",
      convicted: "false",
      weight: "300",
    });
    expect(byParticipant[p3]).toMatchObject({
      cheater_stake: "0",
      abstain_stake: "100",
      cheater_votes: "0",
      convicted: "false",
    });
    expect(byParticipant[p4]).toMatchObject({
      cheater_stake: "60",
      honest_stake: "40",
      honest_votes: "1",
      convicted: "true",
    });
    expect(byParticipant[v0]).toMatchObject({
      cheater_stake: "50",
      cheater_votes: "2",
      abstain_stake: "50",
      convicted: "false",
    });
    expect(events.at(-1)).toEqual({
      type: "pocval.stage_finalized",
      attributes: [
        { key: "stage_height", value: "2" },
        { key: "tallies", value: "6" },
        { key: "convicted", value: "2" },
      ],
    });
    const stored = QueryTallyResponse.decode(
      query(
        store,
        ctxAt(25n),
        "/pocval.v1.Query/Tally",
        QueryTallyRequest.encode({ stageHeight: 2n, participant: p4 }).finish(),
      ),
    ).tally;
    expect(stored).toEqual({
      stageHeight: 2n,
      participant: p4,
      count: 500n,
      totalStake: "100",
      cheaterStake: "60",
      honestStake: "40",
      abstainStake: "0",
      convicted: true,
      weight: 0n,
      cheaterVotes: 3,
      honestVotes: 1,
      slots: 0,
      cheaterSlots: 0,
      honestSlots: 0,
      abstainSlots: 0,
      decidedHeight: 24n,
      isFinal: true,
    });
  });

  it("finalizes a stage once: a second endBlock at that height changes nothing", () => {
    const store = stageTwo();
    endBlock(store, ctxAt(24n));
    const after = dump(store);
    expect(endBlock(store, ctxAt(24n))).toEqual([]);
    expect(dump(store)).toEqual(after);
  });

  it("refuses votes once the stage is tallied", () => {
    const store = stageTwo();
    endBlock(store, ctxAt(24n));
    expectRejected(store, () => submitVotes(store, 25n, v3, 2n, [aVote(p0, C)]), ErrorCode.OutsideWindow);
  });

  it("uses the stake snapshot of the stage start, not stake changed later", () => {
    const store = stageTwo();
    setValidator(store, { address: v3, stake: "1000" });
    const events = endBlock(store, ctxAt(24n));
    const p2Tally = events
      .filter((e) => e.type === "pocval.tally")
      .map(attrs)
      .find((a) => a.participant === p2);
    expect(p2Tally).toMatchObject({ total_stake: "100", cheater_stake: "50" });
  });

  it("applies the quorum in force at the tally (a governance change mid-stage)", () => {
    const store = stageTwo();
    const params = { ...exportGenesis(store).params!, quorumNum: 1n, quorumDen: 3n };
    deliverMsg(store, ctxAt(20n), "/pocval.v1.MsgUpdateParams", MsgUpdateParams.encode({ authority, params }).finish());
    const events = endBlock(store, ctxAt(24n));
    // p1's 40 of 100 is more than a third.
    const tally = events.filter((e) => e.type === "pocval.tally").map(attrs);
    expect(tally.find((a) => a.participant === p1)).toMatchObject({ convicted: "true", weight: "0" });
  });

  it("tallies a stage that began before genesis (no snapshot) with zero stake: nobody is convicted", () => {
    const store = freshStore();
    register(store, 4n, p0);
    commit(store, 5n, p0, 2n, 9n);
    const events = runBlocks(store, 5n, 24n).get(24n)!;
    expect(attrs(events[0]!)).toMatchObject({ participant: p0, total_stake: "0", convicted: "false", weight: "9" });
  });

  it("finalizes a stage without commitments with no tallies", () => {
    const store = freshStore();
    const events = runBlocks(store, 1n, 24n);
    expect([...events.get(24n)!].map((e) => [e.type, attrs(e).tallies])).toEqual([["pocval.stage_finalized", "0"]]);
    expect(exportGenesis(store).finalizedStages).toEqual([2n]);
  });

  it("agrees with core's tallyParticipant on random stakes and votes (property)", () => {
    const validatorAddresses = [v0, v1, v2, v3];
    const participantAddresses = [p0, p1, v2];
    fc.assert(
      fc.property(
        fc.array(fc.bigInt(0n, 10n ** 20n), { minLength: 4, maxLength: 4 }),
        fc.array(fc.constantFrom(0, C, H), { minLength: 12, maxLength: 12 }),
        fc.record({ num: fc.bigInt(0n, 5n), extra: fc.bigInt(0n, 5n) }),
        (stakes, verdicts, q) => {
          const g = baseGenesis();
          g.validators = validatorAddresses.map((address, i) => ({ address, stake: stakes[i]!.toString() }));
          g.params = { ...g.params!, quorumNum: q.num, quorumDen: q.num + q.extra + 1n };
          const store = freshStore(g);
          for (const p of participantAddresses) register(store, 1n, p);
          beginBlock(store, ctxAt(2n));
          for (const [i, p] of participantAddresses.entries()) commit(store, 5n, p, 2n, BigInt(i + 1));
          validatorAddresses.forEach((validator, vi) => {
            if (stakes[vi] === 0n) return;
            const votes = participantAddresses
              .map((participant, pi) => ({ participant, verdict: verdicts[vi * 3 + pi]! }))
              .filter((v) => v.verdict !== 0)
              .map((v) => aVote(v.participant, v.verdict as Verdict));
            if (votes.length > 0) submitVotes(store, 13n + BigInt(vi), validator, 2n, votes);
          });
          // What was decided early is what the end finds, at the height it was decided.
          const decided = new Map(exportGenesis(store).tallies.map((t) => [t.participant, t]));
          endBlock(store, ctxAt(24n));
          for (const tally of exportGenesis(store).tallies) {
            const early = decided.get(tally.participant);
            if (early) {
              expect(early.isFinal).toBe(false);
              expect([early.convicted, early.decidedHeight]).toEqual([tally.convicted, tally.decidedHeight]);
            } else expect(tally.decidedHeight).toBe(24n);
            const pi = participantAddresses.indexOf(tally.participant);
            const expected = tallyParticipant({
              participant: tally.participant,
              count: BigInt(pi + 1),
              stakes: validatorAddresses
                .map((validator, vi) => ({ validator, stake: stakes[vi]! }))
                .filter((s) => s.stake > 0n),
              votes: validatorAddresses
                .map((validator, vi) => ({ validator, verdict: verdicts[vi * 3 + pi]! as Verdict }))
                .filter((v, vi) => v.verdict !== 0 && stakes[vi]! > 0n),
              quorum: { num: g.params!.quorumNum, den: g.params!.quorumDen },
            });
            expect(tally).toEqual({
              stageHeight: 2n,
              participant: tally.participant,
              count: BigInt(pi + 1),
              totalStake: expected.totalStake.toString(),
              cheaterStake: expected.cheaterStake.toString(),
              honestStake: expected.honestStake.toString(),
              abstainStake: expected.abstainStake.toString(),
              convicted: expected.convicted,
              weight: expected.weight,
              cheaterVotes: expected.cheaterVotes,
              honestVotes: expected.honestVotes,
              slots: 0,
              cheaterSlots: 0,
              honestSlots: 0,
              abstainSlots: 0,
              decidedHeight: tally.decidedHeight,
              isFinal: true,
            });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
