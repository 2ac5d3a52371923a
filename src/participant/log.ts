// Structured logs: one JSON object per line, so a tester can follow a participant with jq.

/** Logs one event with its fields. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

/** A Logger writing `{"ts":..,"level":..,"event":..,...fields}` lines (bigints as strings). */
export function jsonLineLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: Record<string, unknown> = {},
): Logger {
  return (event, fields = {}) => {
    const level = typeof fields.level === "string" ? fields.level : "info";
    const line = JSON.stringify({ ts: new Date().toISOString(), level, event, ...base, ...fields }, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    write(`${line}\n`);
  };
}

/** A Logger that drops everything. */
export const silentLogger: Logger = () => {};
