// The design planner (issue 13, item 4): for a stake distribution, an honest mismatch rate R0 and a
// cheater rate R1, search validation slots (0 = every validator), sample size and alpha, and keep the
// Pareto front of (recomputes per participant, P[false conviction], P[detection]).
import { binomialPValue, kCrit } from "../core/index.js";
import { exactNetwork } from "./network.js";
import { COLORS, renderChart } from "./plot/index.js";
import { SimulationInputError } from "./simulate.js";
import { cheaterSlotDistribution, expectedHolders, slotConviction } from "./slots.js";

export interface PlanOptions {
  stakes: readonly bigint[];
  /** The honest mismatch rate: the test's fp_rate (a calibration's fp_rate_upper), a decimal string. */
  honestRate: string;
  /** The cheater mismatch rate to catch. */
  cheaterRate: number;
  maxFalseConviction: number;
  minDetection: number;
  slots?: readonly number[];
  sampleSizes?: readonly number[];
  alphas?: readonly string[];
  /** Curtailed checks stop at multiples of this (check.chunkSize). */
  chunkSize?: number;
  /** Grid units of the stake distribution for slots 0 (all validators); its error is reported as bounds. */
  gridUnits?: number;
}

export interface Design {
  /** 0: every validator checks (version 1). */
  slots: number;
  n: number;
  alpha: string;
  k_crit: number;
  p_false_conviction: number;
  p_detection: number;
  /** Expected leaves recomputed per participant by all validators together, without curtailment. */
  recomputes_per_participant: number;
  /** The same with curtailed checks, for an honest participant and for a cheater at R1. */
  curtailed_recomputes_honest: number;
  curtailed_recomputes_cheater: number;
  expected_checkers: number;
}

export interface Plan {
  validators: number;
  honest_rate: string;
  cheater_rate: number;
  max_false_conviction: number;
  min_detection: number;
  /** Every design of the search, for the record. */
  evaluated: number;
  /** The Pareto front, cheapest first. */
  designs: Design[];
  /** The cheapest design meeting both bounds (ties: lower false conviction), or null. */
  best: Design | null;
}

export const DEFAULT_PLAN_SLOTS = [0, 1, 3, 5, 7, 9, 11, 15, 21, 25, 31, 41, 51, 63];
export const DEFAULT_PLAN_SAMPLE_SIZES = [20, 40, 60, 80, 100, 150, 200, 300, 400];
export const DEFAULT_PLAN_ALPHAS = ["0.001", "0.01", "0.05", "0.1", "0.2"];

/**
 * Expected leaves checked by a curtailed check (docs/protocol.md): in chunks of `chunk`, stopping once
 * mismatches >= k (CHEATER) or mismatches + (n - checked) < k (HONEST); each leaf mismatches with `rate`.
 * @example expectedCurtailedChecks(200, 8, 0.02, 20) // about 120
 */
export function expectedCurtailedChecks(n: number, k: number, rate: number, chunk: number): number {
  if (k > n) return 0; // never CHEATER: HONEST before checking anything
  if (k <= 0) return 0;
  // dist[x] = P[undecided with x mismatches after t checks]
  let dist = new Float64Array(k);
  dist[0] = 1;
  let expected = 0;
  let t = 0;
  // Decided before the first leaf when even n mismatches cannot reach k (handled above) .
  while (t < n) {
    const size = Math.min(chunk, n - t);
    const undecided = dist.reduce((a, b) => a + b, 0);
    if (undecided === 0) break;
    expected += undecided * size;
    const pmf = Float64Array.from({ length: size + 1 }, (_, j) =>
      j === 0 ? (1 - rate) ** size : Math.exp(logChoose(size, j) + j * Math.log(rate) + (size - j) * Math.log1p(-rate)),
    );
    const next = new Float64Array(k);
    t += size;
    for (let x = 0; x < k; x++) {
      const v = dist[x]!;
      if (v === 0) continue;
      for (let j = 0; j <= size && x + j < k; j++) {
        // still open iff x + j < k and x + j + (n - t) >= k
        if (x + j + (n - t) >= k) next[x + j]! += v * pmf[j]!;
      }
    }
    dist = next;
  }
  return expected;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log((n - i) / (i + 1));
  return s;
}

/** Pareto front: no other design is at most as costly, at most as false-convicting and at least as detecting, better in one. */
function paretoFront(designs: Design[]): Design[] {
  const sorted = [...designs].sort(
    (a, b) =>
      a.recomputes_per_participant - b.recomputes_per_participant ||
      a.p_false_conviction - b.p_false_conviction ||
      b.p_detection - a.p_detection,
  );
  const front: Design[] = [];
  for (const d of sorted) {
    const dominated = front.some(
      (f) =>
        f.recomputes_per_participant <= d.recomputes_per_participant &&
        f.p_false_conviction <= d.p_false_conviction &&
        f.p_detection >= d.p_detection,
    );
    if (!dominated) front.push(d);
  }
  return front;
}

/**
 * Plans a design: every (slots, n, alpha) of the grids, exact k_crit per (n, alpha), exact slot
 * conviction probabilities (one DP pass per vote probability serves every slot count), and for
 * slots 0 the stake-weighted network with the false conviction taken at its upper and the detection
 * at its lower discretisation bound.
 */
