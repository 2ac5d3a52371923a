// The design planner v2 (issue 23): for a stake distribution and an honest mismatch rate, search slots
// (0 and 8..1024), sample size (10..2000) and, for each (slots, n), the exact k_crit boundary that the
// bounds allow, by bisection (a higher k flags less). Bounds: P[false conviction], a coalition's frame
// and shield, s* (skipping pays), detection. Every accepted design is decided by rigorous intervals or
// the exact DP (plan-oracle.ts), never by an approximation; the cheapest one (curtailed honest cost) wins.
import { binomialPValue, decimalFraction, kCrit, type Rational } from "../core/index.js";
import { HALF } from "./coalition.js";
import { type CheckFamily, curtailedFamily, earlyFamily } from "./plan-family.js";
import { type ConvictionOracle, createConvictionOracle } from "./plan-oracle.js";
import { type Constraints, candidateDesigns, type FoundDesign, type PlanSpace } from "./plan-search.js";
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
  /** Also search checks with early acceptance (protocol version 3), lambda on ACCEPTANCE_STEP multiples below the honest rate. */
  earlyAcceptance?: boolean;
  /** s* bounds of the Pareto front of cost against s*, tighter or looser than maxProfitableSkip (default DEFAULT_FRONT_SKIPS). */
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
  /** Early acceptance's lambda (a(c) = floor(lambda c)), a decimal; null: none (version 2). */
  acceptance_rate: string | null;
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
  /** E[distinct holders] x E[leaves checked] by a curtailed check of an honest participant (with early acceptance when on). */
  curtailed_recomputes_honest: number;
}

export interface Plan {
  validators: number;
  honest_rate: string;
  constraints: Record<string, number | string | boolean>;
  /** Candidate (slots, n) pairs that passed the cheap filter, and those decided in full. */
  candidates: number;
  verified: number;
  best: Design | null;
  /** With --early-acceptance: the cheapest design without it (version 2), for comparison; otherwise absent. */
  best_without_early_acceptance?: Design | null;
  /** Cheapest design per s* bound: the Pareto front of cost against s*. */
  front: Design[];
  seconds: number;
}

export const DEFAULT_PLAN_SLOTS: readonly number[] = [0, ...Array.from({ length: 1017 }, (_, i) => i + 8)];
export const DEFAULT_PLAN_SAMPLE_SIZES: readonly number[] = Array.from({ length: 1991 }, (_, i) => i + 10);
/**
 * The default front's s* bounds besides the asked one. Tighter bounds are searched when given
 * (frontSkips): each costs 20-110 s of CPU on the 377 preset (designs cost more, so many more
 * candidates lie below the best), which the 60 s budget of the default run does not hold.
 */
export const DEFAULT_FRONT_SKIPS: readonly number[] = [0.05, 0.1, 0.2];

/**
 * The early-acceptance designs searched: lambda on the multiples of 0.0025 below the honest rate (0
 * included), sample sizes up to EARLY_MAX_N (a near-flat cost over large n makes a finer space too slow
 * for the 60 s budget on the 377 preset; the curtailed search keeps the whole space).
 */
export const ACCEPTANCE_STEP = "0.0025";
export const EARLY_MAX_N = 300;

/** lambda = 0, 0.0025, ... below r0, as canonical decimals (exact: i x 25 / 10^4). */
export function acceptanceGrid(honestRate: string): string[] {
  const r = decimalFraction(honestRate, "honest-rate");
  const out: string[] = [];
  for (let i = 0n; i * 25n * r.den < r.num * 10000n; i++) {
    const text = (Number(i * 25n) / 10000).toFixed(4).replace(/\.?0+$/, "");
    out.push(text === "" ? "0" : text);
  }
  return out;
}

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
  /** The curtailed check first, then early acceptance at each lambda of the grid, largest first. */
  families: CheckFamily[];
}

/** s* of (m, n, k), each grid point decided rigorously, scanning down from `from`. */
function designSkipStar(ctx: Context, f: CheckFamily, m: number, n: number, k: number, from: number): number {
  for (let i = Math.min(SKIP_GRID_POINTS, Math.round(from * SKIP_GRID_DEN)); i >= 1; i--) {
    const s = i / SKIP_GRID_DEN;
    if (!ctx.oracle.atLeast(f.flag(n, k, skipRate(ctx.r0, s)), m, "honest", s)) return s;
  }
  return 0;
}

/** The exact figures of a design the search accepted. */
function describe(ctx: Context, f: CheckFamily, found: FoundDesign, sBound: number): Design {
  const { options: o, r0, oracle } = ctx;
  const { m, n, k } = found;
  const q0 = f.flag(n, k, r0);
  const design: Design = {
    slots: m,
    n,
    k_crit: k,
    acceptance_rate: f.acceptanceRate,
    alpha: alphaFor(n, k, o.honestRate),
    p_false_conviction: oracle.exact(q0, m, "honest"),
    p_false_conviction_at_1_25x: oracle.exact(f.flag(n, k, Math.min(1, 1.25 * r0)), m, "honest"),
    s_star: designSkipStar(ctx, f, m, n, k, sBound),
    expected_checkers: ctx.holders(m),
    recomputes_per_participant: ctx.holders(m) * n,
    curtailed_recomputes_honest: ctx.holders(m) * f.cost(n, k),
  };
  if (o.maxFrame !== undefined || o.byzantineStake !== undefined) design.p_frame = oracle.exact(q0, m, "frame");
  if (o.shieldRate !== undefined) design.p_shield_escape = 1 - oracle.exact(f.flag(n, k, o.shieldRate), m, "shield");
  if (o.cheaterRate !== undefined) design.p_detection = oracle.exact(f.flag(n, k, o.cheaterRate), m, "honest");
  return design;
}

