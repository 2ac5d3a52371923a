// The stake-weighted verdict of a whole validator set: the exact distribution of the cheater
// stake share (a DP over stakes) and a Monte Carlo check of it.
import { binomialPValue, createRng, criticalCount, percentile } from "../core/index.js";
import { wilsonInterval } from "./interval.js";
import {
  checkChecks,
  checkProbability,
  DEFAULT_ALPHA,
  DEFAULT_CHECKS,
  DEFAULT_FP_RATE,
  DEFAULT_SEED,
  SimulationInputError,
} from "./simulate.js";

/** Bins of the share histograms that the results carry for plots. */
export const SHARE_BINS = 100;

function shareBin(share: number): number {
  return Math.min(SHARE_BINS - 1, Math.max(0, Math.floor(share * SHARE_BINS)));
}

/** Largest grid (stake total after dividing by the gcd) on which the exact DP runs. */
export const MAX_EXACT_UNITS = 1 << 21;

export interface NetworkOptions {
  /** Validator stakes, positive integers. */
  stakes: readonly (number | bigint)[];
  /** True mismatch rate of the target participant. */
  rate: number;
  n?: number;
  fpRate?: number;
  alpha?: number;
  /** Convicted iff the cheater share is strictly above this. */
  quorum?: number;
  rounds?: number;
  seed?: number;
}

/** How the stakes were put on the integer grid of the exact distribution. */
export interface StakeDiscretisation {
  /** True when the grid holds every stake exactly: the distribution is exact. */
  exact: boolean;
  /** Grid units in the whole stake: one unit is a share of 1 / gridTotal. */
  gridTotal: number;
  /** Bound on |true share - grid share| over every set of voters (0 when exact). */
  maxShareError: number;
}

export interface ExactNetwork {
  pConvicted: number;
  /** Bounds on pConvicted from the discretisation (both equal pConvicted when exact). */
  pConvictedBounds: [number, number];
  shareMedian: number;
  shareP95: number;
  discretisation: StakeDiscretisation;
  /** P[share in bin b] for SHARE_BINS equal bins of [0, 1] (the last one closed), for plots. */
  shareHistogram: number[];
}

export interface MonteCarloNetwork {
  rounds: number;
  seed: number;
  convicted: number;
  pConvicted: number;
  ci95: [number, number];
  shareMedian: number;
  shareP95: number;
  shareMax: number;
  /** Share of rounds per SHARE_BINS equal bins of [0, 1], as ExactNetwork's. */
  shareHistogram: number[];
}

export interface NetworkResult {
  validators: number;
  totalStake: bigint;
  n: number;
  rate: number;
  fpRate: number;
  alpha: number;
  quorum: number;
  kCrit: number;
  /** P[one validator votes cheater] = P[X >= kCrit], X ~ Binomial(n, rate). */
  detectionProbability: number;
  exact: ExactNetwork;
  monteCarlo: MonteCarloNetwork;
}

function toBigStakes(stakes: readonly (number | bigint)[]): bigint[] {
  if (stakes.length === 0) throw new SimulationInputError("stakes", "at least one validator is needed");
  return stakes.map((s, i) => {
    if (typeof s === "number" && !Number.isSafeInteger(s)) {
      throw new SimulationInputError(`stakes[${i}]`, `must be an integer, got ${s}`);
    }
    const v = BigInt(s);
    if (v <= 0n) throw new SimulationInputError(`stakes[${i}]`, `must be positive, got ${v}`);
    return v;
  });
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** About this many cell updates keep the exact DP near a second; larger networks get a coarser grid. */
const DP_CELL_BUDGET = 2e9;

/** Grid units for n validators: MAX_EXACT_UNITS, or fewer (down to 2^16) when n is large. */
export function gridUnitsFor(validators: number): number {
  return Math.max(1 << 16, Math.min(MAX_EXACT_UNITS, Math.floor(DP_CELL_BUDGET / Math.max(1, validators))));
}

/**
 * Puts stakes on an integer grid for the exact distribution: the stakes themselves divided by
 * their gcd when the total fits the grid (gridUnitsFor: 2^21 units up to ~950 validators),
 * otherwise each rounded to the nearest grid unit of the total, with the worst-case share
 * error summed over validators.
 */
export function discretiseStakes(
  stakes: readonly (number | bigint)[],
  gridUnits?: number,
): StakeDiscretisation & { weights: number[] } {
  const big = toBigStakes(stakes);
  const g = big.reduce(gcd);
  const reduced = big.map((s) => s / g);
  const total = reduced.reduce((a, b) => a + b, 0n);
  const units = gridUnits ?? gridUnitsFor(big.length);
  if (total <= BigInt(units)) {
    return { weights: reduced.map(Number), exact: true, gridTotal: Number(total), maxShareError: 0 };
  }
  const grid = BigInt(units);
  const weights = reduced.map((s) => Number((2n * s * grid + total) / (2n * total)));
  let maxShareError = 0;
  reduced.forEach((s, i) => {
    const diff = s * grid - BigInt(weights[i]!) * total;
    maxShareError += Number(diff < 0n ? -diff : diff) / Number(total * grid);
  });
  return { weights, exact: false, gridTotal: units, maxShareError };
}

/**
 * The exact distribution of the grid sum of weights over validators voting cheater
 * independently with probability q: dist[s] = P[sum = s].
 */
export function weightedVoteDistribution(weights: readonly number[], q: number): Float64Array {
  // Ascending weights keep the reachable range small for as long as possible.
  const sorted = [...weights].sort((a, b) => a - b);
  const reach = sorted.reduce((a, b) => a + b, 0);
  const dist = new Float64Array(reach + 1);
  dist[0] = 1;
  let top = 0;
  const stay = 1 - q;
  for (const w of sorted) {
    if (w === 0) continue;
    // In place, from the top down: new[s] = stay * old[s] + q * old[s - w], branch-free.
    const end = top + w;
    for (let s = end; s >= w; s--) dist[s] = stay * dist[s]! + q * dist[s - w]!;
    for (let s = w - 1; s >= 0; s--) dist[s] = stay * dist[s]!;
    top = end;
  }
  return dist;
}

/**
 * The smallest integer cheater stake strictly above quorum * total, read from the quorum's
 * shortest decimal form so that ties (35 + 15 of 100 at 0.5) are decided exactly.
 */
export function quorumCut(total: bigint, quorum: number): bigint {
  const text = String(quorum);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) {
    // Exponent forms (1e-7): a double is as close as it gets.
    return BigInt(Math.floor(quorum * Number(total))) + 1n;
  }
  const decimals = m[2] ?? "";
  const num = BigInt(m[1]! + decimals);
  const den = 10n ** BigInt(decimals.length);
  return (num * total) / den + 1n;
}

