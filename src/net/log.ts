// The one log line format of every pocval process (sidecar, participant agent): a JSON object per
// line, `{time, level, msg, ...fields}`, bigints as decimal strings, errors as {name, message},
// bytes as hex. A tester follows any process with the same jq filter.

export type LogLevel = "debug" | "info" | "warn" | "error";

function encode(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return value;
}

/**
 * One log line (with its newline). Fields come after the fixed keys and cannot replace them.
 * @example logLine("info", "committed", { stage_height: 40n }) // {"time":"…","level":"info","msg":"committed","stage_height":"40"}\n
 */
export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  const { time: _t, level: _l, msg: _m, ...rest } = fields;
  return `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...rest }, (_k, v) => encode(v))}\n`;
}
