// The localnet's stage report: tallies, votes and work per participant and validator, as tables.
import { formatPercent, renderTable } from "../analysis/index.js";
import { reasonName, stakeShare, verdictName } from "../core/index.js";
import { type Tally, Verdict, type VoteRecord } from "../gen/pocval/v1/types.js";
import type { Scenario } from "./scenario.js";

export interface ParticipantIdentity {
  name: string;
  address: string;
  strategy: string;
  expect: Scenario["participants"][number]["expect"];
}

export interface ValidatorIdentity {
  name: string;
  address: string;
  stake: bigint;
}

export interface TallyRow {
  participant: string;
  name: string;
  strategy: string;
  count: number;
  cheater_share: number;
  honest_share: number;
  abstain_share: number;
  convicted: boolean;
  reasons: string[];
  expected: string;
  met: boolean;
  /** Leaves recomputed for this participant by all validators together: the sum of their votes' `checked`. */
  recomputes: number;
  /** The same without slots or curtailment: every validator recomputing n = min(sample_size, count). */
  recomputes_all_validators: number;
  /** Version 2 validation slots of the tally (all 0 when slots are off): m, and how its holders voted. */
  slots: number;
  cheater_slots: number;
  honest_slots: number;
  /** The height at which the verdict was decided (0: no tally), and whether the numbers are final. */
  decided_height: number;
  final: boolean;
  /** With a final tally whose numbers differ from those seen when it was decided: those numbers. */
  at_decision?: { cheater_share: number; honest_share: number; abstain_share: number };
}

export interface StageReport {
  stage_height: number;
  tallies: TallyRow[];
}

export interface ValidatorRow {
  name: string;
  address: string;
  stake: string;
  stake_share: number;
  votes: {
    stage_height: number;
    participant: string;
    verdict: string;
    reason: string;
    mismatches: number;
    checked: number;
    p_value: string;
  }[];
}

/**
 * One stage's tallies joined with the scenario's names and expectations, and the recomputes spent
 * on each participant against every validator (but the participant) checking all n leaves.
 */
export function stageReport(
  stageHeight: bigint,
  tallies: readonly Tally[],
  votes: readonly VoteRecord[],
  participants: readonly ParticipantIdentity[],
  work: { validators: readonly string[]; sampleSize: number; decided?: readonly Tally[] },
): StageReport {
  const rows = participants.map((p): TallyRow => {
    const tally = tallies.find((t) => t.participant === p.address);
    const early = work.decided?.find((t) => t.participant === p.address && !t.isFinal);
    const recomputes = votes
      .filter((v) => v.vote?.participant === p.address)
      .reduce((sum, v) => sum + v.vote!.checked, 0);
    const n = tally ? Math.min(work.sampleSize, Number(tally.count)) : 0;
    const checkers = work.validators.filter((v) => v !== p.address).length;
    const cheaterVotes = votes.filter(
      (v) => v.vote?.participant === p.address && v.vote.verdict === Verdict.VERDICT_CHEATER,
    );
    const reasons = [...new Set(cheaterVotes.map((v) => reasonName(v.vote!.reason)))].sort();
    const convicted = tally?.convicted ?? false;
    const verdictMet = tally !== undefined && convicted === (p.expect.verdict === "CHEATER");
    const reasonsMet = !p.expect.reasons || reasons.every((r) => p.expect.reasons!.includes(r as never));
    return {
      participant: p.address,
      name: p.name,
      strategy: p.strategy,
      count: tally ? Number(tally.count) : 0,
      cheater_share: tally ? stakeShare(tally.cheaterStake, tally.totalStake) : 0,
      honest_share: tally ? stakeShare(tally.honestStake, tally.totalStake) : 0,
      abstain_share: tally ? stakeShare(tally.abstainStake, tally.totalStake) : 1,
      convicted,
      reasons,
      expected: p.expect.verdict + (p.expect.reasons ? ` (${p.expect.reasons.join(", ")})` : ""),
      met: verdictMet && reasonsMet,
      recomputes,
      recomputes_all_validators: checkers * n,
      slots: tally?.slots ?? 0,
      cheater_slots: tally?.cheaterSlots ?? 0,
      honest_slots: tally?.honestSlots ?? 0,
      decided_height: tally ? Number(tally.decidedHeight) : 0,
      final: tally?.isFinal ?? false,
      ...(tally?.isFinal && early && sharesDiffer(early, tally) && { at_decision: shares(early) }),
    };
  });
  return { stage_height: Number(stageHeight), tallies: rows };
}

