// The figures of `pocval simulate` (single validator and network) as SVG or PNG.
import { writeFile } from "node:fs/promises";
import type { NetworkResult } from "./network.js";
import { COLORS, formatProbabilityTick, renderChart, svgToPng } from "./plot/index.js";
import type { SingleResult } from "./simulate.js";
import { formatProbability } from "./table.js";

const percent = (v: number): string => `${Number((v * 100).toPrecision(3))}%`;

/** The single-validator sweep: p-value against the mismatch count on a log axis, alpha and k_crit marked. */
export function singleSvg(r: SingleResult): string {
  const smallest = Math.min(...r.rows.map((row) => row.pValue).filter((p) => p > 0));
  const yMin = Math.max(1e-15, Math.min(r.alpha / 10, smallest));
  const kMax = r.rows[r.rows.length - 1]!.k;
  return renderChart({
    title: "A validator's p-value as the mismatch count grows",
    subtitle: `N = ${r.n} checks, honest mismatch rate ${percent(r.fpRate)}: one-sided binomial test, vote cheater iff p < ${r.alpha}`,
    xLabel: "mismatches k among the N checks",
    yLabel: "p-value P[X >= k]",
    x: { min: 0, max: Math.max(1, kMax) },
    y: {
      min: yMin,
      max: 1,
      log: true,
      format: formatProbabilityTick,
    },
    series: [
      {
        kind: "line",
        label: "p-value",
        color: COLORS.honest,
        points: r.rows.filter((row) => row.pValue > 0).map((row): [number, number] => [row.k, row.pValue]),
        width: 2.2,
        hideInLegend: true,
      },
    ],
    hlines: [{ at: r.alpha, label: `alpha ${r.alpha}`, color: COLORS.cheater }],
    vlines: r.kCrit <= kMax ? [{ at: r.kCrit, label: `k_crit = ${r.kCrit}` }] : [],
  });
}

/** The stake share voting cheater: exact distribution as bars, Monte Carlo as a step line, the quorum marked. */
export function networkSvg(r: NetworkResult): string {
  const bins = r.exact.shareHistogram.length;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i / bins);
  const mcPoints: [number, number][] = r.monteCarlo.shareHistogram.flatMap((h, b): [number, number][] => [
    [b / bins, h],
    [(b + 1) / bins, h],
  ]);
  const yMax = Math.max(...r.exact.shareHistogram, ...r.monteCarlo.shareHistogram);
  const mc = r.monteCarlo;
  return renderChart({
    title: "Stake share voting cheater",
    subtitle: `${r.validators} validators, true mismatch rate ${percent(r.rate)}: each votes cheater with P = ${r.detectionProbability.toFixed(4)}`,
    xLabel: "share of all stake voting cheater",
    yLabel: `probability per ${percent(1 / bins)} bin`,
    x: { min: 0, max: 1, format: (v) => `${Math.round(v * 100)}%` },
    y: { min: 0, max: yMax * 1.1 },
    series: [
      {
        kind: "bars",
        label: `exact: P[convicted] = ${formatProbability(r.exact.pConvicted)}`,
        color: COLORS.honest,
        edges,
        heights: r.exact.shareHistogram,
        opacity: 0.45,
      },
      {
        kind: "line",
        label: `Monte Carlo, ${mc.rounds.toLocaleString("en-US")} rounds: ${formatProbability(mc.pConvicted)}`,
        color: COLORS.cheater,
        points: mcPoints,
        width: 1.6,
      },
    ],
    vlines: [{ at: r.quorum, label: `quorum: convicted above ${percent(r.quorum)}` }],
  });
}

/** Writes an SVG as FILE (.svg) or renders it to PNG (.png). */
export async function writeFigure(file: string, svg: string): Promise<void> {
  await writeFile(file, file.toLowerCase().endsWith(".png") ? svgToPng(svg) : svg);
}