/** P[share > threshold] on the grid, summing the tail so that tiny probabilities keep their digits. */
function tailAbove(dist: Float64Array, gridTotal: number, threshold: number): number {
  const first = threshold < 0 ? 0 : Number(quorumCut(BigInt(gridTotal), threshold));
  let sum = 0;
  for (let s = dist.length - 1; s >= first; s--) sum += dist[s]!;
  return Math.min(1, sum);
}

/** Smallest grid share whose cumulative probability reaches p. */
function quantile(dist: Float64Array, gridTotal: number, p: number): number {
  let cum = 0;
  for (let s = 0; s < dist.length; s++) {
    cum += dist[s]!;
    if (cum >= p) return s / gridTotal;
  }
  return (dist.length - 1) / gridTotal;
}

function binDistribution(dist: Float64Array, gridTotal: number): number[] {
  const bins = new Array<number>(SHARE_BINS).fill(0);
  for (let s = 0; s < dist.length; s++) bins[shareBin(s / gridTotal)]! += dist[s]!;
  return bins;
}

/**
 * The exact distribution of the grid sum of weights over validators voting cheater
 * independently, validator i with its own probability qs[i]: dist[s] = P[sum = s].
 */
export function mixedVoteDistribution(weights: readonly number[], qs: readonly number[]): Float64Array {
  if (weights.length !== qs.length) throw new RangeError(`${weights.length} weights but ${qs.length} probabilities`);
  // Ascending weights keep the reachable range small for as long as possible.
  const order = weights.map((_w, i) => i).sort((a, b) => weights[a]! - weights[b]!);
  const reach = weights.reduce((a, b) => a + b, 0);
  const dist = new Float64Array(reach + 1);
  dist[0] = 1;
  let top = 0;
  for (const i of order) {
    const w = weights[i]!;
    const q = qs[i]!;
    if (w === 0) continue;
    const stay = 1 - q;
    const end = top + w;
    for (let s = end; s >= w; s--) dist[s] = stay * dist[s]! + q * dist[s - w]!;
    for (let s = w - 1; s >= 0; s--) dist[s] = stay * dist[s]!;
    top = end;
  }
  return dist;
}

/**
 * The exact figures of the stake share voting cheater when validator i votes cheater with its
 * own probability qs[i] (validators on different hardware).
 */
export function exactMixedNetwork(
  stakes: readonly (number | bigint)[],
  qs: readonly number[],
  quorum: number,
): ExactNetwork {
  qs.forEach((q, i) => {
    checkProbability(q, `q[${i}]`);
  });
  const { weights, ...discretisation } = discretiseStakes(stakes);
  if (weights.length !== qs.length) {
    throw new SimulationInputError("stakes", `${weights.length} validators but ${qs.length} vote probabilities`);
  }
  const dist = mixedVoteDistribution(weights, qs);
  return networkFigures(dist, discretisation, quorum);
}

