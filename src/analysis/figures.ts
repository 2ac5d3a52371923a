// The calibration report's figures as SVG: distance histograms, the pair heatmap, the threshold.
import { percentile } from "../core/index.js";
import type { Calibration, PairSummary } from "./calibrate.js";
import { COLORS, renderChart, renderHeatmap, type Series } from "./plot/index.js";

/** Counts of values per bin of [lo, hi) split in `bins`; values beyond hi go to the last bin. */
export function histogram(
  values: ArrayLike<number>,
  lo: number,
  hi: number,
  bins: number,
): { edges: number[]; counts: number[] } {
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i]! - lo) / width);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return { edges, counts };
}

function pooled(pairs: readonly PairSummary[]): Float64Array {
  const out = new Float64Array(pairs.reduce((s, p) => s + p.n, 0));
  let o = 0;
  for (const p of pairs) {
    out.set(p.distances, o);
    o += p.n;
  }
  return out;
}

/** Mean distance per pair as a symmetric matrix over the servers in the given order. */
export function heatmapSvg(c: Calibration, servers: readonly string[]): string {
  const index = new Map(servers.map((s, i) => [s, i]));
  const values: (number | null)[][] = servers.map(() => servers.map(() => null));
  for (const p of c.pairs) {
    const i = index.get(p.a)!;
    const j = index.get(p.b)!;
    values[i]![j] = p.mean;
    values[j]![i] = p.mean;
  }
  return renderHeatmap({
    title: "Pairwise distance between servers",
    subtitle: "mean L2 distance over shared nonces, same nonce on both servers",
    labels: [...servers],
    values,
    valueLabel: "mean L2 distance",
    format: (v) => v.toFixed(3),
  });
}

/** Density histograms of the pooled honest and cheater distances with the threshold. */
export function separationSvg(c: Calibration): string {
  const honest = pooled(c.pairs.filter((p) => p.cluster === "honest"));
  const cheater = pooled(c.pairs.filter((p) => p.cluster === "cheater"));
  const all = new Float64Array(honest.length + cheater.length);
  all.set(honest);
  all.set(cheater, honest.length);
  // The far tail (a few distances up to ~1.5 in the report) would squash the bulk: clip at the 99.5th percentile.
  const hi = Math.max(c.threshold * 1.5, percentile(all, 99.5));
  const bins = 70;
  const series: Series[] = [];
  let yMax = 0;
  const clipped = all.reduce((n, x) => (x >= hi ? n + 1 : n), 0);
  for (const [label, color, values] of [
    [`honest pairs (${honest.length} distances)`, COLORS.honest, honest],
    [`cheater pairs (${cheater.length} distances)`, COLORS.cheater, cheater],
  ] as const) {
    if (values.length === 0) continue;
    const { edges, counts } = histogram(values, 0, hi, bins);
    const heights = counts.map((k) => k / values.length / (hi / bins));
    yMax = Math.max(yMax, ...heights);
    series.push({ kind: "bars", label, color, edges, heights, opacity: 0.5 });
  }
  return renderChart({
    title: "Honest versus cheater distances",
    subtitle: `density of per-nonce L2 distances; ${clipped} distances beyond ${hi.toFixed(3)} are counted in the last bin`,
    xLabel: "L2 distance between the two servers' vectors for the same nonce",
    yLabel: "density",
    x: { min: 0, max: hi },
    y: { min: 0, max: yMax * 1.08 },
    series,
    vlines: [{ at: c.threshold, label: `threshold ${c.threshold.toFixed(4)}` }],
  });
}

/**
 * Share of each pair's distances above x (log scale), with the threshold and the nominal
 * false-positive rate; with `other` (the other policy's calibration) both thresholds side by side.
 */
export function thresholdSvg(c: Calibration, other?: Calibration): string {
  const maxN = Math.max(...c.pairs.map((p) => p.n));
  const yMin = 10 ** Math.floor(Math.log10(1 / maxN));
  const all = pooled(c.pairs);
  const hi = Math.max(c.threshold * 2, percentile(all, 99.9));
  const steps = 240;
  const series: Series[] = c.pairs.map((p) => {
    const sorted = Float64Array.from(p.distances).sort();
    const points: [number, number][] = [];
    let k = 0;
    for (let s = 0; s <= steps; s++) {
      const x = (hi * s) / steps;
      while (k < sorted.length && sorted[k]! <= x) k++;
      const share = (sorted.length - k) / sorted.length;
      // Stop at the pair's largest distance: the log axis has no zero.
      if (share === 0) break;
      points.push([x, share]);
    }
    return {
      kind: "line",
      label: `${p.a} vs ${p.b}`,
      color: p.cluster === "honest" ? COLORS.honest : COLORS.cheater,
      points,
      width: 1.8,
      opacity: 0.85,
      hideInLegend: true,
    };
  });
  const cheaters = c.pairs.filter((p) => p.cluster === "cheater");
  const cheaterAbove =
    cheaters.reduce((s, p) => s + p.mismatches, 0) /
    Math.max(
      1,
      cheaters.reduce((s, p) => s + p.n, 0),
    );
  return renderChart({
    title: "Threshold over the distance distributions",
    subtitle:
      `share of each pair's distances above x; at the threshold: honest ${(c.fpRate * 100).toFixed(2)}%` +
      (cheaters.length > 0 ? `, cheater ${(cheaterAbove * 100).toFixed(1)}%` : ""),
    xLabel: "L2 distance x",
    yLabel: "share of distances above x",
    x: { min: 0, max: hi },
    y: { min: yMin, max: 1, log: true, format: (v) => `${Number((v * 100).toPrecision(3))}%` },
    series,
    shade: { from: c.threshold, to: Number.POSITIVE_INFINITY, color: COLORS.cheater, opacity: 0.06 },
    vlines: [
      {
        at: c.threshold,
        label: `${c.policy} threshold ${c.threshold.toFixed(4)} (fp_rate_upper ${(c.fpRateUpper * 100).toFixed(2)}%)`,
      },
      ...(other && other.threshold !== c.threshold
        ? [
            {
              at: other.threshold,
              label: `${other.policy} ${other.threshold.toFixed(4)} (${(other.fpRateUpper * 100).toFixed(2)}%)`,
              color: COLORS.muted,
              dash: "6 4",
            },
          ]
        : []),
    ],
    hlines: [
      {
        at: c.nominalFpRate,
        label: `nominal false-positive rate ${(c.nominalFpRate * 100).toFixed(1)}%`,
        color: COLORS.muted,
      },
    ],
    legendExtra: [
      { label: `honest pair (${c.pairs.length - cheaters.length})`, color: COLORS.honest },
      ...(cheaters.length > 0 ? [{ label: `cheater pair (${cheaters.length})`, color: COLORS.cheater }] : []),
    ],
  });
}
