// The design planner v2 (issue 23): for a stake distribution and an honest mismatch rate, search slots
// (0 and 8..1024), sample size (10..2000) and, for each (slots, n), the exact k_crit boundary that the
// bounds allow, by bisection (a higher k flags less). Bounds: P[false conviction], a coalition's frame
// and shield, s* (skipping pays), detection. Every accepted design is decided by rigorous intervals or
// the exact DP (plan-oracle.ts), never by an approximation; the cheapest one (curtailed honest cost) wins.
import { binomialPValue, decimalFraction, kCrit, type Rational } from "../core/index.js";
import { HALF } from "./coalition.js";
import { expectedCurtailedChecks } from "./plan-cost.js";
import { type ConvictionOracle, createConvictionOracle } from "./plan-oracle.js";
import { type Constraints, candidateDesigns, type PlanSpace } from "./plan-search.js";
import { SimulationInputError } from "./simulate.js";
import { SKIP_GRID_DEN, SKIP_GRID_POINTS, skipRate } from "./skip.js";
import { expectedHolders } from "./slots.js";

export { expectedCurtailedChecks } from "./plan-cost.js";
export { planSvg } from "./plan-figure.js";

export interface PlanOptions {
  stakes: readonly bigint[];
  /** The honest mismatch rate: the test's fp_rate (a calibration's fp_rate_upper), a decimal string. */
  honestRate: string;
  maxFalseConviction: number;
  /** A coalition of this share frames with P at most maxFrame / lets a cheater at shieldRate escape at most maxShieldEscape. */
  byzantineStake?: Rational;
  maxFrame?: number;
  maxShieldEscape?: number;
  shieldRate?: number;
  /** s* <= this. */
  maxProfitableSkip?: number;
  /** Optional: P[a cheater at cheaterRate is convicted] >= minDetection. */
  minDetection?: number;
  cheaterRate?: number;
  /** Restrict the search (default: 0 and 8..1024; 10..2000). */
  slots?: readonly number[];
  sampleSizes?: readonly number[];
  /** Curtailed checks stop at multiples of this (check.chunkSize). */
  chunkSize?: number;
  quorum?: Rational;
  /** Looser s* bounds for the Pareto front of cost against s* (default 0.05, 0.1, 0.2; those above maxProfitableSkip). */
  frontSkips?: readonly number[];
  onProgress?: (message: string) => void;
  /** Grid units of the oracle's coarse tiers (default ORACLE_TIERS); tests use small ones. */
  tierUnits?: readonly number[];
}

export interface Design {
  /** 0: every validator checks (version 1). */
  slots: number;
  n: number;
  k_crit: number;
  /** A decimal alpha whose exact k_crit(n) is k_crit. */
  alpha: string;
  p_false_conviction: number;
  /** The honest participant's conviction at 1.25x the honest rate: how fragile the design is. */
  p_false_conviction_at_1_25x: number;
  p_frame?: number;
  p_shield_escape?: number;
  p_detection?: number;
  s_star: number;
  expected_checkers: number;
  /** E[distinct holders] x n. */
  recomputes_per_participant: number;
  /** E[distinct holders] x E[leaves checked] by a curtailed check of an honest participant. */
  curtailed_recomputes_honest: number;
}

export interface Plan {
  validators: number;
  honest_rate: string;
  constraints: Record<string, number | string>;
  /** Candidate (slots, n) pairs that passed the cheap filter, and those decided in full. */
  candidates: number;
  verified: number;
  best: Design | null;
  /** Cheapest design per s* bound: the Pareto front of cost against s*. */
  front: Design[];
  seconds: number;
}

export const DEFAULT_PLAN_SLOTS: readonly number[] = [0, ...Array.from({ length: 1017 }, (_, i) => i + 8)];
export const DEFAULT_PLAN_SAMPLE_SIZES: readonly number[] = Array.from({ length: 1991 }, (_, i) => i + 10);
export const DEFAULT_FRONT_SKIPS: readonly number[] = [0.05, 0.1, 0.2];