export function planDesigns(options: PlanOptions): Plan {
  const {
    stakes,
    honestRate,
    cheaterRate,
    maxFalseConviction,
    minDetection,
    slots = DEFAULT_PLAN_SLOTS,
    sampleSizes = DEFAULT_PLAN_SAMPLE_SIZES,
    alphas = DEFAULT_PLAN_ALPHAS,
    chunkSize = 20,
    gridUnits = 1 << 16,
  } = options;
  const r0 = Number(honestRate);
  if (!(r0 > 0 && r0 < 1)) throw new SimulationInputError("honest-rate", `must be in (0, 1), got ${honestRate}`);
  if (!(cheaterRate > r0 && cheaterRate <= 1)) {
    throw new SimulationInputError("cheater-rate", `must exceed the honest rate ${honestRate} and be <= 1`);
  }
  const positive = stakes.filter((s) => s > 0n);
  const maxSlots = Math.max(1, ...slots);
  const holders = new Map(slots.map((m) => [m, expectedHolders(positive, m)]));
  // Vote probabilities depend only on (n, k): cache the per-q conviction figures.
  const slotRows = new Map<number, Float64Array[]>();
  const rowsFor = (q: number) => {
    let rows = slotRows.get(q);
    if (rows === undefined) {
      rows = cheaterSlotDistribution(positive, maxSlots, q);
      slotRows.set(q, rows);
    }
    return rows;
  };
  const network = new Map<number, [number, number]>();
  const networkFor = (q: number): [number, number] => {
    let bounds = network.get(q);
    if (bounds === undefined) {
      const e = exactNetwork(positive, q, 0.5, gridUnits);
      bounds = [e.pConvictedBounds[0], e.pConvictedBounds[1]];
      network.set(q, bounds);
    }
    return bounds;
  };
  const designs: Design[] = [];
  for (const n of sampleSizes) {
    for (const alpha of alphas) {
      const k = kCrit(n, honestRate, alpha);
      if (k > n) continue; // never convicts
      const q0 = binomialPValue(k, n, r0);
      const q1 = binomialPValue(k, n, cheaterRate);
      const curtailed0 = expectedCurtailedChecks(n, k, r0, chunkSize);
      const curtailed1 = expectedCurtailedChecks(n, k, cheaterRate, chunkSize);
      for (const m of slots) {
        let pFalse: number;
        let pDetect: number;
        if (m === 0) {
          pFalse = networkFor(q0)[1];
          pDetect = networkFor(q1)[0];
        } else {
          pFalse = slotConviction(rowsFor(q0)[m]!);
          pDetect = slotConviction(rowsFor(q1)[m]!);
        }
        const checkers = holders.get(m)!;
        designs.push({
          slots: m,
          n,
          alpha,
          k_crit: k,
          p_false_conviction: pFalse,
          p_detection: pDetect,
          recomputes_per_participant: checkers * n,
          curtailed_recomputes_honest: checkers * curtailed0,
          curtailed_recomputes_cheater: checkers * curtailed1,
          expected_checkers: checkers,
        });
      }
    }
  }
  const front = paretoFront(designs);
  const meeting = designs
    .filter((d) => d.p_false_conviction <= maxFalseConviction && d.p_detection >= minDetection)
    .sort(
      (a, b) =>
        a.recomputes_per_participant - b.recomputes_per_participant || a.p_false_conviction - b.p_false_conviction,
    );
  return {
    validators: positive.length,
    honest_rate: honestRate,
    cheater_rate: cheaterRate,
    max_false_conviction: maxFalseConviction,
    min_detection: minDetection,
    evaluated: designs.length,
    designs: front,
    best: meeting[0] ?? null,
  };
}

/**
 * The front as a figure: P[detection] (line) and P[false conviction] (dashed, log10 on the same 0..1
 * axis as -log10(p)/20) against recomputes per participant; the best design marked.
 */
export function planSvg(plan: Plan): string {
  const front = plan.designs;
  const maxX = Math.max(1, ...front.map((d) => d.recomputes_per_participant));
  const detection: [number, number][] = front.map((d) => [d.recomputes_per_participant, d.p_detection]);
  const falseConv: [number, number][] = front.map((d) => [
    d.recomputes_per_participant,
    Math.min(1, -Math.log10(Math.max(d.p_false_conviction, 1e-300)) / 20),
  ]);
  return renderChart({
    title: "Validation designs on the Pareto front",
    subtitle: `${plan.validators} validators, honest rate ${plan.honest_rate}, cheater rate ${plan.cheater_rate}${plan.best ? `; best: ${plan.best.slots} slots, n ${plan.best.n}, alpha ${plan.best.alpha}` : "; no design meets both bounds"}`,
    xLabel: "recomputes per participant (all validators)",
    yLabel: "P[detection]; dashed: -log10 P[false conviction] / 20",
    x: { min: 0, max: maxX * 1.05, format: (v) => String(Math.round(v)) },
    y: { min: 0, max: 1 },
    series: [
      { kind: "line", label: "P[detection]", color: COLORS.cheater, points: detection, width: 1.6 },
      { kind: "line", label: "-log10 P[false conviction] / 20", color: COLORS.honest, points: falseConv, dash: "5 3" },
    ],
    hlines: [{ at: plan.min_detection, label: `min detection ${plan.min_detection}` }],
    vlines: plan.best ? [{ at: plan.best.recomputes_per_participant, label: "best" }] : [],
  });
}
