// A dependency-free SVG chart: bars and lines over linear or log axes, reference lines, a legend.
import { COLORS } from "./colors.js";
import { formatTick, type LinearScale, linearScale, niceTicks } from "./scale.js";
import { el, svgDocument, text } from "./svg.js";

/** Filled bars over bin edges (a histogram): heights[i] spans edges[i]..edges[i + 1]. */
export interface BarSeries {
  kind: "bars";
  label: string;
  color: string;
  edges: number[];
  heights: number[];
  opacity?: number;
}

/** A polyline through points, optionally as a step function. */
export interface LineSeries {
  kind: "line";
  label: string;
  color: string;
  points: [number, number][];
  width?: number;
  dash?: string;
  opacity?: number;
  /** Leave it out of the legend (many lines of one kind share one entry). */
  hideInLegend?: boolean;
}

export type Series = BarSeries | LineSeries;

/** A vertical or horizontal reference line with a label at its end. */
export interface ReferenceLine {
  at: number;
  label: string;
  color?: string;
  dash?: string;
}

export interface ChartSpec {
  width?: number;
  height?: number;
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  x: { min: number; max: number; format?: (v: number) => string };
  /** Log axes show powers of ten; their min must be positive. */
  y: { min: number; max: number; log?: boolean; format?: (v: number) => string };
  series: Series[];
  vlines?: ReferenceLine[];
  hlines?: ReferenceLine[];
  /** Extra legend entries (for series hidden in the legend). */
  legendExtra?: { label: string; color: string; dash?: string }[];
  /** Shaded span of x, e.g. the region above a threshold. */
  shade?: { from: number; to: number; color: string; opacity?: number };
}

// A white outline under reference labels keeps them readable where they cross the data.
const HALO = { stroke: "#ffffff", "stroke-width": 3.5, "paint-order": "stroke", "stroke-linejoin": "round" } as const;

const MARGIN = { top: 58, right: 24, bottom: 58, left: 78 };

function yAxis(
  spec: ChartSpec,
  top: number,
  bottom: number,
): { scale: LinearScale; ticks: number[]; labels: string[] } {
  const { y } = spec;
  if (y.log) {
    const lo = Math.floor(Math.log10(y.min));
    const hi = Math.ceil(Math.log10(y.max));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    const scale = linearScale([lo, hi], [bottom, top]);
    const wrapped = ((v: number) => scale(Math.log10(Math.max(v, 10 ** lo)))) as LinearScale;
    wrapped.domain = [10 ** lo, 10 ** hi];
    wrapped.range = scale.range;
    return {
      scale: wrapped,
      ticks: ticks.map((t) => 10 ** t),
      labels: ticks.map((t) => (y.format ? y.format(10 ** t) : `1e${t}`)),
    };
  }
  const { ticks, domain } = niceTicks(y.min, y.max, 5);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  return {
    scale: linearScale(domain, [bottom, top]),
    ticks,
    labels: ticks.map((t) => (y.format ? y.format(t) : formatTick(t, step))),
  };
}

