// The stake-weighted tally of docs/protocol.md: votes in, verdict and reason out, and the stake
// share every report prints. Pure.
import { Verdict } from "../gen/pocval/v1/types.js";

/** A rational quorum: convicted iff cheater * den > total * num. */
export interface Quorum {
  num: bigint;
  den: bigint;
}

/** The default quorum of docs/protocol.md: strictly more than half of all stake. */
export const DEFAULT_QUORUM: Quorum = { num: 1n, den: 2n };

export interface ValidatorStake {
  validator: string;
  stake: bigint;
}

export interface CastVote {
  validator: string;
  verdict: Verdict;
}

export interface TallyInput {
  participant: string;
  /** The participant's committed count: its claimed weight. */
  count: bigint;
  /** Bonded stake snapshot taken at the stage start. */
  stakes: readonly ValidatorStake[];
  votes: readonly CastVote[];
  quorum: Quorum;
}

export interface TallyResult {
  totalStake: bigint;
  cheaterStake: bigint;
  honestStake: bigint;
  abstainStake: bigint;
  cheaterVotes: number;
  honestVotes: number;
  convicted: boolean;
  /** 0 when convicted, else the committed count. */
  weight: bigint;
}

/** Tallies the participants of one stage against one stake snapshot and quorum. */
export interface StageTallier {
  readonly totalStake: bigint;
  tally(participant: string, count: bigint, votes: readonly CastVote[]): TallyResult;
  /**
   * The same tally from a ballot: ballot[i] is the Verdict of the i-th validator of the snapshot
   * (0 for no vote). The chain keeps votes this way, one byte per validator.
   */
  tallyBallot(participant: string, count: bigint, ballot: Uint8Array): TallyResult;
}

/**
 * Checks the snapshot and quorum once for a whole stage (the chain tallies thousands of
 * participants against the same snapshot), then tallies each participant as docs/protocol.md says:
 * integer arithmetic only, self-votes and votes of validators outside the snapshot are not
 * counted, a second vote by one validator is an error.
 */
export function createStageTallier(stakes: readonly ValidatorStake[], quorum: Quorum): StageTallier {
  const { num, den } = quorum;
  if (den <= 0n || num < 0n || num > den) throw new RangeError(`invalid quorum ${num}/${den}`);
  const stakeOf = new Map<string, bigint>();
  let totalStake = 0n;
  for (const { validator, stake } of stakes) {
    if (stake < 0n) throw new RangeError(`negative stake for ${validator}`);
    if (stakeOf.has(validator)) throw new RangeError(`validator ${validator} twice in the stake snapshot`);
    stakeOf.set(validator, stake);
    totalStake += stake;
  }
  const result = (
    cheaterStake: bigint,
    honestStake: bigint,
    cheaterVotes: number,
    honestVotes: number,
    count: bigint,
  ): TallyResult => {
    const convicted = cheaterStake * den > totalStake * num;
    return {
      totalStake,
      cheaterStake,
      honestStake,
      abstainStake: totalStake - cheaterStake - honestStake,
      cheaterVotes,
      honestVotes,
      convicted,
      weight: convicted ? 0n : count,
    };
  };
  // Below 2^53 every partial sum of stakes is an exact double: sum in doubles, convert once.
  const exactInDoubles = totalStake <= BigInt(Number.MAX_SAFE_INTEGER);
  const stakeList = stakes.map((s) => s.stake);
  const stakeDoubles = Float64Array.from(stakes, (s) => Number(s.stake));
  const positionOf = new Map(stakes.map((s, i) => [s.validator, i]));
  return {
    totalStake,
    tallyBallot(participant, count, ballot) {
      if (ballot.length > stakes.length) {
        throw new RangeError(`ballot of ${participant} has ${ballot.length} entries for ${stakes.length} validators`);
      }
      const self = positionOf.get(participant) ?? -1;
      let cheater = 0;
      let honest = 0;
      let cheaterBig = 0n;
      let honestBig = 0n;
      let cheaterVotes = 0;
      let honestVotes = 0;
      for (let i = 0; i < ballot.length; i++) {
        const verdict = ballot[i];
        if (verdict === 0 || i === self) continue;
        if (verdict === Verdict.VERDICT_CHEATER) {
          cheaterVotes++;
          if (exactInDoubles) cheater += stakeDoubles[i]!;
          else cheaterBig += stakeList[i]!;
        } else if (verdict === Verdict.VERDICT_HONEST) {
          honestVotes++;
          if (exactInDoubles) honest += stakeDoubles[i]!;
          else honestBig += stakeList[i]!;
        }
      }
      return exactInDoubles
        ? result(BigInt(cheater), BigInt(honest), cheaterVotes, honestVotes, count)
        : result(cheaterBig, honestBig, cheaterVotes, honestVotes, count);
    },
    tally(participant, count, votes) {
      const counted = new Set<string>();
      let cheaterStake = 0n;
      let honestStake = 0n;
      let cheaterVotes = 0;
      let honestVotes = 0;
      for (const vote of votes) {
        const stake = stakeOf.get(vote.validator);
        if (stake === undefined || vote.validator === participant) continue;
        // The chain stores one vote per validator; two here would make the result order-dependent.
        if (counted.has(vote.validator))
          throw new RangeError(`validator ${vote.validator} voted twice on ${participant}`);
        if (vote.verdict === Verdict.VERDICT_CHEATER) {
          cheaterStake += stake;
          cheaterVotes++;
        } else if (vote.verdict === Verdict.VERDICT_HONEST) {
          honestStake += stake;
          honestVotes++;
        }
        counted.add(vote.validator);
      }
      return result(cheaterStake, honestStake, cheaterVotes, honestVotes, count);
    },
  };
}

