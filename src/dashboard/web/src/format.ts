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
