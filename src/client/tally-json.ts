// A tally as the plain JSON every report and governance tool reads.
import { stakeShare } from "../core/index.js";
import type { Tally } from "../gen/pocval/v1/types.js";

/**
 * Every field of a tally as plain JSON, defaults included (protobuf JSON would drop
 * `convicted: false`), with the stake shares every report prints: what governance tools read.
 * @example tallyToJson(await client.pocval.tally(56n, addr)).cheater_share // 0.85
 */
export function tallyToJson(t: Tally) {
  return {
    stage_height: t.stageHeight.toString(),
    participant: t.participant,
    count: t.count.toString(),
    total_stake: t.totalStake,
    cheater_stake: t.cheaterStake,
    honest_stake: t.honestStake,
    abstain_stake: t.abstainStake,
    cheater_share: stakeShare(t.cheaterStake, t.totalStake),
    honest_share: stakeShare(t.honestStake, t.totalStake),
    abstain_share: stakeShare(t.abstainStake, t.totalStake),
    convicted: t.convicted,
    weight: t.weight.toString(),
    cheater_votes: t.cheaterVotes,
    honest_votes: t.honestVotes,
    // Version 2: the slots decide the verdict (0 when validation_slots is off).
    slots: t.slots,
    cheater_slots: t.cheaterSlots,
    honest_slots: t.honestSlots,
    abstain_slots: t.abstainSlots,
    // Decided tallies: the verdict is settled from decided_height; the numbers are final once is_final.
    decided_height: t.decidedHeight.toString(),
    is_final: t.isFinal,
  };
}
