// Injectable faults of the reference backend: which requests it refuses, drops or delays.
// Pure given a clock reading and a seeded RNG, so tests can reason about them exactly.
import { z } from "zod";
import { createRng, PocvalError } from "../core/index.js";

/** Faults to inject; every field is optional and all of them can be changed at runtime. */
export interface FaultOptions {
  /** Every API call answers 503 (the engine is down). */
  down?: boolean;
  /** Periods answering 503 busy, in ms relative to when the faults were set. */
  busyPeriods?: { fromMs: number; forMs: number }[];
  /** Each call answers 503 busy with this probability (seeded). */
  busyProbability?: number;
  /** The next N calls answer 503 busy. */
  busyNext?: number;
  /** Every answer is delayed by this many ms (a slow backend). */
  delayMs?: number;
  /** Each call has its connection destroyed with this probability (seeded). */
  dropProbability?: number;
  /** The next N calls have their connections destroyed without an answer. */
  dropNext?: number;
  /** The next N generate jobs end as `failed` records. */
  failNextJobs?: number;
  /** Seed of the RNG behind the probabilities (default 1). */
  seed?: number;
}

const probability = z.number().min(0).max(1);
const ms = z.number().nonnegative().max(86_400_000);
const times = z.number().int().nonnegative().max(1_000_000);

/** The zod schema of FaultOptions (for config and CLI input). */
export const faultOptionsSchema = z.strictObject({
  down: z.boolean().optional(),
  busyPeriods: z
    .array(z.strictObject({ fromMs: ms, forMs: ms }))
    .max(1000)
    .optional(),
  busyProbability: probability.optional(),
  busyNext: times.optional(),
  delayMs: ms.optional(),
  dropProbability: probability.optional(),
  dropNext: times.optional(),
  failNextJobs: times.optional(),
  seed: z.number().int().optional(),
});

/** What happens to one incoming call. */
export type FaultDecision =
  | { kind: "serve"; delayMs: number }
  | { kind: "drop" }
  | { kind: "unavailable"; reason: string };

/** Reproducible fault sequences without global randomness: core's one seeded generator, as a () => number. */
export function seededRandom(seed: number): () => number {
  return createRng(seed).nextFloat;
}

export interface FaultState {
  /** Decides the fate of one call arriving at `now` (ms); consumes the one-shot counters. */
  decide(now: number): FaultDecision;
  /** Whether the next job should fail (consumes one `failNextJobs`). */
  takeJobFailure(): boolean;
  /** The options in force (counters as they stand now). */
  current(): FaultOptions;
}

/** Fault state set at `now` (ms): busy periods count from then. */
export function createFaultState(options: FaultOptions, now: number): FaultState {
  const opts = faultOptionsSchema.parse(options);
  const random = seededRandom(opts.seed ?? 1);
  let busyNext = opts.busyNext ?? 0;
  let dropNext = opts.dropNext ?? 0;
  let failNextJobs = opts.failNextJobs ?? 0;
  return {
    decide(at) {
      if (dropNext > 0) {
        dropNext--;
        return { kind: "drop" };
      }
      if (opts.dropProbability !== undefined && random() < opts.dropProbability) return { kind: "drop" };
      if (opts.down) return { kind: "unavailable", reason: "engine down" };
      if (busyNext > 0) {
        busyNext--;
        return { kind: "unavailable", reason: "engine busy" };
      }
      const since = at - now;
      if (opts.busyPeriods?.some((p) => since >= p.fromMs && since < p.fromMs + p.forMs)) {
        return { kind: "unavailable", reason: "engine busy (busy period)" };
      }
      if (opts.busyProbability !== undefined && random() < opts.busyProbability) {
        return { kind: "unavailable", reason: "engine busy" };
      }
      return { kind: "serve", delayMs: opts.delayMs ?? 0 };
    },
    takeJobFailure() {
      if (failNextJobs <= 0) return false;
      failNextJobs--;
      return true;
    },
    current() {
      return { ...opts, busyNext, dropNext, failNextJobs };
    },
  };
}

/** Raised for a `--fault` spec that does not parse; names the spec. */
export class FaultSpecError extends PocvalError {
  override name = "FaultSpecError";
  constructor(
    readonly spec: string,
    message: string,
  ) {
    super(`fault "${spec}": ${message}`);
  }
}

/** The `--fault` grammar, one spec per flag. */
export const FAULT_SPEC_HELP =
  "down | busy:FROM_MS:FOR_MS | busy-rate:P | busy-next:N | delay:MS | drop-rate:P | drop-next:N | fail-next:N | seed:N";

/**
 * Parses `--fault` specs into FaultOptions (busy periods accumulate).
 * @example parseFaultSpecs(["busy:0:5000", "delay:200"]) // { busyPeriods: [{fromMs: 0, forMs: 5000}], delayMs: 200 }
 */
export function parseFaultSpecs(specs: readonly string[]): FaultOptions {
  const out: FaultOptions = {};
  for (const spec of specs) {
    const [kind, ...args] = spec.split(":");
    const num = (i: number, what: string): number => {
      const raw = args[i];
      const v = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
      if (!Number.isFinite(v) || v < 0) throw new FaultSpecError(spec, `${what} must be a non-negative number`);
      return v;
    };
    const arity = (n: number) => {
      if (args.length !== n) throw new FaultSpecError(spec, `expected ${n} argument(s) after "${kind}:"`);
    };
    switch (kind) {
      case "down":
        arity(0);
        out.down = true;
        break;
      case "busy":
        arity(2);
        out.busyPeriods = [...(out.busyPeriods ?? []), { fromMs: num(0, "FROM_MS"), forMs: num(1, "FOR_MS") }];
        break;
      case "busy-rate":
        arity(1);
        out.busyProbability = num(0, "P");
        break;
      case "busy-next":
        arity(1);
        out.busyNext = num(0, "N");
        break;
      case "delay":
        arity(1);
        out.delayMs = num(0, "MS");
        break;
      case "drop-rate":
        arity(1);
        out.dropProbability = num(0, "P");
        break;
      case "drop-next":
        arity(1);
        out.dropNext = num(0, "N");
        break;
      case "fail-next":
        arity(1);
        out.failNextJobs = num(0, "N");
        break;
      case "seed":
        arity(1);
        out.seed = num(0, "N");
        break;
      default:
        throw new FaultSpecError(spec, `unknown fault kind (expected ${FAULT_SPEC_HELP})`);
    }
  }
  const checked = faultOptionsSchema.safeParse(out);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new FaultSpecError(specs.join(" "), `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return checked.data;
}
