// Structured JSON logs on stderr, one object per line, and the one-line progress display on a
// terminal. Callers pass plain fields; nothing here ever sees key material.

import { type LogLevel as LineLevel, logLine } from "../net/index.js";

export type LogLevel = LineLevel | "silent";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Replaces the progress line (shown only on a terminal with progress on). */
  progress(line: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  progress: "auto" | "on" | "off";
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** A logger writing net/log.ts lines `{time, level, msg, ...fields}` on stderr. */
export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stderr;
  const showProgress = opts.progress === "on" || (opts.progress === "auto" && stream.isTTY === true);
  let progressLine = "";
  const clear = () => {
    if (showProgress && progressLine !== "") stream.write("\r\x1b[2K");
  };
  const redraw = () => {
    if (showProgress && progressLine !== "") stream.write(progressLine);
  };
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[opts.level]) return;
    const line = logLine(level as LineLevel, msg, fields);
    clear();
    stream.write(line);
    redraw();
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    progress(line) {
      if (!showProgress) return;
      const width = Math.max(20, (stream.columns ?? 120) - 1);
      clear();
      progressLine = line.length > width ? `${line.slice(0, width - 1)}…` : line;
      stream.write(progressLine);
    },
  };
}
