import { parseArgs } from "node:util";

/** A bad command line: names the flag at fault; main prints it and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure of the command's work (bad file, unreachable service); main prints it and exits 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

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
    const parsed = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
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

/** Resolves with the signal's name on the first SIGINT or SIGTERM (long-running commands stop then). */
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
