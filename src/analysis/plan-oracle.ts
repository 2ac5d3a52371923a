// Rigorous, tiered answers to "is P[convicted] at most E / at least y?" for the planner: stakes rounded
// down and up to a coarse grid bound the probability from both sides (cheap), a finer grid next, the
// exact flagging-stake DP last. A question is answered at the first tier whose interval decides it, so
// a search touches the exact DP only for the few designs near a bound, and never accepts a design
// whose exact figure breaks one.
import type { Rational } from "../core/index.js";
import {
  binomialTailAt,
  type Coalition,
  coarseWeights,
  convictingSlots,
  convictionFromFlagging,
  exactWeights,
  flaggingStakeDistribution,
  HALF,
  type StakeWeights,
} from "./coalition.js";

/** Per-validator flag probabilities where bounds are kept: log-spaced near 0 and near 1. */
export const FLAG_GRID: readonly number[] = [
  ...Array.from({ length: 171 }, (_, i) => 10 ** (-17 + i / 10)).filter((q) => q < 0.5),
  0.5,
  ...Array.from({ length: 170 }, (_, i) => 1 - 10 ** (-0.3 - i / 10)),
];

/** Largest index j with FLAG_GRID[j] <= q, or -1. */
export function gridBelow(q: number): number {
  let lo = -1;
  for (let hi = FLAG_GRID.length - 1; lo < hi; ) {
    const mid = (lo + hi + 1) >> 1;
    if (FLAG_GRID[mid]! <= q) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** honest: no coalition; frame/shield: the coalition of the oracle's share. */
export type Variant = "honest" | "frame" | "shield";

/** Grid units of the coarse tiers; the last tier is exact. */
export const ORACLE_TIERS = [4096, 16384, 131072] as const;

interface CoarseTier {
  floor: StakeWeights;
  ceil: StakeWeights;
  dists: Map<number, [Float64Array, Float64Array]>;
  computed: number;
  /** h[w] = P[convicted | flagging share w / units] per (variant, slots). */
  tables: Map<string, Float64Array>;
}

export interface ConvictionOracle {
  /** [lower, upper] bounds on P[convicted] at tier t (ORACLE_TIERS.length = exact). */
  interval(q: number, slots: number, variant: Variant, tier: number): [number, number];
  /** Certified bounds from the fixed grid of flag probabilities around q (no new distribution). */
  gridInterval(q: number, slots: number, variant: Variant): [number, number];
  /** Decides P[convicted] <= bound, refining tiers until one decides. */
  atMost(q: number, slots: number, variant: Variant, bound: number): boolean;
  /** Decides P[convicted] >= bound likewise. */
  atLeast(q: number, slots: number, variant: Variant, bound: number): boolean;
  /** The exact figure. */
  exact(q: number, slots: number, variant: Variant): number;
  tiers: number;
  /** Distributions computed per tier (the last one exact): what a search cost. */
  computed: number[];
}

function shareOf(w: number, units: number, variant: Variant, share: Rational | undefined): number {
  if (variant === "honest" || share === undefined) return w / units;
  const a = Number(share.num);
  const b = Number(share.den);
  return ((b - a) * (w / units) + (variant === "frame" ? a : 0)) / b;
}

/** P[convicted | flagging share x] as a table over the coarse grid's w (monotone in w). */
function convictionTable(
  length: number,
  units: number,
  slots: number,
  variant: Variant,
  quorum: Rational,
  share: Rational | undefined,
): Float64Array {
  const h = new Float64Array(length);
  const tail = binomialTailAt(slots, convictingSlots(slots, quorum));
  const threshold = Number(quorum.num) / Number(quorum.den);
  for (let w = 0; w < length; w++) {
    const x = Math.min(1, shareOf(w, units, variant, share));
    // Slots 0: a step at the quorum; rounding of x is covered by the outward margin below.
    h[w] = slots === 0 ? (x > threshold + 1e-12 ? 1 : 0) : tail(x);
  }
  return h;
}

/** Like convictionTable but rounding the step outward, for the upper bound with slots 0. */
function upperStep(
  h: Float64Array,
  length: number,
  units: number,
  variant: Variant,
  quorum: Rational,
  share?: Rational,
) {
  const threshold = Number(quorum.num) / Number(quorum.den);
  const out = new Float64Array(length);
  for (let w = 0; w < length; w++)
    out[w] = Math.min(1, shareOf(w, units, variant, share)) > threshold - 1e-12 ? 1 : h[w]!;
  return out;
}

function dot(dist: Float64Array, h: Float64Array): number {
  let sum = 0;
  const n = Math.min(dist.length, h.length);
  for (let w = n - 1; w >= 0; w--) sum += dist[w]! * h[w]!;
  return Math.min(1, sum);
}

function coarseInterval(
  tier: CoarseTier,
  units: number,
  q: number,
  slots: number,
  variant: Variant,
  quorum: Rational,
  share: Rational | undefined,
): [number, number] {
  let pair = tier.dists.get(q);
  if (pair === undefined) {
    tier.computed++;
    const lo = flaggingStakeDistribution(tier.floor.weights, q);
    pair = [lo, tier.floor === tier.ceil ? lo : flaggingStakeDistribution(tier.ceil.weights, q)];
    if (tier.dists.size > 4000) tier.dists.clear();
    tier.dists.set(q, pair);
  }
  const key = `${variant}/${slots}`;
  let h = tier.tables.get(key);
  const length = Math.max(pair[0].length, pair[1].length);
  if (h === undefined) {
    h = convictionTable(length, units, slots, variant, quorum, share);
    tier.tables.set(key, h);
  }
  let hUp = h;
  if (slots === 0) {
    const upKey = `${key}/up`;
    hUp = tier.tables.get(upKey) ?? upperStep(h, length, units, variant, quorum, share);
    tier.tables.set(upKey, hUp);
  }
  const lower = dot(pair[0], h);
  return [lower, Math.max(lower, dot(pair[1], hUp))];
}

type Interval = (q: number, slots: number, variant: Variant, tier: number) => [number, number];
type Decide = (q: number, slots: number, variant: Variant, test: (lo: number, hi: number) => boolean | null) => boolean;

/** Tier "grid": certified bounds at fixed flag probabilities bracketing q (P grows with q), no new distribution. */
function gridBounds(
  interval: Interval,
  coarse: boolean,
): (q: number, slots: number, variant: Variant) => [number, number] {
  const tables = new Map<string, [Float64Array, Float64Array]>();
  return (q, slots, variant) => {
    if (!coarse) return [0, 1];
    const key = `${slots}/${variant}`;
    let t = tables.get(key);
    if (t === undefined) {
      const lo = new Float64Array(FLAG_GRID.length);
      const hi = new Float64Array(FLAG_GRID.length);
      FLAG_GRID.forEach((g, j) => {
        [lo[j], hi[j]] = interval(g, slots, variant, 0);
      });
      t = [lo, hi];
      tables.set(key, t);
    }
    const j = gridBelow(q);
    return [j < 0 ? 0 : t[0][j]!, j + 1 < FLAG_GRID.length ? t[1][j + 1]! : 1];
  };
}

/**
 * Decisions are monotone in q (P[convicted] grows with the flag probability): each (slots, variant,
 * bound) keeps the largest q known to pass and the smallest known to fail, so most questions are
 * answered without a distribution.
 */
function monotoneDecisions(decide: Decide) {
  const memo = new Map<string, { pass: number; fail: number }>();
  const memoFor = (key: string, pass: number, fail: number) => {
    let e = memo.get(key);
    if (e === undefined) {
      e = { pass, fail };
      memo.set(key, e);
    }
    return e;
  };
  const atMost = (q: number, slots: number, variant: Variant, bound: number): boolean => {
    const e = memoFor(`<=/${slots}/${variant}/${bound}`, -1, 2);
    if (q <= e.pass) return true;
    if (q >= e.fail) return false;
    const answer = decide(q, slots, variant, (lo, hi) =>
      hi <= bound ? true : lo > bound || lo === hi ? lo <= bound : null,
    );
    if (answer) e.pass = Math.max(e.pass, q);
    else e.fail = Math.min(e.fail, q);
    return answer;
  };
  const atLeast = (q: number, slots: number, variant: Variant, bound: number): boolean => {
    const e = memoFor(`>=/${slots}/${variant}/${bound}`, 2, -1);
    if (q >= e.pass) return true;
    if (q <= e.fail) return false;
    const answer = decide(q, slots, variant, (lo, hi) =>
      lo >= bound ? true : hi < bound || lo === hi ? hi >= bound : null,
    );
    if (answer) e.pass = Math.min(e.pass, q);
    else e.fail = Math.max(e.fail, q);
    return answer;
  };
  return { atMost, atLeast };
}

/**
 * The planner's oracle for one stake distribution, quorum and (optional) coalition share.
 * @example createConvictionOracle([5n, 3n, 2n]).atMost(0.01, 3, "honest", 1e-3) // true
 */
export function createConvictionOracle(
  stakes: readonly bigint[],
  quorum: Rational = HALF,
  share?: Rational,
  tierUnits: readonly number[] = ORACLE_TIERS,
): ConvictionOracle {
  const exactW = exactWeights(stakes);
  const coarse: (CoarseTier & { units: number })[] = tierUnits
    .filter((u) => u < exactW.total)
    .map((units) => ({
      units,
      ...coarseWeights(stakes, units),
      dists: new Map(),
      tables: new Map(),
      computed: 0,
    }));
  const exactDists = new Map<number, Float64Array>();
  let exactComputed = 0;
  const coalitionFor = (variant: Variant): Coalition | undefined =>
    variant === "honest" || share === undefined ? undefined : { share, goal: variant };
  const exact = (q: number, slots: number, variant: Variant): number => {
    let dist = exactDists.get(q);
    if (dist === undefined) {
      dist = flaggingStakeDistribution(exactW.weights, q);
      exactComputed++;
      // Each exact distribution is total + 1 doubles: keep only the last few.
      if (exactDists.size >= 3) exactDists.delete(exactDists.keys().next().value!);
      exactDists.set(q, dist);
    }
    return convictionFromFlagging(dist, exactW.total, { slots, quorum, coalition: coalitionFor(variant) });
  };
  const interval: Interval = (q, slots, variant, tier) => {
    const c = coarse[tier];
    if (c === undefined) {
      const p = exact(q, slots, variant);
      return [p, p];
    }
    return coarseInterval(c, c.units, q, slots, variant, quorum, share);
  };
  const gridInterval = gridBounds(interval, coarse.length > 0);
  const decide: Decide = (q, slots, variant, test) => {
    const [glo, ghi] = gridInterval(q, slots, variant);
    const early = glo === ghi ? null : test(glo, ghi);
    if (early !== null) return early;
    for (let t = 0; t <= coarse.length; t++) {
      const [lo, hi] = interval(q, slots, variant, t);
      const answer = test(lo, hi);
      if (answer !== null) return answer;
    }
    throw new Error("unreachable: the exact tier always decides");
  };
  const { atMost, atLeast } = monotoneDecisions(decide);
  return {
    tiers: coarse.length + 1,
    get computed() {
      return [...coarse.map((c) => c.computed), exactComputed];
    },
    interval,
    gridInterval,
    exact,
    atMost,
    atLeast,
  };
}