const shares = (t: Tally) => ({
  cheater_share: stakeShare(t.cheaterStake, t.totalStake),
  honest_share: stakeShare(t.honestStake, t.totalStake),
  abstain_share: stakeShare(t.abstainStake, t.totalStake),
});
const sharesDiffer = (a: Tally, b: Tally) =>
  a.cheaterStake !== b.cheaterStake || a.honestStake !== b.honestStake || a.cheaterSlots !== b.cheaterSlots;

/** Each validator's stake and the votes it cast in the given stages. */
export function validatorRows(
  validators: readonly ValidatorIdentity[],
  votes: readonly VoteRecord[],
  participants: readonly ParticipantIdentity[],
): ValidatorRow[] {
  const total = validators.reduce((s, v) => s + v.stake, 0n);
  const nameOf = (address: string) => participants.find((p) => p.address === address)?.name ?? address;
  return validators.map((v) => ({
    name: v.name,
    address: v.address,
    stake: v.stake.toString(),
    stake_share: stakeShare(v.stake.toString(), total.toString()),
    votes: votes
      .filter((r) => r.validator === v.address && r.vote)
      .map((r) => ({
        stage_height: Number(r.stageHeight),
        participant: nameOf(r.vote!.participant),
        verdict: verdictName(r.vote!.verdict),
        reason: reasonName(r.vote!.reason),
        mismatches: r.vote!.mismatches,
        checked: r.vote!.checked,
        p_value: r.vote!.pValue,
      })),
  }));
}

/** A validator's votes as one cell per participant: verdict and mismatches/checked, or the reason. */
function voteCell(x: ValidatorRow["votes"][number] | undefined): string {
  if (!x) return "-";
  const detail = x.reason === "STAT_TEST" ? `${x.mismatches}/${x.checked}` : x.reason.toLowerCase();
  return `${x.verdict === "CHEATER" ? "CHEATER" : "honest"} ${detail}`;
}

/** The tables a person sees at the end of a run: per stage, the tallies, then every validator's votes. */
export function renderReport(stages: readonly StageReport[], validators: readonly ValidatorRow[]): string {
  const out: string[] = [];
  for (const s of stages) {
    out.push(`Stage ${s.stage_height}: tallies`);
    // With validation slots the verdict is by slots: show them beside the stake shares.
    const slots = s.tallies.some((t) => t.slots > 0);
    const headers = ["participant", "strategy", "count", "cheater", "honest", "abstain"];
    if (slots) headers.push("slots c/h/m");
    headers.push("verdict", "decided", "reasons", "expected", "check", "recomputes/all");
    out.push(
      renderTable(
        headers,
        s.tallies.map((t) => [
          t.name,
          t.strategy,
          String(t.count),
          formatPercent(t.cheater_share, 1),
          formatPercent(t.honest_share, 1),
          formatPercent(t.abstain_share, 1),
          ...(slots ? [`${t.cheater_slots}/${t.honest_slots}/${t.slots}`] : []),
          t.convicted ? "CONVICTED" : "cleared",
          t.decided_height === 0 ? "-" : `${t.decided_height}${t.final ? " final" : ""}`,
          t.reasons.join(",") || "-",
          t.expected,
          t.met ? "ok" : "UNEXPECTED",
          `${t.recomputes}/${t.recomputes_all_validators}`,
        ]),
        [
          "left",
          "left",
          "right",
          "right",
          "right",
          "right",
          ...(slots ? (["right"] as const) : []),
          "left",
          "left",
          "left",
          "left",
          "left",
          "right",
        ],
      ),
    );
    // Where the final numbers differ from those at the decision, both (the verdict never differs).
    for (const t of s.tallies) {
      if (!t.at_decision) continue;
      const d = t.at_decision;
      out.push(
        `${t.name}: at decision (height ${t.decided_height}) cheater ${formatPercent(d.cheater_share, 1)}, honest ${formatPercent(d.honest_share, 1)}, abstain ${formatPercent(d.abstain_share, 1)}; final cheater ${formatPercent(t.cheater_share, 1)}, honest ${formatPercent(t.honest_share, 1)}, abstain ${formatPercent(t.abstain_share, 1)}`,
      );
    }
    out.push("");
    out.push(`Stage ${s.stage_height}: votes (verdict, then mismatches/checked or the reason)`);
    const names = s.tallies.map((t) => t.name);
    out.push(
      renderTable(
        ["validator", "stake", "share", ...names],
        validators.map((v) => [
          v.name,
          v.stake,
          formatPercent(v.stake_share, 1),
          ...names.map((n) => voteCell(v.votes.find((x) => x.stage_height === s.stage_height && x.participant === n))),
        ]),
        ["left", "right", "right", ...names.map(() => "left" as const)],
      ),
    );
    out.push("");
  }
  return out.join("\n").trimEnd();
}
