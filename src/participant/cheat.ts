// Cheating strategies for localnet tests: each one models a way a participant could claim
// more compute than it spent, and is applied where that participant would apply it (what it
// computes, what it stores, or what it serves). Pure: no I/O.
import { concatBytes, PocvalError, sha256, sha256Gaussians, u64le } from "../core/index.js";
import type { ServeCheat } from "./proof-server.js";

/** The strategies of `--cheat`; "honest" is the absence of one. */
export type CheatStrategy =
  | { kind: "honest" }
  | { kind: "int4" }
  | { kind: "random"; fraction: number }
  | { kind: "partial"; fraction: number }
  | { kind: "inflate"; factor: number }
  | { kind: "replay" }
  | { kind: "bad-nonce" }
  | { kind: "wrong-proof" }
  | { kind: "withhold" }
  | { kind: "replay-flood" }
  | { kind: "rate-limit" }
  | { kind: "stall" };

export const CHEAT_USAGE =
  "int4, random:F, partial:F, inflate:F, replay, bad-nonce, wrong-proof, withhold, replay-flood, rate-limit or stall " +
  "(F a fraction in (0, 1] for random and partial, a factor > 1 for inflate)";

/** A `--cheat` value that names no strategy or carries a bad parameter. */
export class InvalidCheatError extends PocvalError {
  override name = "InvalidCheatError";
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`invalid cheat strategy "${value}": ${reason}; expected ${CHEAT_USAGE}`);
  }
}

const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a `--cheat` value; undefined or "honest" is honest.
 * @example parseCheat("random:0.1") // { kind: "random", fraction: 0.1 }
 */
export function parseCheat(value: string | undefined): CheatStrategy {
  if (value === undefined || value === "honest") return { kind: "honest" };
  const [name, param, ...rest] = value.split(":");
  if (rest.length > 0) throw new InvalidCheatError(value, "too many ':'");
  const number = (): number => {
    if (param === undefined || !DECIMAL.test(param))
      throw new InvalidCheatError(value, `${name} needs a number: ${name}:F`);
    return Number(param);
  };
  const none = (): void => {
    if (param !== undefined) throw new InvalidCheatError(value, `${name} takes no parameter`);
  };
  switch (name) {
    case "random":
    case "partial": {
      const fraction = number();
      if (!(fraction > 0 && fraction <= 1)) throw new InvalidCheatError(value, `F must lie in (0, 1], got ${param}`);
      return { kind: name, fraction };
    }
    case "inflate": {
      const factor = number();
      if (!(factor > 1 && factor <= 1000)) throw new InvalidCheatError(value, `F must lie in (1, 1000], got ${param}`);
      return { kind: "inflate", factor };
    }
    case "int4":
    case "replay":
    case "bad-nonce":
    case "wrong-proof":
    case "withhold":
    case "replay-flood":
    case "rate-limit":
    case "stall":
      none();
      return { kind: name };
    default:
      throw new InvalidCheatError(value, `unknown strategy "${name}"`);
  }
}

/** The text form of a strategy, as parseCheat reads it. */
export function formatCheat(strategy: CheatStrategy): string {
  switch (strategy.kind) {
    case "random":
    case "partial":
      return `${strategy.kind}:${strategy.fraction}`;
    case "inflate":
      return `inflate:${strategy.factor}`;
    default:
      return strategy.kind;
  }
}

/** Where the vector of one planned leaf comes from. */
export type VectorSource =
  /** Computed for this nonce by the strategy's compute path (own backend, int4, or replayed key). */
  | { from: "compute"; nonce: number }
  /** A random unit vector: no model run at all. */
  | { from: "random" }
  /** Filler bytes (all zero): a leaf nothing was computed for. */
  | { from: "filler" };

export interface PlannedLeaf {
  index: number;
  nonce: number;
  vector: VectorSource;
}

export interface BatchPlan {
  leaves: PlannedLeaf[];
  /** Distinct nonces the compute path must produce, ascending. */
  computeNonces: number[];
}

/** A deterministic fraction in [0, 1) for (strategy tag, leaf index): which leaves cheat is reproducible. */
export function cheatDraw(tag: string, index: number): number {
  const digest = sha256(concatBytes(new TextEncoder().encode(`pocval/cheat/${tag}\u0000`), u64le(index)));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  return (view.getUint32(0, true) * 2 ** 21 + (view.getUint32(4, true) >>> 11)) / 2 ** 53;
}

/**
 * The leaves [start, start + length) a participant following `strategy` stores: which nonce
 * each leaf carries and where its vector comes from. Honest, int4, replay, wrong-proof and
 * withhold store one computed vector per nonce (int4 and replay differ in how they compute,
 * wrong-proof and withhold in how they serve).
 * @example planBatch({ kind: "bad-nonce" }, 0, 4).leaves.map((l) => l.nonce) // [0, 0, 2, 2]
 */
