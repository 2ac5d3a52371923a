// Hand-written SVG plots for the calibration report (PNG through @resvg/resvg-js).
export {
  type BarSeries,
  type ChartSpec,
  type LineSeries,
  type ReferenceLine,
  renderChart,
  type Series,
} from "./chart.js";
export { COLORS, textOnViridis, viridis } from "./colors.js";
export { type HeatmapSpec, renderHeatmap } from "./heatmap.js";
export { svgToPng } from "./png.js";
export { formatProbabilityTick, formatTick, type LinearScale, linearScale, niceStep, niceTicks } from "./scale.js";
export { type Attrs, el, escapeXml, svgDocument, text } from "./svg.js";
