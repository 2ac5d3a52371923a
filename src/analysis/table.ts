/** Column alignment of a text table. */
export type Align = "left" | "right";

/**
 * A plain-text table with padded columns, for the commands' human output.
 * @example renderTable(["k", "p"], [["8", "0.0493"]]) // "k  p\n-  ------\n8  0.0493"
 */
export function renderTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (align[c] === "right" ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A probability with enough digits to compare, in exponent form when tiny. */
export function formatProbability(p: number): string {
  if (p === 0) return "0";
  if (p < 1e-4) return p.toExponential(3);
  return p.toFixed(6);
}

/** A share as a percentage with two decimals. */
export function formatPercent(share: number, digits = 2): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** A p-value, or "< 1e-300" where the tail underflows a double. */
export function formatPValue(p: number): string {
  return p < 1e-300 ? "< 1e-300" : formatProbability(p);
}
