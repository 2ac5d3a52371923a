/** Colours of the two clusters and the threshold, readable for common colour blindness (Okabe-Ito). */
export const COLORS = {
  honest: "#0072B2",
  cheater: "#D55E00",
  threshold: "#222222",
  grid: "#e6e6e6",
  axis: "#444444",
  muted: "#777777",
} as const;

// Viridis at nine stops; linear interpolation between them is close enough for a heatmap.
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
] as const;

/** Viridis colour of t in [0, 1] as #rrggbb. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const hex = [0, 1, 2].map((c) =>
    Math.round(a[c]! + (b[c]! - a[c]!) * f)
      .toString(16)
      .padStart(2, "0"),
  );
  return `#${hex.join("")}`;
}

/** Black or white text, whichever reads on the background t of viridis. */
export function textOnViridis(t: number): string {
  return t > 0.55 ? "#000000" : "#ffffff";
}
