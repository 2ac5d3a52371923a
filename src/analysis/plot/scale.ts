/** A linear map from a data domain onto a pixel range. */
export interface LinearScale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
}

export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  const f = ((v: number) => r0 + ((v - d0) / span) * (r1 - r0)) as LinearScale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** A 1, 2 or 5 times a power of ten near span / count: the steps people read easily. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/**
 * Round tick values covering [min, max] with about `count` intervals, and the domain extended
 * to the outer ticks.
 * @example niceTicks(0, 0.93, 5) // { ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], domain: [0, 1] }
 */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; domain: [number, number] } {
  if (max <= min) max = min + 1;
  const step = niceStep(max - min, count);
  // The 1e-9 slack keeps float noise from adding an empty tick; the checks keep the data inside.
  let lo = Math.floor(min / step + 1e-9) * step;
  let hi = Math.ceil(max / step - 1e-9) * step;
  if (lo > min) lo -= step;
  if (hi < max) hi += step;
  // Ticks by index, rounded to the step's decimals, so that no float drift accumulates.
  const decimals = Math.min(20, Math.max(0, -Math.floor(Math.log10(step))) + 2);
  const ticks: number[] = [];
  for (let i = Math.round(lo / step); i <= Math.round(hi / step); i++) ticks.push(Number((i * step).toFixed(decimals)));
  return { ticks, domain: [ticks[0]!, ticks[ticks.length - 1]!] };
}

/** A tick label with as few digits as the step needs. */
export function formatTick(value: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(Math.min(digits, 10));
}

/** A tick of a log-scale probability axis: three significant digits down to 1e-3, then 1e-4 style. */
export function formatProbabilityTick(value: number): string {
  return value >= 1e-3 ? String(Number(value.toPrecision(3))) : value.toExponential(0);
}
