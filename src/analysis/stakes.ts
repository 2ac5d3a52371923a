// Stake sets for simulations: stakes files (chain exports or presets) and Pareto-tailed stakes.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { fieldName, PocvalError } from "../core/index.js";

/** Raised when a stakes file cannot be read or does not hold positive integer stakes; names the file and entry. */
export class StakesFileError extends PocvalError {
  override name = "StakesFileError";
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

// Chain exports carry amounts as decimal strings; hand-written presets as numbers.
const stakeAmount = z.union([
  z.number().int().positive().refine(Number.isSafeInteger, "must be a safe integer (use a decimal string above 2^53)"),
  z.string().regex(/^[1-9]\d*$/, "must be a positive decimal integer"),
]);

const stakesSchema = z
  .array(
    z.union([stakeAmount, z.looseObject({ stake: stakeAmount })], {
      error: "expected a positive integer or an object with a positive integer `stake`",
    }),
  )
  .min(1, "at least one validator stake is needed");

/**
 * Validates the stakes of a stakes file: a JSON array of positive integers, or of objects
 * with a `stake` field (number or decimal string).
 * @example parseStakes([35, { stake: "25" }], "inline") // [35n, 25n]
 */
export function parseStakes(value: unknown, file: string): bigint[] {
  const parsed = stakesSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = fieldName(issue.path);
    throw new StakesFileError(
      file,
      `stakes${where === "" || where.startsWith("[") ? "" : "."}${where}: ${issue.message}`,
    );
  }
  return parsed.data.map((entry) => BigInt(typeof entry === "object" ? entry.stake : entry));
}

/** Reads and validates a stakes file. */
export async function loadStakes(file: string): Promise<bigint[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new StakesFileError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StakesFileError(file, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseStakes(value, file);
}

/**
 * Stakes at the midpoint quantiles of a Pareto distribution with the given tail index, largest
 * first, scaled to about `total` (each at least 1): a heavy-tailed preset without randomness.
 * @example paretoStakes(3, 1, 100) // [65, 22, 13]
 */
export function paretoStakes(count: number, tailIndex: number, total: number): number[] {
  const raw = Array.from({ length: count }, (_, i) => ((i + 0.5) / count) ** (-1 / tailIndex));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => Math.max(1, Math.round((r / sum) * total)));
}