function checkOptions(o: PlanOptions): number {
  const r0 = Number(o.honestRate);
  if (!(r0 > 0 && r0 < 1)) throw new SimulationInputError("honest-rate", `must be in (0, 1), got ${o.honestRate}`);
  decimalFraction(o.honestRate, "honest-rate");
  if ((o.maxFrame !== undefined || o.maxShieldEscape !== undefined) && o.byzantineStake === undefined) {
    throw new SimulationInputError("byzantine-stake", "is needed with max-frame or max-shield-escape");
  }
  if ((o.maxShieldEscape === undefined) !== (o.shieldRate === undefined)) {
    throw new SimulationInputError("shield-rate", "max-shield-escape and shield-rate go together");
  }
  if ((o.minDetection === undefined) !== (o.cheaterRate === undefined)) {
    throw new SimulationInputError("cheater-rate", "min-detection and cheater-rate go together");
  }
  return r0;
}

/** The shortest decimal alpha with P[X >= k] < alpha <= P[X >= k-1] whose exact k_crit(n) is k. */
export function alphaFor(n: number, k: number, honestRate: string): string {
  const r0 = Number(honestRate);
  const below = binomialPValue(k, n, r0);
  const above = binomialPValue(k - 1, n, r0);
  for (let digits = 1; digits <= 17; digits++) {
    const scale = 10 ** (Math.floor(Math.log10(Math.max(below, 1e-300))) - digits + 1);
    for (const mantissa of [Math.floor(below / scale) + 1, Math.floor(below / scale) + 2]) {
      const text = (mantissa * scale).toPrecision(digits + 1).replace(/\.?0+($|e)/, "$1");
      const plain = Number(text) >= 1e-6 ? String(Number(text)) : Number(text).toExponential();
      if (!(Number(plain) <= above && Number(plain) > 0 && Number(plain) <= 1)) continue;
      if (kCrit(n, honestRate, plain) === k) return plain;
    }
  }
  throw new SimulationInputError("alpha", `no decimal alpha gives k_crit ${k} at n ${n}`);
}

interface Context {
  options: PlanOptions;
  r0: number;
  oracle: ConvictionOracle;
  holders: (m: number) => number;
  chunk: number;
}

/** s* of (m, n, k), each grid point decided rigorously, scanning down from `from`. */
function designSkipStar(ctx: Context, m: number, n: number, k: number, from: number): number {
  for (let i = Math.min(SKIP_GRID_POINTS, Math.round(from * SKIP_GRID_DEN)); i >= 1; i--) {
    const s = i / SKIP_GRID_DEN;
    const q = binomialPValue(k, n, skipRate(ctx.r0, s));
    if (!ctx.oracle.atLeast(q, m, "honest", s)) return s;
  }
  return 0;
}

/** The exact figures of a design the search accepted. */
function describe(ctx: Context, m: number, n: number, k: number, sBound: number): Design {
  const { options: o, r0, oracle } = ctx;
  const q0 = binomialPValue(k, n, r0);
  const design: Design = {
    slots: m,
    n,
    k_crit: k,
    alpha: alphaFor(n, k, o.honestRate),
    p_false_conviction: oracle.exact(q0, m, "honest"),
    p_false_conviction_at_1_25x: oracle.exact(binomialPValue(k, n, Math.min(1, 1.25 * r0)), m, "honest"),
    s_star: designSkipStar(ctx, m, n, k, sBound),
    expected_checkers: ctx.holders(m),
    recomputes_per_participant: ctx.holders(m) * n,
    curtailed_recomputes_honest: ctx.holders(m) * expectedCurtailedChecks(n, k, r0, ctx.chunk),
  };
  if (o.maxFrame !== undefined || o.byzantineStake !== undefined) design.p_frame = oracle.exact(q0, m, "frame");
  if (o.shieldRate !== undefined)
    design.p_shield_escape = 1 - oracle.exact(binomialPValue(k, n, o.shieldRate), m, "shield");
  if (o.cheaterRate !== undefined) design.p_detection = oracle.exact(binomialPValue(k, n, o.cheaterRate), m, "honest");
  return design;
}

