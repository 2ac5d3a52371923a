// Structured logs in the one line format of src/net/log.ts, so a tester can follow a participant with jq.
import { type LogLevel, logLine } from "../net/index.js";

/** Logs one event with its fields. */
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

/**
 * A Logger writing net/log.ts lines `{time, level, msg: event, ...base, ...fields}` (the level is
 * taken from `fields.level`, info by default).
 */
export function jsonLineLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: Record<string, unknown> = {},
): Logger {
  return (event, fields = {}) => {
    const { level, ...rest } = fields;
    write(logLine(isLevel(level) ? level : "info", event, { ...base, ...rest }));
  };
}

const isLevel = (v: unknown): v is LogLevel => v === "debug" || v === "info" || v === "warn" || v === "error";

/** A Logger that drops everything. */
export const silentLogger: Logger = () => {};
