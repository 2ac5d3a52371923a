// When skipping pays (docs/protocol.md, "Coalitions and skipping"): a participant skipping a fraction
// s of its nonces mismatches at r(s) = r0 + (1 - r0) s and gains s; it pays iff P[convicted | r(s)] < s.
// s* is the largest s of the grid 0.0005, 0.0010, ..., 0.5 where it pays (0 when it never does).
import { binomialPValue } from "../core/index.js";
import { type ConvictionRule, convictionFromFlagging, exactWeights, flaggingStakeDistribution } from "./coalition.js";
import { COLORS, formatProbabilityTick, renderChart } from "./plot/index.js";
import { SimulationInputError } from "./simulate.js";

/** Grid points: s_i = i / SKIP_GRID_DEN for i = 1 .. SKIP_GRID_POINTS (0.0005 .. 0.5). */
export const SKIP_GRID_DEN = 2000;
export const SKIP_GRID_POINTS = 1000;

/** The grid of skipped fractions, exactly i / 2000. */
export function skipGrid(): number[] {
  return Array.from({ length: SKIP_GRID_POINTS }, (_, i) => (i + 1) / SKIP_GRID_DEN);
}

/** The mismatch rate of a participant that skips s of its nonces: skipped leaves always mismatch. */
export function skipRate(honestRate: number, s: number): number {
  return honestRate + (1 - honestRate) * s;
}

/** s* from P[convicted | r(s)] at every grid point (in grid order): the largest s with P < s, or 0. */
export function skipStar(pConvicted: readonly number[]): number {
  for (let i = pConvicted.length - 1; i >= 0; i--)
    if (pConvicted[i]! < (i + 1) / SKIP_GRID_DEN) return (i + 1) / SKIP_GRID_DEN;
  return 0;
}

export interface SkipCurveOptions {
  stakes: readonly bigint[];
  n: number;
  kCrit: number;
  honestRate: number;
  rule: ConvictionRule;
  /** Called after each exact point with the number computed (one flagging-stake DP each). */
  onProgress?: (done: number) => void;
}

export interface SkipCurve {
  n: number;
  k_crit: number;
  honest_rate: number;
  slots: number;
  /**
   * The grid points computed exactly, in order of s: the skipper's mismatch rate, its per-validator
   * flag probability, P[convicted]. Not every grid point: see skipCurve.
   */
  points: { s: number; rate: number; q: number; p_convicted: number }[];
  s_star: number;
}

/** Grid indices of the plotted points: s = 0.0005, 0.001, 0.0025, then every 0.005. */
export const SKIP_CURVE_COARSE: readonly number[] = [1, 2, 5, ...Array.from({ length: 100 }, (_, i) => 10 * (i + 1))];

/** Past this P[convicted] the plotted curve stops: it only grows with s, and s* lies below (s <= 0.5 < P). */
export const SKIP_CURVE_TOP = 1 - 1e-9;

/**
 * s* from exact points `known` (grid index -> P[convicted | r(s_i)]): P only grows with s, so a grid
 * point j between known points a < j < b has P(a) <= P(j) <= P(b); it pays for sure when P(b) < s_j,
 * never when P(a) >= s_j, and otherwise the gap is halved by one more exact point. Scans from the top.
 */
function searchSkipStar(known: Map<number, number>, evaluate: (i: number) => number): number {
  const at = (i: number) => i / SKIP_GRID_DEN;
  let j = SKIP_GRID_POINTS;
  while (j >= 1) {
    const p = known.get(j);
    if (p !== undefined) {
      if (p < at(j)) return at(j);
      j--;
      continue;
    }
    let a = 0;
    let b = SKIP_GRID_POINTS + 1;
    for (const i of known.keys()) {
      if (i < j && i > a) a = i;
      if (i > j && i < b) b = i;
    }
    const lower = a === 0 ? 0 : known.get(a)!;
    const upper = b > SKIP_GRID_POINTS ? 1 : known.get(b)!;
    if (upper < at(j)) return at(j);
    if (lower >= at(j)) {
      j--;
      continue;
    }
    evaluate(Math.ceil((a + j) / 2));
  }
  return 0;
}

/**
 * P[convicted | r(s)] exactly (one flagging-stake DP per point) at the coarse points SKIP_CURVE_COARSE
 * until P passes SKIP_CURVE_TOP, and s* exactly over the whole grid of 1,000 points by the monotone
 * search above, which adds the few points it needs near the crossing.
 */
export function skipCurve(options: SkipCurveOptions): SkipCurve {
  const { stakes, n, kCrit, honestRate, rule, onProgress } = options;
  if (!(honestRate > 0 && honestRate < 1)) {
    throw new SimulationInputError("honest-rate", `must be in (0, 1), got ${honestRate}`);
  }
  const { weights, total } = exactWeights(stakes);
  const known = new Map<number, number>();
  const points = new Map<number, SkipCurve["points"][number]>();
  const evaluate = (i: number): number => {
    const s = i / SKIP_GRID_DEN;
    const rate = skipRate(honestRate, s);
    const q = binomialPValue(kCrit, n, rate);
    const p = convictionFromFlagging(flaggingStakeDistribution(weights, q), total, rule);
    known.set(i, p);
    points.set(i, { s, rate, q, p_convicted: p });
    onProgress?.(known.size);
    return p;
  };
  for (const i of SKIP_CURVE_COARSE) if (evaluate(i) > SKIP_CURVE_TOP) break;
  const sStar = searchSkipStar(known, evaluate);
  return {
    n,
    k_crit: kCrit,
    honest_rate: honestRate,
    slots: rule.slots,
    points: [...points.keys()].sort((a, b) => a - b).map((i) => points.get(i)!),
    s_star: sStar,
  };
}

/** The skip curve against the break-even line P = s, s* marked, on log axes where skipping is cheap. */
export function skipSvg(curve: SkipCurve, validators: number): string {
  const shown = curve.points.filter((pt) => pt.p_convicted > 0);
  const yMin = Math.max(1e-12, Math.min(1e-4, ...shown.map((pt) => pt.p_convicted)));
  return renderChart({
    title: "When skipping nonces pays",
    subtitle: `${validators} validators, ${curve.slots === 0 ? "every validator checks" : `${curve.slots} slots`}, n ${curve.n}, k_crit ${curve.k_crit}, honest rate ${curve.honest_rate}: s* = ${curve.s_star}`,
    xLabel: "fraction s of nonces skipped",
    yLabel: "P[convicted | r(s)]",
    x: { min: 0, max: 0.5, format: (v) => `${Number((v * 100).toPrecision(3))}%` },
    y: {
      min: yMin,
      max: 1,
      log: true,
      format: formatProbabilityTick,
    },
    series: [
      {
        kind: "line",
        label: "P[convicted | r(s)]",
        color: COLORS.cheater,
        points: shown.map((pt): [number, number] => [pt.s, pt.p_convicted]),
        width: 2,
      },
      {
        kind: "line",
        label: "break-even: P = s (skipping pays below)",
        color: COLORS.honest,
        points: skipGrid()
          .filter((s) => s >= yMin)
          .map((s): [number, number] => [s, s]),
        dash: "5 3",
      },
    ],
    vlines: curve.s_star > 0 ? [{ at: curve.s_star, label: `s* = ${curve.s_star}` }] : [],
  });
}
