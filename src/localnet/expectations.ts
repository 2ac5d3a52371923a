// How likely a localnet run's verdicts are to contradict the scenario's expectations.
import {
  cheaterSlotDistribution,
  earlyCheck,
  exactMixedNetwork,
  exactNetwork,
  type PairRateTable,
  slotConviction,
  tablePairRate,
} from "../analysis/index.js";
import { acceptanceTable, binomialPValue, criticalCount } from "../core/index.js";
import { parseValidatorStrategy, type Scenario } from "./scenario.js";

/** The chance that one participant's tally contradicts the scenario's expectation. */
export interface WrongVerdictRisk {
  participant: string;
  /** P[one validator votes against the expectation]: the largest over the honest validators (snake_case: printed as JSON). */
  per_validator: number;
  /** P[the stake-weighted tally contradicts the expectation]. */
  probability: number;
}

/**
 * The honest mismatch rate between a validator's machine and a participant's machine from the
 * scenario's `pairRates`: 0 for the same profile on the same machine id (bit-identical), the
 * listed rate of the two profiles otherwise, undefined when the pair is not listed.
 */
export function scenarioPairRate(
  scenario: Scenario,
  validatorMachine: string,
  participantMachine: string,
): number | undefined {
  const machine = (name: string) => scenario.machines.find((m) => m.name === name)!;
  const v = machine(validatorMachine);
  const p = machine(participantMachine);
  // An external machine's class is its name.
  const [vc, pc] = [v.profile ?? v.name, p.profile ?? p.name];
  if (v.url === undefined && vc === pc && (v.machineId ?? v.name) === (p.machineId ?? p.name)) return 0;
  if (v.url !== undefined && v.url === p.url) return 0;
  const pair = scenario.pairRates?.find((r) => (r.a === vc && r.b === pc) || (r.a === pc && r.b === vc));
  return pair?.rate;
}

/**
 * The honest mismatch rate of a validator's machine and a participant's machine that the risk
 * uses: the scenario's `pairRates` (and 0 for the same machine) first, then the measured table
 * (localnet/pair-rates.json) when it was measured at the scenario's threshold and both machines
 * are reference profiles; undefined when neither knows the pair.
 */
export function truePairRate(
  scenario: Scenario,
  table: { rates: PairRateTable; threshold: number } | undefined,
  validatorMachine: string,
  participantMachine: string,
): number | undefined {
  const listed = scenarioPairRate(scenario, validatorMachine, participantMachine);
  if (listed !== undefined || !table || Number(table.rates.threshold) !== table.threshold) return listed;
  const machine = (name: string) => scenario.machines.find((m) => m.name === name)!;
  const [v, p] = [machine(validatorMachine), machine(participantMachine)];
  if (v.profile === undefined || p.profile === undefined) return undefined;
  return tablePairRate(table.rates, v.profile, p.profile);
}

/**
 * A declared adversary's fixed vote on a participant (docs/protocol.md "Threat model"): the
 * probability that validator votes CHEATER is 1 (frame) or 0 (shield, lazy, offline), not a
 * draw; undefined for an honest validator (or an adversary that checks this one honestly).
 */
export function fixedCheaterVote(validatorStrategy: string, participant: string): 0 | 1 | undefined {
  const s = parseValidatorStrategy(validatorStrategy);
  if (!s || s.kind === "honest") return undefined;
  if (s.kind === "offline" || s.kind === "lazy") return 0;
  if (s.frame.includes(participant)) return 1;
  if (s.shield.includes(participant)) return 0;
  return undefined;
}

/**
 * Exact probability of a wrong verdict per participant, assuming honest validators flag
 * independently: each votes CHEATER with P[X >= k_crit], X ~ Binomial(sample_size, r) (with early
 * acceptance, the chunked check's exact P[CHEATER], analysis/early.ts). For an honest
 * participant r is each validator's own pair rate (truePairRate: the scenario's `pairRates`, else
 * the measured table `pairTable` at the scenario's threshold; same machine: 0), and the
 * participant's assumed mismatch rate only for a pair neither knows; for cheaters, the assumed
 * mismatch rate. Strategies decided without statistics (withhold, rate-limit, stall: UNAVAILABLE)
 * are flagged by every honest validator (probability 1). Declared adversaries' votes are fixed,
 * not drawn (fixedCheaterVote), so the figure stays exact with them: the exact mixed network
 * (or, with validation slots, the exact multinomial slot dynamic program of analysis/slots.ts,
 * each holder voting once with its slots) against the quorum.
 */
