import { describe, expect, it } from "vitest";
import { defaultParams } from "../../src/core/index.js";
import {
  overviewView,
  participantHistory,
  stagePhase,
  stageView,
  validatorHistory,
} from "../../src/dashboard/views.js";
import { Reason, type StageInfo, type Tally, Verdict, type VoteRecord } from "../../src/gen/pocval/v1/types.js";

const V1 = "pocval1v1";
const V2 = "pocval1v2";
const V3 = "pocval1v3";
const P1 = "pocval1p1";
const P2 = "pocval1p2";

const info = (finalized: boolean): StageInfo => ({
  stageHeight: 40n,
  commitEndHeight: 51n,
  samplingHeight: 52n,
  validationStartHeight: 53n,
  validationEndHeight: 76n,
  generationSeed: "aa",
  samplingBlockHash: "bb",
  finalized,
});

const vote = (
  validator: string,
  participant: string,
  verdict: Verdict,
  reason = Reason.REASON_STAT_TEST,
): VoteRecord => ({
  stageHeight: 40n,
  validator,
  height: 60n,
  vote: { participant, verdict, reason, checked: 200, mismatches: 7, pValue: "0.5", evidenceHash: new Uint8Array(32) },
});

const tally = (participant: string, convicted: boolean, cheater: string, honest: string): Tally => ({
  stageHeight: 40n,
  participant,
  count: 3000n,
  totalStake: "1000",
  cheaterStake: cheater,
  honestStake: honest,
  abstainStake: String(1000 - Number(cheater) - Number(honest)),
  convicted,
  weight: convicted ? 0n : 3000n,
  cheaterVotes: 0,
  honestVotes: 0,
  slots: 0,
  cheaterSlots: 0,
  honestSlots: 0,
  abstainSlots: 0,
  decidedHeight: 88n,
  isFinal: true,
});

const snapshot = {
  stageHeight: 40n,
  totalStake: "1000",
  validators: [
    { address: V1, stake: "600" },
    { address: V2, stake: "300" },
    { address: V3, stake: "100" },
  ],
};

const view = () =>
  stageView({
    stage: info(true),
    currentHeight: 80n,
    params: defaultParams(),
    snapshot,
    committed: [P2, P1],
    tallies: [tally(P1, true, "600", "300"), tally(P2, false, "100", "900")],
    votes: [
      vote(V1, P1, Verdict.VERDICT_CHEATER, Reason.REASON_UNAVAILABLE),
      vote(V2, P1, Verdict.VERDICT_HONEST),
      vote(V1, P2, Verdict.VERDICT_HONEST),
      vote(V2, P2, Verdict.VERDICT_HONEST),
      vote(V3, P2, Verdict.VERDICT_CHEATER),
    ],
  });

describe("dashboard views", () => {
  it("marks votes against the final verdict and lists the cheater votes' reasons", () => {
    const v = view();
    expect(v.participants).toEqual([P1, P2]);
    expect(v.votes.map((x) => [x.validator, x.participant, x.verdict, x.against_final])).toEqual([
      [V1, P1, "CHEATER", false],
      [V2, P1, "HONEST", true],
      [V1, P2, "HONEST", false],
      [V2, P2, "HONEST", false],
      [V3, P2, "CHEATER", true],
    ]);
    expect(v.tallies.map((t) => [t.participant, t.cheater_share, t.honest_share, t.abstain_share, t.reasons])).toEqual([
      [P1, 0.6, 0.3, 0.1, ["UNAVAILABLE"]],
      [P2, 0.1, 0.9, 0, ["STAT_TEST"]],
    ]);
    expect(v.validators.map((x) => x.share)).toEqual([0.6, 0.3, 0.1]);
  });

  it("the overview shows the early acceptance rate, empty when off", () => {
    const timing = { stageLength: 30n, stageOffset: 2n, commitWindow: 10n, validationWindow: 12n };
    const on = overviewView({ ...defaultParams(), acceptanceRate: "0.015" }, timing, 80n, []);
    expect(on.params).toMatchObject({ fp_rate: "0.02", acceptance_rate: "0.015" });
    expect(overviewView(defaultParams(), timing, 80n, []).params.acceptance_rate).toBe("");
  });

  it("no vote is against anything before the tally", () => {
    const v = stageView({
      stage: info(false),
      currentHeight: 60n,
      params: defaultParams(),
      snapshot,
      committed: [P1],
      tallies: [],
      votes: [vote(V2, P1, Verdict.VERDICT_HONEST)],
    });
    expect(v.stage.phase).toBe("validation");
    expect(v.votes[0]!.against_final).toBe(false);
  });

  it("shows a tally decided before the window's end, and counts no abstention on it until final", () => {
    const v = stageView({
      stage: info(false),
      currentHeight: 60n,
      params: defaultParams(),
      snapshot,
      committed: [P1],
      // V1 (60%) says CHEATER: decided at 58, the window still open.
      tallies: [{ ...tally(P1, true, "600", "0"), decidedHeight: 58n, isFinal: false }],
      votes: [vote(V1, P1, Verdict.VERDICT_CHEATER)],
    });
    expect(v.tallies.map((t) => [t.participant, t.convicted, t.decided_height, t.is_final])).toEqual([
      [P1, true, "58", false],
    ]);
    // V3 has not voted on P1 yet, but may still: not an abstention before the window's end.
    expect(validatorHistory(V3, [v])!.abstentions).toBe(0);
  });

  it("counts a validator's votes, abstentions and disagreements across stages", () => {
    const h = validatorHistory(V2, [view()])!;
    expect([h.votes_cast, h.abstentions, h.against_final, h.disagreement_rate]).toEqual([2, 0, 1, 0.5]);
    const h3 = validatorHistory(V3, [view()])!;
    expect([h3.votes_cast, h3.abstentions, h3.against_final]).toEqual([1, 1, 1]);
    expect(h3.stages[0]!.abstained_on).toEqual([P1]);
    expect(validatorHistory("pocval1nobody", [view()])).toBeUndefined();
  });

  it("a participant's history holds only the stages it was tallied in", () => {
    const p = participantHistory({ address: P1, pocPublicKey: "", proofApiUrl: "http://x", registeredHeight: 3n }, [
      view(),
    ]);
    expect(p.stages.map((s) => [s.stage_height, s.convicted])).toEqual([["40", true]]);
    // Each row carries its own stage's quorum: the page draws the bar's quorum line from it.
    expect(p.stages[0]?.quorum).toEqual(view().quorum);
    const none = participantHistory({ address: "pocval1zz", pocPublicKey: "", proofApiUrl: "", registeredHeight: 1n }, [
      view(),
    ]);
    expect(none.stages).toEqual([]);
  });

  it("phases follow the windows", () => {
    expect(["45", "52", "53", "76", "77"].map((h) => stagePhase(info(false), BigInt(h)))).toEqual([
      "commit",
      "sampling",
      "validation",
      "validation",
      "tallying",
    ]);
    expect(stagePhase(info(true), 77n)).toBe("final");
  });
});