export function planBatch(strategy: CheatStrategy, start: number, length: number): BatchPlan {
  const leaves: PlannedLeaf[] = [];
  const compute = new Set<number>();
  const computed = (index: number, nonce = index): PlannedLeaf => {
    compute.add(nonce);
    return { index, nonce, vector: { from: "compute", nonce } };
  };
  // inflate: of each batch only the first 1/F leaves are computed, the rest is filler.
  const inflateComputed = strategy.kind === "inflate" ? Math.max(1, Math.ceil(length / strategy.factor)) : length;
  let lastComputed: number | undefined;
  for (let index = start; index < start + length; index++) {
    switch (strategy.kind) {
      case "random":
        leaves.push(
          cheatDraw("random", index) < strategy.fraction
            ? { index, nonce: index, vector: { from: "random" } }
            : computed(index),
        );
        break;
      case "partial":
        // Copies the latest computed vector of the batch; the batch's first leaf is always computed.
        if (lastComputed !== undefined && cheatDraw("partial", index) < strategy.fraction) {
          leaves.push({ index, nonce: index, vector: { from: "compute", nonce: lastComputed } });
        } else {
          leaves.push(computed(index));
          lastComputed = index;
        }
        break;
      case "inflate":
        leaves.push(
          index - start < inflateComputed ? computed(index) : { index, nonce: index, vector: { from: "filler" } },
        );
        break;
      case "bad-nonce":
        // Every odd leaf repeats the artifact of the even leaf before it: half the work, a nonce off its index.
        leaves.push(index % 2 === 1 ? computed(index, index - 1) : computed(index));
        break;
      default:
        leaves.push(computed(index));
    }
  }
  return { leaves, computeNonces: [...compute].sort((a, b) => a - b) };
}

/**
 * A random unit vector of kDim values from a seed (Box-Muller on a SHA-256 stream): what a
 * participant that skips the model sends, reproducible for tests.
 */
export function randomUnitVector(seed: Uint8Array, kDim: number): Float64Array {
  const out = sha256Gaussians(concatBytes(seed, new Uint8Array(8)), kDim);
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < kDim; i++) out[i]! /= norm;
  return out;
}

/**
 * wrong-proof: a served leaf that no longer matches the root. Odd leaves get a flipped bit in
 * their audit path, even ones (and single-leaf trees) in their vector, so both faults occur.
 */
export function corruptServedLeaf(leaf: { index: number; vector: Uint8Array; auditPath: Uint8Array[] }): {
  vector: Uint8Array;
  auditPath: Uint8Array[];
} {
  const vector = leaf.vector.slice();
  const auditPath = leaf.auditPath.map((p) => p.slice());
  if (leaf.index % 2 === 1 && auditPath.length > 0) auditPath[0]![0]! ^= 0x01;
  else vector[0]! ^= 0x01;
  return { vector, auditPath };
}

/**
 * withhold's rule (issue 11, D6): refuse a request for stage S until S's validation window has
 * certainly ended. It is decided from the windows of the stage the request names, so a stale
 * polled height (always at most the chain's) can only make it refuse longer, never serve inside
 * the window. A stage it never saw is refused.
 * @example withholdRefuses({ validationEndHeight: 48n }, 20n) // true: request of a stage still in validation
 */
export function withholdRefuses(stage: { validationEndHeight: bigint } | undefined, polledHeight: bigint): boolean {
  return stage === undefined || polledHeight <= stage.validationEndHeight;
}

/** rate-limit's answer to every proof request: 429 with this Retry-After, forever. */
export const RATE_LIMIT_CHEAT_RETRY_AFTER_S = 60;

/**
 * How a strategy serves proofs: wrong-proof alters leaves; withhold refuses while
 * `inValidationWindow(stage)` holds (the agent decides it with withholdRefuses; tests pass a
 * constant); replay-flood hands every request it receives to `observe` (the agent forwards them);
 * rate-limit answers 429 with Retry-After 60 to everyone; stall holds every request open unanswered.
 */
export function serveCheatOf(
  strategy: CheatStrategy,
  inValidationWindow: (stageHeight: number) => boolean,
  observe?: ServeCheat["observe"],
): ServeCheat | undefined {
  if (strategy.kind === "wrong-proof") return { alterLeaf: corruptServedLeaf };
  if (strategy.kind === "withhold") return { withholding: inValidationWindow };
  if (strategy.kind === "replay-flood" && observe) return { observe };
  if (strategy.kind === "rate-limit") return { rateLimitAll: { retryAfterSeconds: RATE_LIMIT_CHEAT_RETRY_AFTER_S } };
  if (strategy.kind === "stall") return { stall: true };
  return undefined;
}
