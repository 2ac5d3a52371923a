// Command-line helpers every group shares: flag parsing and reading, the two error kinds
// (bad input exits 2, a failed command exits 1), JSON output and waiting for a signal.
import { parseArgs } from "node:util";
import { PocvalError } from "../core/errors.js";

/**
 * Bad input: a bad command line, or a file a flag names that cannot be read or does not
 * validate. Names the flag, file or field at fault; main prints it and exits 2.
 */
export class UsageError extends PocvalError {
  override name = "UsageError";
}

/** A failure of the command's work (unreachable service, occupied port, refused tx); main prints it and exits 1. */
export class CommandError extends PocvalError {
  override name = "CommandError";
}

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

/**
 * `--n -5` as `--n=-5`: parseArgs takes a value starting with a dash for a flag, so a
 * negative number after a string flag is joined to it (and then refused or accepted by the
 * flag's own range check instead of "argument is ambiguous").
 */
function joinNegativeNumbers(argv: string[], spec: FlagSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    if (name !== undefined && spec[name]?.type === "string" && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Parses argv strictly: unknown flags and stray positionals are UsageErrors naming them. */
export function parseFlags<T extends FlagSpec>(
  argv: string[],
  spec: T,
  options: { positionals?: number } = {},
): {
  values: ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true }>>["values"];
  positionals: string[];
} {
  try {
    const parsed = parseArgs({
      args: joinNegativeNumbers(argv, spec),
      options: spec,
      strict: true,
      allowPositionals: true,
    });
    if (parsed.positionals.length > (options.positionals ?? 0)) {
      throw new UsageError(`unexpected argument: ${parsed.positionals[options.positionals ?? 0]}`);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
}

/** The value of a required string flag. */
export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`missing required flag --${name}`);
  return v;
}

/** A required (or defaulted) integer flag within [min, max]. */
export function intFlag(
  values: Record<string, unknown>,
  name: string,
  opts: { min?: number; max?: number; default?: number } = {},
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (opts.default !== undefined) return opts.default;
    throw new UsageError(`missing required flag --${name}`);
  }
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw))
    throw new UsageError(`--${name} must be an integer, got "${raw}"`);
  const v = Number(raw);
  if (!Number.isSafeInteger(v)) throw new UsageError(`--${name} is too large: ${raw}`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be <= ${opts.max}, got ${v}`);
  return v;
}

/** A required (or defaulted) real flag within [min, max]. */
export function numberFlag(
  values: Record<string, unknown>,
  name: string,
  opts: { min?: number; max?: number; default?: number } = {},
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (opts.default !== undefined) return opts.default;
    throw new UsageError(`missing required flag --${name}`);
  }
  const v = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  if (!Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be >= ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be <= ${opts.max}, got ${v}`);
  return v;
}

/** Prints one JSON object on stdout (bigints as decimal strings). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
}

/**
 * Resolves with the signal's name on the first SIGINT or SIGTERM (long-running commands stop then).
 * A long-running command calls it first thing, before it starts anything: a signal during start-up
 * then lets the start finish and stops cleanly, instead of killing the process half-started (a
 * supervisor's or test's SIGTERM races the start). A second signal has the default action again.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
