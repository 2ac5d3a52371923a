// The planner's search (plan.ts): a cheap, optimistic filter of every (slots, n) pair from q-thresholds
// per slot count (rigorous coarse bounds at a grid of per-validator flag probabilities), then a
// branch-and-bound in order of a cost lower bound, each candidate's k_crit range decided rigorously by
// bisection (the honest side holds for every k above its boundary, the detection side below its own).
import type { CheckFamily } from "./plan-family.js";
import { type ConvictionOracle, FLAG_GRID, type Variant } from "./plan-oracle.js";
import { SKIP_GRID_DEN, SKIP_GRID_POINTS, skipRate } from "./skip.js";

export interface PlanSpace {
  slots: readonly number[];
  sampleSizes: readonly number[];
}

export interface Constraints {
  r0: number;
  maxFalseConviction: number;
  maxFrame?: number;
  /** s* <= maxSkip (0.5: no bound). */
  maxSkip: number;
  minDetection?: number;
  cheaterRate?: number;
  maxShieldEscape?: number;
  shieldRate?: number;
  chunk: number;
}

/**
 * Largest grid q whose upper bound is still below y (P >= y needs q above it: rigorous), or the
 * smallest grid q whose lower bound is above E (P <= E needs q below it).
 */
function threshold(
  oracle: ConvictionOracle,
  grid: number[],
  m: number,
  variant: Variant,
  kind: "up" | "down",
  y: number,
): number {
  let lo = 0;
  let hi = grid.length;
  // first index where the predicate "certainly fails from here on" holds
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const [l, h] = oracle.interval(grid[mid]!, m, variant, 0);
    const past = kind === "up" ? l > y : h >= y;
    if (past) hi = mid;
    else lo = mid + 1;
  }
  if (kind === "up") return lo < grid.length ? grid[lo]! : 2;
  return lo > 0 ? grid[lo - 1]! : -1;
}

interface RateSide {
  rate: number;
  variant: Variant;
  level: number;
}

/** The detection-side bounds as (rate, variant, level): P[convicted at rate] >= level. */
function detectionSides(c: Constraints): RateSide[] {
  const sides: RateSide[] = [];
  if (c.maxSkip < 0.5) {
    const s1 = (Math.round(c.maxSkip * SKIP_GRID_DEN) + 1) / SKIP_GRID_DEN;
    sides.push({ rate: skipRate(c.r0, s1), variant: "honest", level: s1 });
  }
  if (c.minDetection !== undefined && c.cheaterRate !== undefined) {
    sides.push({ rate: c.cheaterRate, variant: "honest", level: c.minDetection });
  }
  if (c.maxShieldEscape !== undefined && c.shieldRate !== undefined) {
    sides.push({ rate: c.shieldRate, variant: "shield", level: 1 - c.maxShieldEscape });
  }
  return sides;
}

/**
 * Every grid s above maxSkip has P[convicted | r(s)] >= s: a cover from below. A certified lower bound
 * L at s (from the q grid: P grows with q) covers every grid point up to L; where it does not reach s,
 * the oracle decides.
 */
function skipHolds(oracle: ConvictionOracle, f: CheckFamily, m: number, n: number, k: number, c: Constraints): boolean {
  let i = Math.round(c.maxSkip * SKIP_GRID_DEN) + 1;
  while (i <= SKIP_GRID_POINTS) {
    const s = i / SKIP_GRID_DEN;
    const q = f.flag(n, k, skipRate(c.r0, s));
    let [bound, hi] = oracle.gridInterval(q, m, "honest");
    if (hi < s) return false;
    if (bound < s) {
      [bound, hi] = oracle.interval(q, m, "honest", 0);
      if (hi < s) return false;
      if (bound < s && !oracle.atLeast(q, m, "honest", s)) return false;
    }
    // P only grows with s: every grid point up to max(s, bound) is covered.
    i = Math.max(i + 1, Math.floor(bound * SKIP_GRID_DEN * (1 - 1e-12)) + 1);
  }
  return true;
}

function detectionSideHolds(
  oracle: ConvictionOracle,
  f: CheckFamily,
  m: number,
  n: number,
  k: number,
  c: Constraints,
): boolean {
  if (c.minDetection !== undefined && c.cheaterRate !== undefined) {
    if (!oracle.atLeast(f.flag(n, k, c.cheaterRate), m, "honest", c.minDetection)) return false;
  }
  if (c.maxShieldEscape !== undefined && c.shieldRate !== undefined) {
    if (!oracle.atLeast(f.flag(n, k, c.shieldRate), m, "shield", 1 - c.maxShieldEscape)) return false;
  }
  return c.maxSkip >= 0.5 || skipHolds(oracle, f, m, n, k, c);
}

function honestSideHolds(
  oracle: ConvictionOracle,
  f: CheckFamily,
  m: number,
  n: number,
  k: number,
  c: Constraints,
): boolean {
  const q0 = f.flag(n, k, c.r0);
  if (!oracle.atMost(q0, m, "honest", c.maxFalseConviction)) return false;
  return c.maxFrame === undefined || oracle.atMost(q0, m, "frame", c.maxFrame);
}