interface Search {
  design: Design | null;
  /** The cheapest design without early acceptance (the first family's). */
  curtailed: Design | null;
  candidates: number;
  verified: number;
}

/**
 * The cheapest design under one s* bound over every check family, strictly cheaper than `seed` (a
 * design already known to meet the bound, or null); each family's search is pruned by the best so far.
 */
function cheapest(ctx: Context, space: PlanSpace, maxSkip: number, seed: Search | null): Search {
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
  const out: Search = { design: seed?.design ?? null, curtailed: seed?.curtailed ?? null, candidates: 0, verified: 0 };
  ctx.families.forEach((f, i) => {
    // The curtailed family against the curtailed seed (to report the best without early acceptance).
    const against = i === 0 ? out.curtailed : out.design;
    const incumbent = against?.curtailed_recomputes_honest ?? Number.POSITIVE_INFINITY;
    const searched = i === 0 ? space : { ...space, sampleSizes: space.sampleSizes.filter((n) => n <= EARLY_MAX_N) };
    const found = candidateDesigns(searched, constraints, ctx.oracle, f, ctx.holders, incumbent);
    out.candidates += found.candidates;
    out.verified += found.verified;
    if (found.best === null) return;
    const design = describe(ctx, f, found.best, maxSkip);
    if (i === 0) out.curtailed = design;
    if (out.design === null || design.curtailed_recomputes_honest < out.design.curtailed_recomputes_honest)
      out.design = design;
  });
  return out;
}

function constraintsOf(options: PlanOptions, maxSkip: number): Record<string, number | string | boolean> {
  const constraints: Record<string, number | string | boolean> = {
    max_false_conviction: options.maxFalseConviction,
    max_profitable_skip: maxSkip,
    early_acceptance: options.earlyAcceptance === true,
  };
  if (options.byzantineStake)
    constraints.byzantine_stake = `${options.byzantineStake.num}/${options.byzantineStake.den}`;
  if (options.maxFrame !== undefined) constraints.max_frame = options.maxFrame;
  if (options.maxShieldEscape !== undefined) constraints.max_shield_escape = options.maxShieldEscape;
  if (options.shieldRate !== undefined) constraints.shield_rate = options.shieldRate;
  if (options.minDetection !== undefined) constraints.min_detection = options.minDetection;
  if (options.cheaterRate !== undefined) constraints.cheater_rate = options.cheaterRate;
  return constraints;
}

function contextOf(options: PlanOptions, r0: number, positive: bigint[], space: PlanSpace): Context {
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
  const chunk = options.chunkSize ?? 20;
  const maxN = Math.max(1, ...space.sampleSizes.filter((n) => n <= EARLY_MAX_N));
  const lambdas = options.earlyAcceptance ? acceptanceGrid(options.honestRate).reverse() : [];
  const families = [curtailedFamily(r0, chunk), ...lambdas.map((l) => earlyFamily(r0, chunk, l, maxN))];
  return { options, r0, oracle, holders, chunk, families };
}

/**
 * Plans a design: the cheapest (honest recomputes) meeting every bound, with exact figures, and the
 * Pareto front of cost against s* over s* bounds tighter and looser than the one asked. Bounds are
 * searched from the tightest up: a design meeting a tighter bound meets every looser one, so it seeds
 * (prunes) the next search.
 * @example planDesigns({ stakes, honestRate: "0.02", maxFalseConviction: 1e-9, maxProfitableSkip: 0.02 }).best
 */
export function planDesigns(options: PlanOptions): Plan {
  const started = performance.now();
  const r0 = checkOptions(options);
  const positive = options.stakes.filter((s) => s > 0n);
  const space: PlanSpace = {
    slots: options.slots ?? DEFAULT_PLAN_SLOTS,
    sampleSizes: options.sampleSizes ?? DEFAULT_PLAN_SAMPLE_SIZES,
  };
  const ctx = contextOf(options, r0, positive, space);
  const maxSkip = options.maxProfitableSkip ?? 0.5;
  const bounds = [...new Set([...(options.frontSkips ?? DEFAULT_FRONT_SKIPS), maxSkip])].sort((a, b) => a - b);
  const front: Design[] = [];
  let main: Search | null = null;
  let seed: Search | null = null;
  for (const bound of bounds) {
    const found = cheapest(ctx, space, bound, seed);
    if (found.design) front.push(found.design);
    seed = found;
    if (bound === maxSkip) main = found;
    options.onProgress?.(`s* <= ${bound} done after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const pareto = front
    .sort((a, b) => a.curtailed_recomputes_honest - b.curtailed_recomputes_honest || a.s_star - b.s_star)
    .filter((d, i, all) => all.slice(0, i).every((e) => e.s_star > d.s_star));
  const plan: Plan = {
    validators: positive.length,
    honest_rate: options.honestRate,
    constraints: constraintsOf(options, maxSkip),
    candidates: main!.candidates,
    verified: main!.verified,
    best: main!.design,
    front: pareto,
    seconds: 0,
  };
  if (options.earlyAcceptance) plan.best_without_early_acceptance = main!.curtailed;
  plan.seconds = (performance.now() - started) / 1000;
  return plan;
}