/**
 * Tallies one participant by stake (docs/protocol.md, tally); see createStageTallier for a whole stage.
 * @example tallyParticipant({participant: "p", count: 10n, stakes: [{validator: "a", stake: 6n},
 *   {validator: "b", stake: 4n}], votes: [{validator: "a", verdict: Verdict.VERDICT_CHEATER}],
 *   quorum: DEFAULT_QUORUM}).convicted // true
 */
export function tallyParticipant(input: TallyInput): TallyResult {
  return createStageTallier(input.stakes, input.quorum).tally(input.participant, input.count, input.votes);
}

/**
 * A tally's votes counted in the units its verdict counts: stake (version 1) or slots (validation
 * slots on). `total` is the quorum's base; `uncountable` the units no vote can ever add (the
 * participant's own stake when it is a validator; 0 with slots, where it holds none).
 */
export interface DecisionInput {
  total: bigint;
  cheater: bigint;
  honest: bigint;
  uncountable: bigint;
}

/** A verdict settled before the window's end, or undefined while a possible vote could still change it. */
export type TallyDecision = "convicted" | "cleared" | undefined;

/**
 * Decides a tally early (docs/protocol.md, decided tallies): convicted once the cheater units
 * already exceed the quorum; cleared once the cheater units plus every unit not yet voted cannot
 * exceed it. Votes are never withdrawn or changed, so a decision always equals the final verdict.
 * @example tallyDecision({total: 100n, cheater: 51n, honest: 0n, uncountable: 0n}, DEFAULT_QUORUM) // "convicted"
 */
export function tallyDecision(input: DecisionInput, quorum: Quorum): TallyDecision {
  const { total, cheater, honest, uncountable } = input;
  const threshold = total * quorum.num;
  if (cheater * quorum.den > threshold) return "convicted";
  // The most cheater units the final tally can hold: everything but the honest and the uncountable.
  if ((total - honest - uncountable) * quorum.den <= threshold) return "cleared";
  return undefined;
}

/**
 * part / total of two integer stakes (decimal strings) as a fraction, rounded down to 1e-6: the
 * share every report prints (docs/protocol.md, tally: down so that a shown share never overstates
 * a stake). 0 when total is 0.
 * @example stakeShare(2n, 3n) // 0.666666
 */
export function stakeShare(part: string | bigint, total: string | bigint): number {
  const t = BigInt(total);
  return t === 0n ? 0 : Number((BigInt(part) * 1_000_000n) / t) / 1_000_000;
}