/** Candidates as parallel arrays (millions of (m, n) pairs), in order of their cost lower bound. */
interface Candidates {
  m: Int32Array;
  n: Int32Array;
  kLo: Int32Array;
  kHi: Int32Array;
  bound: Float64Array;
  order: Uint32Array;
}

function growable(size: number) {
  return {
    m: new Int32Array(size),
    n: new Int32Array(size),
    kLo: new Int32Array(size),
    kHi: new Int32Array(size),
    bound: new Float64Array(size),
  };
}

/** Smallest k in 1..n + 1 with t[k] < qUp (t falls with k). */
function firstBelow(t: Float64Array, n: number, qUp: number): number {
  let lo = 1;
  for (let hi = n + 1; lo < hi; ) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < qUp) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Largest k in 0..top with t[k] > qDown. */
function lastAbove(t: Float64Array, top: number, qDown: number): number {
  let lo = 0;
  for (let hi = top; lo < hi; ) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! > qDown) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The optimistic filter: every (m, n) with a k range that the coarse thresholds do not rule out. */
function filterCandidates(
  space: PlanSpace,
  c: Constraints,
  oracle: ConvictionOracle,
  f: CheckFamily,
  holders: (m: number) => number,
  incumbent: number,
): Candidates {
  const grid = [...FLAG_GRID];
  const sides = detectionSides(c);
  const perM = space.slots.map((m) => {
    let qUp = threshold(oracle, grid, m, "honest", "up", c.maxFalseConviction);
    if (c.maxFrame !== undefined) qUp = Math.min(qUp, threshold(oracle, grid, m, "frame", "up", c.maxFrame));
    return { m, qUp, qDown: sides.map((s) => threshold(oracle, grid, m, s.variant, "down", s.level)), h: holders(m) };
  });
  let out = growable(1 << 16);
  let size = 0;
  for (const n of space.sampleSizes) {
    const t0 = f.tails(n, c.r0);
    const ts = sides.map((s) => f.tails(n, s.rate));
    for (const { m, qUp, qDown, h } of perM) {
      const kLo = firstBelow(t0, n, qUp);
      let kHi = n;
      for (let j = 0; j < ts.length && kHi >= kLo; j++) kHi = lastAbove(ts[j]!, kHi, qDown[j]!);
      if (kLo > kHi || kLo > n) continue;
      const bound = h * f.costLowerBound(n, kHi, t0[kLo]!);
      if (bound >= incumbent) continue;
      if (size === out.m.length) {
        const bigger = growable(size * 2);
        for (const key of ["m", "n", "kLo", "kHi", "bound"] as const) bigger[key].set(out[key]);
        out = bigger;
      }
      out.m[size] = m;
      out.n[size] = n;
      out.kLo[size] = kLo;
      out.kHi[size] = kHi;
      out.bound[size] = bound;
      size++;
    }
  }
  const bound = out.bound;
  const order = Uint32Array.from({ length: size }, (_, i) => i).sort((a, b) => bound[a]! - bound[b]!);
  return { ...out, order };
}

/** Largest k in [lo, hi] where test holds, when it holds exactly for k <= some boundary; lo - 1 if none. */
function lastTrue(lo: number, hi: number, test: (k: number) => boolean): number {
  if (!test(lo)) return lo - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (test(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Smallest k in [lo, hi] where test holds, when it holds exactly for k >= some boundary; hi + 1 if none. */
function firstTrue(lo: number, hi: number, test: (k: number) => boolean): number {
  if (!test(hi)) return hi + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (test(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface FoundDesign {
  m: number;
  n: number;
  k: number;
  cost: number;
}

/**
 * The cheapest feasible (m, n, k) of one check family by honest cost (expected leaves x E[holders]),
 * strictly below `incumbent` (Infinity: any): candidates in order of a cost lower bound, each decided
 * rigorously, until the bound reaches the best cost found.
 */
export function candidateDesigns(
  space: PlanSpace,
  c: Constraints,
  oracle: ConvictionOracle,
  family: CheckFamily,
  holders: (m: number) => number,
  incumbent = Number.POSITIVE_INFINITY,
): { best: FoundDesign | null; candidates: number; verified: number } {
  const cands = filterCandidates(space, c, oracle, family, holders, incumbent);
  let best: FoundDesign | null = null;
  let verified = 0;
  for (const i of cands.order) {
    if (cands.bound[i]! >= (best?.cost ?? incumbent)) break;
    verified++;
    const m = cands.m[i]!;
    const n = cands.n[i]!;
    const kHi = lastTrue(cands.kLo[i]!, cands.kHi[i]!, (k) => detectionSideHolds(oracle, family, m, n, k, c));
    if (kHi < cands.kLo[i]!) continue;
    const kLo = firstTrue(cands.kLo[i]!, kHi, (k) => honestSideHolds(oracle, family, m, n, k, c));
    for (let k = kLo; k <= kHi; k++) {
      const cost = holders(m) * family.cost(n, k);
      if (cost < (best?.cost ?? incumbent)) best = { m, n, k, cost };
    }
  }
  return { best, candidates: cands.order.length, verified };
}