/** The figures of a distribution of the cheater share on the stake grid: P[conviction] (with bounds when the grid rounds), histogram, median, p95. */
function networkFigures(
  dist: Float64Array,
  discretisation: ExactNetwork["discretisation"],
  quorum: number,
): ExactNetwork {
  const { gridTotal, maxShareError } = discretisation;
  const pConvicted = tailAbove(dist, gridTotal, quorum);
  return {
    pConvicted,
    pConvictedBounds: discretisation.exact
      ? [pConvicted, pConvicted]
      : [tailAbove(dist, gridTotal, quorum + maxShareError), tailAbove(dist, gridTotal, quorum - maxShareError)],
    shareHistogram: binDistribution(dist, gridTotal),
    shareMedian: quantile(dist, gridTotal, 0.5),
    shareP95: quantile(dist, gridTotal, 0.95),
    discretisation,
  };
}

/** The exact figures of the stake share voting cheater when each validator does with probability q. */
export function exactNetwork(
  stakes: readonly (number | bigint)[],
  q: number,
  quorum: number,
  gridUnits?: number,
): ExactNetwork {
  checkProbability(q, "q");
  const { weights, ...discretisation } = discretiseStakes(stakes, gridUnits);
  const dist = weightedVoteDistribution(weights, q);
  return networkFigures(dist, discretisation, quorum);
}

/**
 * Seeded Monte Carlo of the same vote: each round every validator votes cheater with
 * probability q (the top 31 bits of one 32-bit draw against round(q * 2^31): an error below 2^-32 in q).
 */
export function monteCarloNetwork(
  stakes: readonly (number | bigint)[],
  q: number,
  quorum: number,
  rounds: number,
  seed: number,
): MonteCarloNetwork {
  checkProbability(q, "q");
  checkChecks(rounds, "rounds");
  const big = toBigStakes(stakes);
  const g = big.reduce(gcd);
  // Integer sums stay exact in doubles up to 2^53, so the quorum comparison is exact too.
  const total = big.reduce((a, b) => a + b, 0n) / g;
  const weights = Float64Array.from(big, (s) => Number(s / g));
  const convictAt = Number(quorumCut(total, quorum));
  const totalNumber = Number(total);
  // 31 bits of each draw keep the difference below inside int32.
  const cut = Math.round(q * 2 ** 31);
  const rng = createRng(seed);
  const draws = new Uint32Array(weights.length);
  const shares = new Float64Array(rounds);
  let convicted = 0;
  let cheaterMax = 0;
  for (let r = 0; r < rounds; r++) {
    rng.fill(draws);
    let cheater = 0;
    // Branch-free: the sign bit of (draw - cut) is the vote, so random votes cost no mispredictions.
    for (let i = 0; i < weights.length; i++) cheater += weights[i]! * ((((draws[i]! >>> 1) - cut) | 0) >>> 31);
    shares[r] = cheater / totalNumber;
    if (cheater >= convictAt) convicted++;
    if (cheater > cheaterMax) cheaterMax = cheater;
  }
  const shareMax = cheaterMax / totalNumber;
  const shareHistogram = new Array<number>(SHARE_BINS).fill(0);
  for (const share of shares) shareHistogram[shareBin(share)]! += 1 / rounds;
  return {
    rounds,
    seed,
    convicted,
    shareHistogram,
    pConvicted: convicted / rounds,
    ci95: wilsonInterval(convicted, rounds),
    shareMedian: percentile(shares, 50),
    shareP95: percentile(shares, 95),
    shareMax,
  };
}

/**
 * The report's network aggregation: every validator checks n nonces of a target whose true
 * mismatch rate is `rate` and votes cheater iff its binomial p-value is below alpha; the
 * stake share voting cheater decides against the quorum. Exact and seeded Monte Carlo.
 * @example simulateNetwork({ stakes: [35, 25, 15, 10, 10, 5], rate: 0.04 }).exact.pConvicted
 */
export function simulateNetwork(options: NetworkOptions): NetworkResult {
  const {
    stakes,
    rate,
    n = DEFAULT_CHECKS,
    fpRate = DEFAULT_FP_RATE,
    alpha = DEFAULT_ALPHA,
    quorum = 0.5,
    rounds = 100_000,
    seed = DEFAULT_SEED,
  } = options;
  checkChecks(n);
  checkProbability(rate, "rate");
  checkProbability(fpRate, "fpRate", true);
  checkProbability(alpha, "alpha");
  checkProbability(quorum, "quorum");
  const big = toBigStakes(stakes);
  const kCrit = criticalCount(n, fpRate, alpha);
  const q = binomialPValue(kCrit, n, rate);
  return {
    validators: big.length,
    totalStake: big.reduce((a, b) => a + b, 0n),
    n,
    rate,
    fpRate,
    alpha,
    quorum,
    kCrit,
    detectionProbability: q,
    exact: exactNetwork(big, q, quorum),
    monteCarlo: monteCarloNetwork(big, q, quorum, rounds, seed),
  };
}
