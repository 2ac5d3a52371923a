// Exact conviction probabilities of a whole network, with or without validation slots, with or
// without a Byzantine coalition (docs/protocol.md, "Coalitions and skipping"): the distribution of
// the flagging stake is an exact DP over integer stakes, and with m slots the cheater slots given a
// flagging set of stake w are Binomial(m, w / T), so
//   P[convicted] = sum_w P[flagging stake = w] * P[Binomial(m, w / T) > m * quorum].
// A coalition holding F of the stake is one more validator of stake F / (1 - F) * T that always
// flags (frame) or never does (shield). Coarse grids give rigorous bounds for searches (rounding every
// stake down, then up, bounds the flagging stake of every flag set); the figures reported are exact.
import type { Rational } from "../core/index.js";
import { mixedVoteDistribution, weightedVoteDistribution } from "./network.js";
import { SimulationInputError } from "./simulate.js";

/** Validators holding `share` of all stake vote as one: CHEATER always (frame) or HONEST always (shield). */
export interface Coalition {
  share: Rational;
  goal: "frame" | "shield";
}

/** The conviction rule of a design: slots 0 = every validator votes once by stake (version 1). */
export interface ConvictionRule {
  slots: number;
  quorum?: Rational;
  coalition?: Coalition;
}

export const HALF: Rational = { num: 1n, den: 2n };

/** Largest stake total (after dividing by the gcd) that the exact DP accepts: 2^24 units, 128 MB. */
export const MAX_DP_UNITS = 1 << 24;