export function wrongVerdictRisks(
  scenario: Scenario,
  params: {
    sampleSize: number;
    fpRate: number;
    alpha: number;
    quorum: number;
    slots?: number;
    quorumFraction?: { num: bigint; den: bigint };
    /** The measured pair rates (localnet/pair-rates.json) and the scenario's distance threshold. */
    pairTable?: { rates: PairRateTable; threshold: number };
    /** Version 3 early acceptance in curtailed checks of `chunkSize` leaves: P[CHEATER] by analysis/early.ts. */
    early?: { acceptanceRate: string; chunkSize: number };
  },
): WrongVerdictRisk[] {
  const stakes = scenario.validators.map((v) => v.stake);
  const kCrit = criticalCount(params.sampleSize, params.fpRate, params.alpha);
  const flagAt = flagProbability(params.sampleSize, kCrit, params.early);
  const slots = params.slots ?? 0;
  const quorumFraction = params.quorumFraction ?? { num: 1n, den: 2n };
  // P[convicted] when validator i votes CHEATER with probability flags[i] (or all with one flag).
  const convicted = (flags: number | readonly number[]): number => {
    if (slots > 0) return slotConviction(cheaterSlotDistribution(stakes, slots, flags)[slots]!, quorumFraction);
    return typeof flags === "number"
      ? exactNetwork(stakes, flags, params.quorum).pConvicted
      : exactMixedNetwork(stakes, flags, params.quorum).pConvicted;
  };
  const adversaries = scenario.validators.some((v) => v.strategy !== "honest");
  return scenario.participants.map((p) => {
    const honestFlags = scenario.validators.map((v) => {
      const rate =
        p.expect.verdict === "HONEST" ? truePairRate(scenario, params.pairTable, v.machine, p.machine) : undefined;
      return honestFlag(p, v.machine, rate, scenario.pairRates !== undefined, flagAt);
    });
    const fixed = scenario.validators.map((v) => fixedCheaterVote(v.strategy, p.name));
    const flags = honestFlags.map((f, i) => fixed[i] ?? f);
    const honestOnes = honestFlags.filter((_, i) => fixed[i] === undefined);
    // Without adversaries, when every validator flags alike: the one-flag network.
    const uniform = !adversaries && honestFlags.every((f) => f === honestFlags[0]);
    const pConvicted = convicted(uniform ? honestFlags[0]! : flags);
    return p.expect.verdict === "HONEST"
      ? { participant: p.name, per_validator: Math.max(0, ...honestOnes), probability: pConvicted }
      : { participant: p.name, per_validator: 1 - Math.min(1, ...honestOnes), probability: 1 - pConvicted };
  });
}

/**
 * P[one check at true mismatch rate r votes CHEATER]: the binomial tail P[X >= k_crit], X ~ Binomial(n, r)
 * (curtailment never changes a verdict); with early acceptance, the exact chunked-path DP's P[CHEATER].
 */
function flagProbability(
  sampleSize: number,
  kCrit: number,
  early: { acceptanceRate: string; chunkSize: number } | undefined,
): (rate: number) => number {
  if (early === undefined) return (rate) => (rate === 0 ? 0 : binomialPValue(kCrit, sampleSize, rate));
  const table = acceptanceTable(sampleSize, early.acceptanceRate);
  const memo = new Map<number, number>();
  return (rate) => {
    let q = memo.get(rate);
    if (q === undefined) {
      q = earlyCheck(sampleSize, kCrit, early.chunkSize, table, rate).pCheater;
      memo.set(rate, q);
    }
    return q;
  };
}

/** P[an honest validator on `machine` votes CHEATER on participant p], given the pair's rate when known. */
function honestFlag(
  p: Scenario["participants"][number],
  machine: string,
  pairRate: number | undefined,
  requireRate: boolean,
  flagAt: (rate: number) => number,
): number {
  if (pairRate !== undefined) return flagAt(pairRate);
  // No statistics: an unavailable cheater is flagged by everyone, an honest one by no one.
  if (p.assumedMismatchRate === undefined) {
    if (p.expect.verdict === "HONEST" && requireRate) {
      throw new RangeError(
        `participant ${p.name}: no pair rate for machines ${machine} and ${p.machine} (pairRates, localnet/pair-rates.json), and no assumedMismatchRate`,
      );
    }
    return p.expect.verdict === "CHEATER" ? 1 : 0;
  }
  return flagAt(p.assumedMismatchRate);
}

/** P[any participant's verdict is wrong], participants independent: 1 - prod(1 - p_i). */
export function anyWrongProbability(risks: readonly WrongVerdictRisk[]): number {
  let allRight = 1;
  for (const r of risks) allRight *= 1 - r.probability;
  // For tiny risks 1 - prod loses digits; the sum is a tight upper bound there.
  const sum = risks.reduce((s, r) => s + r.probability, 0);
  return sum < 1e-6 ? sum : 1 - allRight;
}
