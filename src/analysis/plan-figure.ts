// The planner's figure: the Pareto front of cost against s* (docs/protocol.md), on both sides of the
// asked s* bound (the front holds tighter bounds when asked for), the best design marked.
import type { Plan } from "./plan.js";
import { COLORS, renderChart } from "./plot/index.js";

/** Curtailed honest recomputes per participant (and the full sample, dashed) against s*. */
export function planSvg(plan: Plan): string {
  const front = [...plan.front].sort((a, b) => a.s_star - b.s_star);
  const maxY = Math.max(1, ...front.map((d) => d.recomputes_per_participant));
  const best = plan.best;
  return renderChart({
    title: "Cheapest safe designs: cost against s*",
    subtitle: `${plan.validators} validators, honest rate ${plan.honest_rate}${best ? `; best: ${best.slots} slots, n ${best.n}, k_crit ${best.k_crit}, ${Math.round(best.curtailed_recomputes_honest)} recomputes` : "; no design meets every bound"}`,
    xLabel: "s*: the largest skipped fraction that pays",
    yLabel: "recomputes per participant",
    x: {
      min: 0,
      max: Math.max(0.01, ...front.map((d) => d.s_star)) * 1.1,
      format: (v) => `${Number((v * 100).toPrecision(3))}%`,
    },
    y: { min: 0, max: maxY * 1.1, format: (v) => String(Math.round(v)) },
    series: [
      {
        kind: "line",
        label: "curtailed, honest participant",
        color: COLORS.honest,
        points: front.map((d): [number, number] => [d.s_star, d.curtailed_recomputes_honest]),
        width: 2,
      },
      {
        kind: "line",
        label: "full sample (E[holders] x n)",
        color: COLORS.cheater,
        points: front.map((d): [number, number] => [d.s_star, d.recomputes_per_participant]),
        dash: "5 3",
      },
    ],
    vlines: best
      ? [{ at: best.s_star, label: `best${best.acceptance_rate === null ? "" : `, lambda ${best.acceptance_rate}`}` }]
      : [],
  });
}
