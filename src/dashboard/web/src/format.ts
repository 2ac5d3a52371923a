// Display formatting of the page: percentages, short addresses, phase labels, p-values.
export const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** pocval1qxy...abcd: enough to tell addresses apart in a narrow column. */
export const shortAddress = (a: string): string => (a.length > 20 ? `${a.slice(0, 10)}…${a.slice(-6)}` : a);

export const phaseLabel: Record<string, string> = {
  commit: "committing",
  sampling: "sampling",
  validation: "validating",
  tallying: "tallying",
  final: "final",
};

/** A p-value as the chain stores it (a plain decimal string), shortened for a table cell. */
export const shortP = (p: string): string => {
  if (p === "") return "–";
  const x = Number(p);
  if (!Number.isFinite(x)) return p;
  return x !== 0 && x < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3)));
};
