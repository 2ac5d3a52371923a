// The module's ABCI events, one constructor per state change.
import { toBase64 } from "../core/index.js";
import { reasonToJSON, type Tally, type Vote, verdictToJSON } from "../gen/pocval/v1/types.js";

/** An ABCI event as CometBFT reports it in tx and block results. */
export interface AbciEvent {
  type: string;
  attributes: { key: string; value: string }[];
}

function event(type: string, attributes: Record<string, string | bigint | number | boolean>): AbciEvent {
  return { type, attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: String(value) })) };
}

export const registerEvent = (participant: string, pocPublicKey: string, proofApiUrl: string, updated: boolean) =>
  event("pocval.register", { participant, poc_public_key: pocPublicKey, proof_api_url: proofApiUrl, updated });

export const commitEvent = (participant: string, stageHeight: bigint, count: bigint, rootHash: Uint8Array) =>
  event("pocval.commit", { participant, stage_height: stageHeight, count, root_hash: toBase64(rootHash) });

export const voteEvent = (validator: string, stageHeight: bigint, vote: Vote) =>
  event("pocval.vote", {
    validator,
    participant: vote.participant,
    stage_height: stageHeight,
    verdict: verdictToJSON(vote.verdict),
    reason: reasonToJSON(vote.reason),
    checked: vote.checked,
    mismatches: vote.mismatches,
    p_value: vote.pValue,
    evidence_hash: toBase64(vote.evidenceHash),
  });

export const tallyEvent = (t: Tally) =>
  event("pocval.tally", {
    participant: t.participant,
    stage_height: t.stageHeight,
    count: t.count,
    cheater_stake: t.cheaterStake,
    honest_stake: t.honestStake,
    abstain_stake: t.abstainStake,
    total_stake: t.totalStake,
    cheater_votes: t.cheaterVotes,
    honest_votes: t.honestVotes,
    convicted: t.convicted,
    weight: t.weight,
    decided_height: t.decidedHeight,
    ...(t.slots > 0
      ? { slots: t.slots, cheater_slots: t.cheaterSlots, honest_slots: t.honestSlots, abstain_slots: t.abstainSlots }
      : {}),
  });

/** A tally decided: no vote still possible can change its verdict (numbers as of decided_height). */
export const tallyDecidedEvent = (t: Tally) =>
  event("pocval.tally_decided", {
    participant: t.participant,
    stage_height: t.stageHeight,
    decided_height: t.decidedHeight,
    convicted: t.convicted,
    cheater_stake: t.cheaterStake,
    honest_stake: t.honestStake,
    total_stake: t.totalStake,
    is_final: t.isFinal,
    ...(t.slots > 0 ? { slots: t.slots, cheater_slots: t.cheaterSlots, honest_slots: t.honestSlots } : {}),
  });

/** An early decision dropped because a params change altered the quorum or the slots. */
export const tallyReopenedEvent = (t: Tally) =>
  event("pocval.tally_reopened", {
    participant: t.participant,
    stage_height: t.stageHeight,
    decided_height: t.decidedHeight,
  });

export const paramsEvent = (authority: string, p: Record<string, string | bigint | number>) =>
  event("pocval.params", { authority, ...p });

export const snapshotEvent = (stageHeight: bigint, validators: number, totalStake: string) =>
  event("pocval.stake_snapshot", { stage_height: stageHeight, validators, total_stake: totalStake });

export const finalizeEvent = (stageHeight: bigint, tallies: number, convicted: number) =>
  event("pocval.stage_finalized", { stage_height: stageHeight, tallies, convicted });