/**
 * An x-y chart as SVG: title, axes with round ticks and grid lines, axis labels, bars and
 * lines, reference lines and a legend in the upper right corner of the plot.
 */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 820;
  const height = spec.height ?? 500;
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const xt = niceTicks(spec.x.min, spec.x.max, 8);
  const xStep = xt.ticks.length > 1 ? xt.ticks[1]! - xt.ticks[0]! : 1;
  const x = linearScale(xt.domain, [left, right]);
  const yAx = yAxis(spec, top, bottom);
  const y = yAx.scale;
  const clampY = (v: number): number => Math.min(bottom, Math.max(top, y(v)));
  const clampX = (v: number): number => Math.min(right, Math.max(left, x(v)));
  const body: string[] = [];

  body.push(text(left, 24, spec.title, { "font-size": 17, "font-weight": "bold", fill: "#111111" }));
  if (spec.subtitle) body.push(text(left, 44, spec.subtitle, { "font-size": 12, fill: COLORS.muted }));

  // Grid and ticks.
  for (const [i, t] of yAx.ticks.entries()) {
    const py = y(t);
    body.push(el("line", { x1: left, x2: right, y1: py, y2: py, stroke: COLORS.grid }));
    body.push(text(left - 8, py + 4, yAx.labels[i]!, { "text-anchor": "end", "font-size": 11, fill: COLORS.axis }));
  }
  for (const t of xt.ticks) {
    const px = x(t);
    body.push(el("line", { x1: px, x2: px, y1: top, y2: bottom, stroke: COLORS.grid }));
    const label = spec.x.format ? spec.x.format(t) : formatTick(t, xStep);
    body.push(text(px, bottom + 18, label, { "text-anchor": "middle", "font-size": 11, fill: COLORS.axis }));
  }

  if (spec.shade) {
    const x0 = clampX(spec.shade.from);
    const x1 = clampX(spec.shade.to);
    body.push(
      el("rect", {
        x: x0,
        y: top,
        width: Math.max(0, x1 - x0),
        height: bottom - top,
        fill: spec.shade.color,
        "fill-opacity": spec.shade.opacity ?? 0.08,
      }),
    );
  }

  for (const s of spec.series) {
    if (s.kind === "bars") {
      const rects = s.heights.map((h, i) => {
        const x0 = x(s.edges[i]!);
        const x1 = x(s.edges[i + 1]!);
        const py = clampY(h);
        return el("rect", { x: x0, y: py, width: Math.max(0.5, x1 - x0), height: bottom - py });
      });
      body.push(
        el("g", { fill: s.color, "fill-opacity": s.opacity ?? 0.55, stroke: s.color, "stroke-width": 0.4 }, rects),
      );
    } else if (s.points.length > 0) {
      const d = s.points
        .map(([px, py], i) => `${i === 0 ? "M" : "L"}${x(px).toFixed(2)},${clampY(py).toFixed(2)}`)
        .join("");
      body.push(
        el("path", {
          d,
          fill: "none",
          stroke: s.color,
          "stroke-width": s.width ?? 2,
          "stroke-dasharray": s.dash,
          "stroke-opacity": s.opacity,
          "stroke-linejoin": "round",
        }),
      );
    }
  }

  for (const h of spec.hlines ?? []) {
    const py = y(h.at);
    const color = h.color ?? COLORS.threshold;
    body.push(el("line", { x1: left, x2: right, y1: py, y2: py, stroke: color, "stroke-dasharray": h.dash ?? "4 4" }));
    body.push(text(right - 6, py - 5, h.label, { "font-size": 11, fill: color, "text-anchor": "end", ...HALO }));
  }
  for (const v of spec.vlines ?? []) {
    const px = x(v.at);
    const color = v.color ?? COLORS.threshold;
    body.push(
      el("line", {
        x1: px,
        x2: px,
        y1: top,
        y2: bottom,
        stroke: color,
        "stroke-width": 1.6,
        "stroke-dasharray": v.dash ?? "6 4",
      }),
    );
    body.push(text(px + 5, top + 14, v.label, { "font-size": 12, fill: color, ...HALO }));
  }

  // Axes over everything else.
  body.push(el("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: COLORS.axis }));
  body.push(el("line", { x1: left, x2: left, y1: top, y2: bottom, stroke: COLORS.axis }));
  body.push(text((left + right) / 2, height - 16, spec.xLabel, { "text-anchor": "middle", fill: "#111111" }));
  body.push(
    text(0, 0, spec.yLabel, {
      "text-anchor": "middle",
      transform: `translate(20 ${(top + bottom) / 2}) rotate(-90)`,
      fill: "#111111",
    }),
  );

  const entries = [
    ...spec.series
      .filter((s) => !(s.kind === "line" && s.hideInLegend))
      .map((s) => ({
        label: s.label,
        color: s.color,
        bar: s.kind === "bars",
        dash: s.kind === "line" ? s.dash : undefined,
      })),
    ...(spec.legendExtra ?? []).map((e) => ({ ...e, bar: false })),
  ];
  if (entries.length > 0) body.push(legend(entries, right - 10, top + 28));
  return svgDocument(width, height, body);
}

function legend(
  entries: { label: string; color: string; bar: boolean; dash?: string }[],
  rightX: number,
  topY: number,
): string {
  const rowH = 20;
  // DejaVu Sans at 12px averages about 7 px per character.
  const w = 40 + Math.max(...entries.map((e) => e.label.length)) * 7;
  const x0 = rightX - w;
  const parts = [
    el("rect", {
      x: x0,
      y: topY,
      width: w,
      height: entries.length * rowH + 10,
      fill: "#ffffff",
      "fill-opacity": 0.9,
      stroke: "#cccccc",
      rx: 4,
    }),
  ];
  entries.forEach((e, i) => {
    const cy = topY + 15 + i * rowH;
    parts.push(
      e.bar
        ? el("rect", {
            x: x0 + 10,
            y: cy - 6,
            width: 16,
            height: 12,
            fill: e.color,
            "fill-opacity": 0.6,
            stroke: e.color,
          })
        : el("line", {
            x1: x0 + 8,
            x2: x0 + 28,
            y1: cy,
            y2: cy,
            stroke: e.color,
            "stroke-width": 2.2,
            "stroke-dasharray": e.dash,
          }),
    );
    parts.push(text(x0 + 34, cy + 4, e.label, { "font-size": 12, fill: "#111111" }));
  });
  return el("g", {}, parts);
}
