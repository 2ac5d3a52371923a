// Structured logs in the one line format of src/net/log.ts, so a tester can follow a participant with jq.
import { type LogLevel, logLine } from "../net/index.js";

/** Logs one event with its fields: the participant's log (the sidecar's leveled one is sidecar/log.ts Logger). */
export type EventLog = (event: string, fields?: Record<string, unknown>) => void;

/**
 * An EventLog writing net/log.ts lines `{time, level, msg: event, ...base, ...fields}` (the level is
 * taken from `fields.level`, info by default).
 */
export function jsonLineEventLog(
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: Record<string, unknown> = {},
): EventLog {
  return (event, fields = {}) => {
    const { level, ...rest } = fields;
    write(logLine(isLevel(level) ? level : "info", event, { ...base, ...rest }));
  };
}

const isLevel = (v: unknown): v is LogLevel => v === "debug" || v === "info" || v === "warn" || v === "error";

/** An EventLog that drops everything. */
export const silentEventLog: EventLog = () => {};
