import { describe, expect, it } from "vitest";
import { Reason, Verdict, type VoteRecord } from "../../src/gen/pocval/v1/types.js";
import { renderReport, stageReport, validatorRows } from "../../src/localnet/report.js";

const tally = (participant: string, cheater: string, honest: string, convicted: boolean) => ({
  stageHeight: 56n,
  participant,
  count: 3000n,
  totalStake: "100",
  cheaterStake: cheater,
  honestStake: honest,
  abstainStake: String(100 - Number(cheater) - Number(honest)),
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
const vote = (
  validator: string,
  participant: string,
  verdict: Verdict,
  reason: Reason,
  mismatches = 0,
  checked = 200,
): VoteRecord => ({
  stageHeight: 56n,
  validator,
  height: 80n,
  vote: { participant, verdict, reason, checked, mismatches, pValue: "0.5", evidenceHash: new Uint8Array(32) },
});
const participants = [
  { name: "honest", address: "p1", strategy: "honest", expect: { verdict: "HONEST" as const } },
  {
    name: "lazy",
    address: "p2",
    strategy: "partial:0.2",
    expect: { verdict: "CHEATER" as const, reasons: ["STAT_TEST" as const] },
  },
  {
    name: "shy",
    address: "p3",
    strategy: "withhold",
    expect: { verdict: "CHEATER" as const, reasons: ["UNAVAILABLE" as const] },
  },
];
const votes = [
  vote("v1", "p1", Verdict.VERDICT_HONEST, Reason.REASON_STAT_TEST, 3),
  vote("v1", "p2", Verdict.VERDICT_CHEATER, Reason.REASON_STAT_TEST, 40),
  vote("v1", "p3", Verdict.VERDICT_CHEATER, Reason.REASON_INVALID_PROOF, 0, 0),
  vote("v2", "p3", Verdict.VERDICT_CHEATER, Reason.REASON_UNAVAILABLE, 0, 0),
  // A curtailed CHEATER vote: 20 leaves recomputed.
  vote("v2", "p2", Verdict.VERDICT_CHEATER, Reason.REASON_STAT_TEST, 20, 20),
];
// Three validators, one of them (p1) also a participant: it never checks itself.
const work = { validators: ["v1", "v2", "p1"], sampleSize: 200 };

describe("localnet report", () => {
  it("joins tallies with names and checks verdicts and reasons against the expectations", () => {
    const report = stageReport(
      56n,
      [tally("p1", "0", "60", false), tally("p2", "60", "0", true), tally("p3", "100", "0", true)],
      votes,
      participants,
      work,
    );
    expect(report.tallies.map((t) => [t.name, t.convicted, t.reasons, t.met])).toEqual([
      ["honest", false, [], true],
      ["lazy", true, ["STAT_TEST"], true],
      // Convicted as expected, but one validator gave a reason the scenario did not expect.
      ["shy", true, ["INVALID_PROOF", "UNAVAILABLE"], false],
    ]);
    expect(report.tallies[0]).toMatchObject({ cheater_share: 0, honest_share: 0.6, abstain_share: 0.4, count: 3000 });
    // recomputes: the votes' checked summed; beside it every other validator checking n = 200.
    expect(report.tallies.map((t) => [t.recomputes, t.recomputes_all_validators])).toEqual([
      [200, 400],
      [220, 600],
      [0, 600],
    ]);
  });

  it("a participant without a tally is reported as unmet and fully abstained", () => {
    const report = stageReport(56n, [], [], participants.slice(0, 1), work);
    expect(report.tallies[0]).toMatchObject({ met: false, abstain_share: 1, count: 0 });
  });

  it("renders the tallies and a validator-by-participant vote table", () => {
    // p2 was decided at 88 with 40% cheater (not yet final); its final tally says 60%.
    const early = { ...tally("p2", "40", "0", true), cheaterStake: "51", abstainStake: "49", isFinal: false };
    const report = stageReport(
      56n,
      [tally("p1", "0", "60", false), tally("p2", "60", "0", true)],
      votes,
      participants.slice(0, 2),
      { ...work, decided: [early] },
    );
    const rows = validatorRows(
      [
        { name: "v-one", address: "v1", stake: 60n },
        { name: "v-two", address: "v2", stake: 40n },
      ],
      votes,
      participants,
    );
    expect(rows[0]).toMatchObject({ stake: "60", stake_share: 0.6 });
    const text = renderReport([report], rows);
    expect(text).toMatch(
      /lazy\s+partial:0\.2\s+3000\s+60\.0%\s+0\.0%\s+40\.0%\s+CONVICTED\s+88 final\s+STAT_TEST.*\s220\/600/,
    );
    // Decided and final differ in numbers (never in verdict): both are printed.
    expect(text).toContain(
      "lazy: at decision (height 88) cheater 51.0%, honest 0.0%, abstain 49.0%; final cheater 60.0%, honest 0.0%, abstain 40.0%",
    );
    expect(text).not.toContain("at decision (height 88) cheater 0.0%");
    expect(text).toMatch(/v-one\s+60\s+60\.0%\s+honest 3\/200\s+CHEATER 40\/200/);
    expect(text).toMatch(/v-two\s+40\s+40\.0%\s+-\s+CHEATER 20\/20/);
  });
});
