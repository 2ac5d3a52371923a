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
  /** Called after each grid point with the number done (the exact DP takes a second on large networks). */
  onProgress?: (done: number) => void;
}

export interface SkipCurve {
  n: number;
  k_crit: number;
  honest_rate: number;
  slots: number;
  /** One point per grid s: the skipper's mismatch rate, its per-validator flag probability, P[convicted]. */
  points: { s: number; rate: number; q: number; p_convicted: number }[];
  s_star: number;
}

/**
 * P[convicted | r(s)] exactly at every grid point: one flagging-stake DP per point, until the
 * probability reaches 1 (it only grows with s), then 1.
 */
export function skipCurve(options: SkipCurveOptions): SkipCurve {
  const { stakes, n, kCrit, honestRate, rule, onProgress } = options;
  if (!(honestRate > 0 && honestRate < 1)) {
    throw new SimulationInputError("honest-rate", `must be in (0, 1), got ${honestRate}`);
  }
  const { weights, total } = exactWeights(stakes);
  const points: SkipCurve["points"] = [];
  let reachedOne = false;
  for (const s of skipGrid()) {
    const rate = skipRate(honestRate, s);
    const q = binomialPValue(kCrit, n, rate);
    const p: number = reachedOne ? 1 : convictionFromFlagging(flaggingStakeDistribution(weights, q), total, rule);
    reachedOne = p >= 1;
    points.push({ s, rate, q, p_convicted: p });
    onProgress?.(points.length);
  }
  return {
    n,
    k_crit: kCrit,
    honest_rate: honestRate,
    slots: rule.slots,
    points,
    s_star: skipStar(points.map((pt) => pt.p_convicted)),
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
        points: curve.points.filter((pt) => pt.s >= yMin).map((pt): [number, number] => [pt.s, pt.s]),
        dash: "5 3",
      },
    ],
    vlines: curve.s_star > 0 ? [{ at: curve.s_star, label: `s* = ${curve.s_star}` }] : [],
  });
}
