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

/** Where things go on the canvas: the plot's edges, its scales and ticks. */
interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: LinearScale;
  y: LinearScale;
  xTicks: number[];
  xStep: number;
  yAxis: ReturnType<typeof yAxis>;
}

function frameOf(spec: ChartSpec): Frame {
  const width = spec.width ?? 820;
  const height = spec.height ?? 500;
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const xt = niceTicks(spec.x.min, spec.x.max, 8);
  const yAx = yAxis(spec, top, bottom);
  return {
    width,
    height,
    left,
    right,
    top,
    bottom,
    x: linearScale(xt.domain, [left, right]),
    y: yAx.scale,
    xTicks: xt.ticks,
    xStep: xt.ticks.length > 1 ? xt.ticks[1]! - xt.ticks[0]! : 1,
    yAxis: yAx,
  };
}

const clampY = (f: Frame, v: number): number => Math.min(f.bottom, Math.max(f.top, f.y(v)));
const clampX = (f: Frame, v: number): number => Math.min(f.right, Math.max(f.left, f.x(v)));

/**
 * An x-y chart as SVG: title, axes with round ticks and grid lines, axis labels, bars and
 * lines, reference lines and a legend in the upper right corner of the plot.
 */
export function renderChart(spec: ChartSpec): string {
  const f = frameOf(spec);
  const body: string[] = [];
  body.push(text(f.left, 24, spec.title, { "font-size": 17, "font-weight": "bold", fill: "#111111" }));
  if (spec.subtitle) body.push(text(f.left, 44, spec.subtitle, { "font-size": 12, fill: COLORS.muted }));
  body.push(...grid(spec, f));
  if (spec.shade) body.push(shade(spec.shade, f));
  for (const s of spec.series) {
    const drawn = series(s, f);
    if (drawn !== undefined) body.push(drawn);
  }
  body.push(...referenceLines(spec, f));
  body.push(...axes(spec, f));
  const entries = legendEntries(spec);
  if (entries.length > 0) body.push(legend(entries, f.right - 10, f.top + 28));
  return svgDocument(f.width, f.height, body);
}

/** Grid lines and tick labels of both axes. */
function grid(spec: ChartSpec, f: Frame): string[] {
  const { left, right, top, bottom } = f;
  const out: string[] = [];
  for (const [i, t] of f.yAxis.ticks.entries()) {
    const py = f.y(t);
    out.push(el("line", { x1: left, x2: right, y1: py, y2: py, stroke: COLORS.grid }));
    out.push(text(left - 8, py + 4, f.yAxis.labels[i]!, { "text-anchor": "end", "font-size": 11, fill: COLORS.axis }));
  }
  for (const t of f.xTicks) {
    const px = f.x(t);
    out.push(el("line", { x1: px, x2: px, y1: top, y2: bottom, stroke: COLORS.grid }));
    const label = spec.x.format ? spec.x.format(t) : formatTick(t, f.xStep);
    out.push(text(px, bottom + 18, label, { "text-anchor": "middle", "font-size": 11, fill: COLORS.axis }));
  }
  return out;
}

function shade(s: NonNullable<ChartSpec["shade"]>, f: Frame): string {
  const x0 = clampX(f, s.from);
  const x1 = clampX(f, s.to);
  return el("rect", {
    x: x0,
    y: f.top,
    width: Math.max(0, x1 - x0),
    height: f.bottom - f.top,
    fill: s.color,
    "fill-opacity": s.opacity ?? 0.08,
  });
}

/** One series: a group of bars, or a path (nothing for a line without points). */
function series(s: Series, f: Frame): string | undefined {
  if (s.kind === "bars") {
    const rects = s.heights.map((h, i) => {
      const x0 = f.x(s.edges[i]!);
      const x1 = f.x(s.edges[i + 1]!);
      const py = clampY(f, h);
      return el("rect", { x: x0, y: py, width: Math.max(0.5, x1 - x0), height: f.bottom - py });
    });
    return el("g", { fill: s.color, "fill-opacity": s.opacity ?? 0.55, stroke: s.color, "stroke-width": 0.4 }, rects);
  }
  if (s.points.length === 0) return undefined;
  const d = s.points
    .map(([px, py], i) => `${i === 0 ? "M" : "L"}${f.x(px).toFixed(2)},${clampY(f, py).toFixed(2)}`)
    .join("");
  return el("path", {
    d,
    fill: "none",
    stroke: s.color,
    "stroke-width": s.width ?? 2,
    "stroke-dasharray": s.dash,
    "stroke-opacity": s.opacity,
    "stroke-linejoin": "round",
  });
}

/** Horizontal and vertical reference lines with their labels. */
function referenceLines(spec: ChartSpec, f: Frame): string[] {
  const { left, right, top, bottom } = f;
  const out: string[] = [];
  for (const h of spec.hlines ?? []) {
    const py = f.y(h.at);
    const color = h.color ?? COLORS.threshold;
    out.push(el("line", { x1: left, x2: right, y1: py, y2: py, stroke: color, "stroke-dasharray": h.dash ?? "4 4" }));
    out.push(text(right - 6, py - 5, h.label, { "font-size": 11, fill: color, "text-anchor": "end", ...HALO }));
  }
  for (const v of spec.vlines ?? []) {
    const px = f.x(v.at);
    const color = v.color ?? COLORS.threshold;
    out.push(
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
    out.push(text(px + 5, top + 14, v.label, { "font-size": 12, fill: color, ...HALO }));
  }
  return out;
}

/** The axes (drawn over everything else) and their labels. */
function axes(spec: ChartSpec, f: Frame): string[] {
  const { left, right, top, bottom } = f;
  return [
    el("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: COLORS.axis }),
    el("line", { x1: left, x2: left, y1: top, y2: bottom, stroke: COLORS.axis }),
    text((left + right) / 2, f.height - 16, spec.xLabel, { "text-anchor": "middle", fill: "#111111" }),
    text(0, 0, spec.yLabel, {
      "text-anchor": "middle",
      transform: `translate(20 ${(top + bottom) / 2}) rotate(-90)`,
      fill: "#111111",
    }),
  ];
}

function legendEntries(spec: ChartSpec): { label: string; color: string; bar: boolean; dash?: string }[] {
  return [
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
