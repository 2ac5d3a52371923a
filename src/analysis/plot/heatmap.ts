// A dependency-free SVG heatmap of a square matrix with a colour bar.
import { COLORS, textOnViridis, viridis } from "./colors.js";
import { el, svgDocument, text } from "./svg.js";

export interface HeatmapSpec {
  title: string;
  subtitle?: string;
  labels: string[];
  /** values[i][j]; null cells (no data, or the diagonal) are left grey. */
  values: (number | null)[][];
  /** Colour bar caption. */
  valueLabel: string;
  format?: (v: number) => string;
}

/**
 * A square matrix as coloured cells (viridis from the smallest to the largest value) with the
 * value written in each cell, row and column labels and a colour bar.
 */
export function renderHeatmap(spec: HeatmapSpec): string {
  const n = spec.labels.length;
  const fmt = spec.format ?? ((v: number) => v.toFixed(3));
  const labelW = Math.max(60, ...spec.labels.map((l) => l.length * 7.5)) + 16;
  const cell = Math.max(56, Math.min(96, Math.floor(560 / Math.max(1, n))));
  const left = labelW;
  const top = 70;
  const gridW = cell * n;
  // Column labels are rotated, so the bottom margin grows with the longest label.
  const bottomPad = Math.max(60, Math.max(...spec.labels.map((l) => l.length)) * 6.5 + 20);
  const width = left + gridW + 120;
  const height = top + gridW + bottomPad;
  const finite = spec.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length > 0 ? Math.min(...finite) : 0;
  const hi = finite.length > 0 ? Math.max(...finite) : 1;
  const t = (v: number): number => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const body: string[] = [text(16, 26, spec.title, { "font-size": 17, "font-weight": "bold", fill: "#111111" })];
  if (spec.subtitle) body.push(text(16, 46, spec.subtitle, { "font-size": 12, fill: COLORS.muted }));
  for (let i = 0; i < n; i++) {
    body.push(
      text(left - 8, top + i * cell + cell / 2 + 4, spec.labels[i]!, { "text-anchor": "end", "font-size": 12 }),
    );
    const cx = left + i * cell + cell / 2;
    const cy = top + gridW + 10;
    body.push(
      text(cx, cy, spec.labels[i]!, {
        "text-anchor": "end",
        "font-size": 12,
        transform: `rotate(-40 ${cx} ${cy})`,
        dy: 4,
      }),
    );
    for (let j = 0; j < n; j++) {
      const v = spec.values[i]?.[j] ?? null;
      const x = left + j * cell;
      const y = top + i * cell;
      const fill = v === null ? "#f0f0f0" : viridis(t(v));
      body.push(el("rect", { x, y, width: cell, height: cell, fill, stroke: "#ffffff", "stroke-width": 1.5 }));
      if (v !== null) {
        body.push(
          text(x + cell / 2, y + cell / 2 + 4, fmt(v), {
            "text-anchor": "middle",
            "font-size": 12,
            fill: textOnViridis(t(v)),
          }),
        );
      }
    }
  }
  // Colour bar.
  const barX = left + gridW + 30;
  const barH = gridW;
  const steps = 40;
  for (let s = 0; s < steps; s++) {
    body.push(
      el("rect", {
        x: barX,
        y: top + (barH * (steps - 1 - s)) / steps,
        width: 16,
        height: barH / steps + 0.5,
        fill: viridis(s / (steps - 1)),
      }),
    );
  }
  body.push(el("rect", { x: barX, y: top, width: 16, height: barH, fill: "none", stroke: COLORS.axis }));
  body.push(text(barX + 22, top + 8, fmt(hi), { "font-size": 11 }));
  body.push(text(barX + 22, top + barH, fmt(lo), { "font-size": 11 }));
  body.push(
    text(0, 0, spec.valueLabel, {
      "text-anchor": "middle",
      "font-size": 12,
      transform: `translate(${barX + 72} ${top + barH / 2}) rotate(90)`,
    }),
  );
  return svgDocument(width, height, body);
}