/** Integer stakes on their own grid: each divided by the gcd of all; weights[i] sums to total. */
export interface StakeWeights {
  weights: number[];
  total: number;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * The validators' positive stakes divided by their gcd, exactly.
 * @example exactWeights([10n, 20n, 30n]) // { weights: [1, 2, 3], total: 6 }
 */
export function exactWeights(stakes: readonly bigint[]): StakeWeights {
  const positive = stakes.filter((s) => s > 0n);
  if (positive.length === 0) throw new SimulationInputError("stakes", "at least one positive stake is needed");
  const g = positive.reduce(gcd);
  const reduced = positive.map((s) => s / g);
  const total = reduced.reduce((a, b) => a + b, 0n);
  if (total > BigInt(MAX_DP_UNITS)) {
    throw new SimulationInputError(
      "stakes",
      `their total is ${total} units after dividing by their gcd ${g}; the exact DP holds at most ${MAX_DP_UNITS}`,
    );
  }
  return { weights: reduced.map(Number), total: Number(total) };
}

/** The stakes rounded down and up to a grid of `units` (rigorous bounds on every set's stake share). */
export function coarseWeights(stakes: readonly bigint[], units: number): { floor: StakeWeights; ceil: StakeWeights } {
  const exact = exactWeights(stakes);
  if (exact.total <= units) return { floor: exact, ceil: exact };
  const T = BigInt(exact.total);
  const G = BigInt(units);
  const down = exact.weights.map((w) => Number((BigInt(w) * G) / T));
  const up = exact.weights.map((w) => Number((BigInt(w) * G + T - 1n) / T));
  // Both keep the share scale w / units: a set's true share lies in [sum(down), sum(up)] / units.
  return {
    floor: { weights: down, total: units },
    ceil: { weights: up, total: units },
  };
}

/** dist[w] = P[the validators flagging CHEATER hold stake w], each flagging independently with q (or q[i]). */
export function flaggingStakeDistribution(weights: readonly number[], q: number | readonly number[]): Float64Array {
  if (typeof q === "number") {
    if (!(q >= 0 && q <= 1)) throw new SimulationInputError("q", `must be in [0, 1], got ${q}`);
    return weightedVoteDistribution(weights, q);
  }
  q.forEach((x, i) => {
    if (!(x >= 0 && x <= 1)) throw new SimulationInputError(`q[${i}]`, `must be in [0, 1], got ${x}`);
  });
  return mixedVoteDistribution(weights, q);
}

function checkRational(r: Rational, field: string, open: boolean): void {
  if (!(r.den > 0n && r.num >= 0n && (open ? r.num < r.den : r.num <= r.den))) {
    throw new SimulationInputError(field, `must be a fraction in [0, 1${open ? ")" : "]"}, got ${r.num}/${r.den}`);
  }
}

/**
 * The scaled share of a flagging stake w of the honest validators (total T): with a coalition F = a/b,
 * the flagging share of everyone is (w (b - a) + A) / (b T) with A = a T when it frames, 0 when it shields.
 */
function shareMap(total: number, coalition: Coalition | undefined): { scale: number; offset: number } {
  if (coalition === undefined) return { scale: 1 / total, offset: 0 };
  checkRational(coalition.share, "byzantine-stake", true);
  const a = Number(coalition.share.num);
  const b = Number(coalition.share.den);
  return { scale: (b - a) / (b * total), offset: coalition.goal === "frame" ? a / b : 0 };
}

/** The smallest integer w with (w (b-a) + A) qden > b T qnum: the flagging stake that convicts without slots. */
function convictingStake(total: number, quorum: Rational, coalition: Coalition | undefined): number {
  const T = BigInt(total);
  const a = coalition?.share.num ?? 0n;
  const b = coalition?.share.den ?? 1n;
  const A = coalition?.goal === "frame" ? a * T : 0n;
  const rhs = b * T * quorum.num - A * quorum.den;
  if (rhs < 0n) return 0;
  return Number(rhs / ((b - a) * quorum.den)) + 1;
}

/**
 * P[convicted] from the flagging-stake distribution of the honest validators (exact when `dist` is
 * exact): slots 0 by stake against the quorum, m slots by Binomial(m, flagging share).
 * @example convictionFromFlagging(flaggingStakeDistribution([1, 1, 1], 0.5), 3, { slots: 0 }) // 0.5
 */
export function convictionFromFlagging(dist: Float64Array, total: number, rule: ConvictionRule): number {
  const quorum = rule.quorum ?? HALF;
  checkRational(quorum, "quorum", false);
  if (rule.slots === 0) {
    let sum = 0;
    for (let w = dist.length - 1, first = convictingStake(total, quorum, rule.coalition); w >= first; w--) {
      sum += dist[w]!;
    }
    return Math.min(1, sum);
  }
  return slotConvictionFromFlagging(dist, total, rule.slots, quorum, rule.coalition);
}

/** Cheater slots c convict iff c * qden > m * qnum: the smallest such c. */
export function convictingSlots(m: number, quorum: Rational = HALF): number {
  return Number((BigInt(m) * quorum.num) / quorum.den) + 1;
}

/**
 * P[Binomial(m, p) >= cut] as a function of p for one (m, cut): the term recursion from the pmf at the
 * cut (log C(m, cut) computed once), summing whichever side is the smaller tail. Agrees with
 * binomialPValue to ~1e-13 relative; a million calls take a fraction of a second.
 */
export function binomialTailAt(m: number, cut: number): (p: number) => number {
  if (cut <= 0) return () => 1;
  if (cut > m) return () => 0;
  let logChoose = 0;
  for (let i = 0; i < cut; i++) logChoose += Math.log((m - i) / (i + 1));
  // log C(m, cut - 1) = log C(m, cut) + log(cut / (m - cut + 1))
  const logChooseBelow = logChoose + Math.log(cut / (m - cut + 1));
  return (p: number): number => {
    if (p <= 0) return 0;
    if (p >= 1) return 1;
    const lp = Math.log(p);
    const lq = Math.log1p(-p);
    const odds = p / (1 - p);
    if (cut > (m + 1) * p) {
      let term = 1;
      let sum = 1;
      for (let i = cut; i < m; i++) {
        term *= ((m - i) / (i + 1)) * odds;
        sum += term;
        if (term < sum * 1e-17) break;
      }
      return Math.min(1, Math.exp(logChoose + cut * lp + (m - cut) * lq) * sum);
    }
    let term = 1;
    let sum = 1;
    for (let i = cut - 1; i > 0; i--) {
      term *= i / (m - i + 1) / odds;
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return Math.max(0, 1 - Math.exp(logChooseBelow + (cut - 1) * lp + (m - cut + 1) * lq) * sum);
  };
}

function slotConvictionFromFlagging(
  dist: Float64Array,
  total: number,
  m: number,
  quorum: Rational,
  coalition: Coalition | undefined,
): number {
  if (!(Number.isSafeInteger(m) && m >= 1))
    throw new SimulationInputError("slots", `must be a positive integer, got ${m}`);
  const cut = convictingSlots(m, quorum);
  if (cut > m) return 0;
  const { scale, offset } = shareMap(total, coalition);
  const tail = binomialTailAt(m, cut);
  let sum = 0;
  // From the top down the tail only falls and the mass left is at most 1: stop once the tail is below
  // 1e-17 of the sum (what is left cannot change a digit).
  for (let w = dist.length - 1; w >= 0; w--) {
    const mass = dist[w]!;
    if (mass === 0) continue;
    const t = tail(Math.min(1, w * scale + offset));
    if (t < sum * 1e-17) break;
    sum += mass * t;
  }
  return Math.min(1, sum);
}

/** P[convicted] exactly, for the validators' stakes, each flagging with probability q (or q[i]). */
export function exactConviction(
  stakes: readonly bigint[],
  q: number | readonly number[],
  rule: ConvictionRule,
): number {
  const { weights, total } = exactWeights(stakes);
  return convictionFromFlagging(flaggingStakeDistribution(weights, q), total, rule);
}

/**
 * Rigorous bounds on P[convicted] from stakes rounded to a grid of `units` (down: lower bound, up:
 * upper bound; equal when the stakes fit the grid). Cheap for searches; never a reported figure.
 */
export function boundedConviction(
  grid: { floor: StakeWeights; ceil: StakeWeights },
  q: number,
  rule: ConvictionRule,
): [number, number] {
  const lower = convictionFromFlagging(flaggingStakeDistribution(grid.floor.weights, q), grid.floor.total, rule);
  if (grid.floor === grid.ceil) return [lower, lower];
  const upper = convictionFromFlagging(flaggingStakeDistribution(grid.ceil.weights, q), grid.ceil.total, rule);
  return [lower, Math.max(lower, upper)];
}