/** The cheapest design under one s* bound, or null; `best` decided rigorously, then described exactly. */
function cheapest(
  ctx: Context,
  space: PlanSpace,
  maxSkip: number,
): { design: Design | null; candidates: number; verified: number } {
  const constraints: Constraints = {
    r0: ctx.r0,
    maxFalseConviction: ctx.options.maxFalseConviction,
    maxFrame: ctx.options.maxFrame,
    maxSkip,
    minDetection: ctx.options.minDetection,
    cheaterRate: ctx.options.cheaterRate,
    maxShieldEscape: ctx.options.maxShieldEscape,
    shieldRate: ctx.options.shieldRate,
    chunk: ctx.chunk,
  };
  const found = candidateDesigns(space, constraints, ctx.oracle, ctx.holders);
  if (found.best === null) return { design: null, candidates: found.candidates, verified: found.verified };
  const { m, n, k } = found.best;
  return { design: describe(ctx, m, n, k, maxSkip), candidates: found.candidates, verified: found.verified };
}

/**
 * Plans a design: the cheapest (curtailed honest recomputes) meeting every bound, with exact figures,
 * and the Pareto front of cost against s*.
 * @example planDesigns({ stakes, honestRate: "0.02", maxFalseConviction: 1e-9, maxProfitableSkip: 0.02 }).best
 */
export function planDesigns(options: PlanOptions): Plan {
  const started = performance.now();
  const r0 = checkOptions(options);
  const positive = options.stakes.filter((s) => s > 0n);
  const oracle = createConvictionOracle(positive, options.quorum ?? HALF, options.byzantineStake, options.tierUnits);
  const holderCache = new Map<number, number>();
  const holders = (m: number): number => {
    let h = holderCache.get(m);
    if (h === undefined) {
      h = expectedHolders(positive, m);
      holderCache.set(m, h);
    }
    return h;
  };
  const ctx: Context = { options, r0, oracle, holders, chunk: options.chunkSize ?? 20 };
  const space: PlanSpace = {
    slots: options.slots ?? DEFAULT_PLAN_SLOTS,
    sampleSizes: options.sampleSizes ?? DEFAULT_PLAN_SAMPLE_SIZES,
  };
  const maxSkip = options.maxProfitableSkip ?? 0.5;
  const main = cheapest(ctx, space, maxSkip);
  options.onProgress?.(`best found after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const front: Design[] = main.design ? [main.design] : [];
  // Looser s* bounds search fast (many designs pass early); tighter ones than yours are not searched.
  for (const s of options.frontSkips ?? DEFAULT_FRONT_SKIPS) {
    if (s <= maxSkip) continue;
    const d = cheapest(ctx, space, s).design;
    if (d) front.push(d);
    options.onProgress?.(`front: s* <= ${s} done after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const pareto = front
    .sort((a, b) => a.curtailed_recomputes_honest - b.curtailed_recomputes_honest || a.s_star - b.s_star)
    .filter((d, i, all) => all.slice(0, i).every((e) => e.s_star > d.s_star));
  const constraints: Record<string, number | string> = {
    max_false_conviction: options.maxFalseConviction,
    max_profitable_skip: maxSkip,
  };
  if (options.byzantineStake)
    constraints.byzantine_stake = `${options.byzantineStake.num}/${options.byzantineStake.den}`;
  if (options.maxFrame !== undefined) constraints.max_frame = options.maxFrame;
  if (options.maxShieldEscape !== undefined) constraints.max_shield_escape = options.maxShieldEscape;
  if (options.shieldRate !== undefined) constraints.shield_rate = options.shieldRate;
  if (options.minDetection !== undefined) constraints.min_detection = options.minDetection;
  if (options.cheaterRate !== undefined) constraints.cheater_rate = options.cheaterRate;
  return {
    validators: positive.length,
    honest_rate: options.honestRate,
    constraints,
    candidates: main.candidates,
    verified: main.verified,
    best: main.design,
    front: pareto,
    seconds: (performance.now() - started) / 1000,
  };
}
