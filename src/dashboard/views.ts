// The JSON views the dashboard page reads: plain values shaped from chain data, no I/O.
import { tallyToJson } from "../client/index.js";
import { reasonName, stakeShare, verdictName } from "../core/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import {
  type Participant,
  type StageInfo,
  type StakeSnapshot,
  type Tally,
  Verdict,
  type VoteRecord,
} from "../gen/pocval/v1/types.js";
import type {
  OverviewView,
  ParticipantHistoryView,
  Phase,
  StageSummary,
  StageView,
  TallyView,
  ValidatorHistoryView,
  VoteView,
} from "./api-types.js";

/** Where the chain is in a stage, from its windows and the current height. */
export function stagePhase(stage: StageInfo, currentHeight: bigint): Phase {
  if (stage.finalized) return "final";
  if (currentHeight <= stage.commitEndHeight) return "commit";
  if (currentHeight <= stage.samplingHeight) return "sampling";
  if (currentHeight <= stage.validationEndHeight) return "validation";
  return "tallying";
}

export function stageSummary(stage: StageInfo, currentHeight: bigint): StageSummary {
  return {
    stage_height: stage.stageHeight.toString(),
    commit_end_height: stage.commitEndHeight.toString(),
    sampling_height: stage.samplingHeight.toString(),
    validation_start_height: stage.validationStartHeight.toString(),
    validation_end_height: stage.validationEndHeight.toString(),
    finalized: stage.finalized,
    phase: stagePhase(stage, currentHeight),
  };
}

export function overviewView(
  params: Params,
  timing: StageTiming,
  currentHeight: bigint,
  stages: readonly StageInfo[],
): OverviewView {
  return {
    current_height: currentHeight.toString(),
    timing: {
      stage_length: timing.stageLength.toString(),
      stage_offset: timing.stageOffset.toString(),
      commit_window: timing.commitWindow.toString(),
      validation_window: timing.validationWindow.toString(),
    },
    params: {
      sample_size: params.sampleSize,
      alpha: params.alpha,
      fp_rate: params.fpRate,
      dist_threshold: params.distThreshold,
      quorum: `${params.quorumNum}/${params.quorumDen}`,
      acceptance_rate: params.acceptanceRate,
    },
    stages: stages.map((s) => stageSummary(s, currentHeight)),
  };
}

function voteView(record: VoteRecord, finalVerdict: Map<string, boolean>): VoteView {
  const vote = record.vote!;
  const verdict = verdictName(vote.verdict);
  const convicted = finalVerdict.get(vote.participant);
  return {
    validator: record.validator,
    participant: vote.participant,
    verdict,
    reason: reasonName(vote.reason),
    checked: vote.checked,
    mismatches: vote.mismatches,
    p_value: vote.pValue,
    height: record.height.toString(),
    against_final: convicted !== undefined && convicted !== (verdict === "CHEATER"),
  };
}

function tallyView(t: Tally, votes: readonly VoteRecord[]): TallyView {
  const reasons = new Set<string>();
  for (const r of votes) {
    if (r.vote?.participant === t.participant && r.vote.verdict === Verdict.VERDICT_CHEATER) {
      reasons.add(reasonName(r.vote.reason));
    }
  }
  return { ...tallyToJson(t), reasons: [...reasons].sort() };
}

/** Everything the stage page shows: tallies (once final), every vote, the stake snapshot. */
export function stageView(input: {
  stage: StageInfo;
  currentHeight: bigint;
  params: Params;
  snapshot: StakeSnapshot | undefined;
  committed: readonly string[];
  tallies: readonly Tally[];
  votes: readonly VoteRecord[];
}): StageView {
  const finalVerdict = new Map(input.tallies.map((t) => [t.participant, t.convicted]));
  const total = input.snapshot?.totalStake ?? "0";
  const participants = [...new Set([...input.committed, ...input.tallies.map((t) => t.participant)])].sort();
  return {
    stage: stageSummary(input.stage, input.currentHeight),
    sampling_block_hash: input.stage.samplingBlockHash,
    sample_size: input.params.sampleSize,
    quorum: { num: input.params.quorumNum.toString(), den: input.params.quorumDen.toString() },
    total_stake: total,
    validators: (input.snapshot?.validators ?? []).map((v) => ({
      address: v.address,
      stake: v.stake,
      share: stakeShare(v.stake, total),
    })),
    participants,
    tallies: input.tallies
      .map((t) => tallyView(t, input.votes))
      .sort((a, b) => a.participant.localeCompare(b.participant)),
    votes: input.votes.filter((r) => r.vote !== undefined).map((r) => voteView(r, finalVerdict)),
  };
}

/** A participant's tallies across the given (finalized) stages, oldest first. */
export function participantHistory(participant: Participant, stages: readonly StageView[]): ParticipantHistoryView {
  const rows: ParticipantHistoryView["stages"] = [];
  for (const s of stages) {
    const t = s.tallies.find((x) => x.participant === participant.address);
    if (t) rows.push({ ...t, quorum: s.quorum });
  }
  rows.sort((a, b) => (BigInt(a.stage_height) < BigInt(b.stage_height) ? -1 : 1));
  return {
    participant: participant.address,
    proof_api_url: participant.proofApiUrl,
    registered_height: participant.registeredHeight.toString(),
    stages: rows,
  };
}

/**
 * A validator's votes and abstentions across the given stages; undefined when it is in no stage's
 * snapshot (not a validator of these stages).
 */
export function validatorHistory(address: string, stages: readonly StageView[]): ValidatorHistoryView | undefined {
  const rows: ValidatorHistoryView["stages"] = [];
  let cast = 0;
  let abstentions = 0;
  let against = 0;
  let onTallied = 0;
  for (const s of stages) {
    const entry = s.validators.find((v) => v.address === address);
    if (!entry) continue;
    const votes = s.votes.filter((v) => v.validator === address);
    const voted = new Set(votes.map((v) => v.participant));
    // Only final tallies count abstentions: before the window's end a decided tally may still get votes.
    const tallied = new Set(s.tallies.filter((t) => t.is_final).map((t) => t.participant));
    const abstainedOn = [...tallied].filter((p) => p !== address && !voted.has(p)).sort();
    cast += votes.length;
    abstentions += abstainedOn.length;
    against += votes.filter((v) => v.against_final).length;
    onTallied += votes.filter((v) => tallied.has(v.participant)).length;
    rows.push({
      stage_height: s.stage.stage_height,
      stake: entry.stake,
      share: entry.share,
      votes,
      abstained_on: abstainedOn,
    });
  }
  if (rows.length === 0) return undefined;
  rows.sort((a, b) => (BigInt(a.stage_height) < BigInt(b.stage_height) ? -1 : 1));
  return {
    validator: address,
    stages: rows,
    votes_cast: cast,
    abstentions,
    against_final: against,
    disagreement_rate: onTallied === 0 ? 0 : against / onTallied,
  };
}
