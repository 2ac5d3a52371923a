// The chain params of docs/protocol.md: their defaults, written once, and the one parser of their
// decimal strings (exact, with bignumber.js) and of the rules they obey.
import { BigNumber } from "bignumber.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import { PocvalError } from "./errors.js";
import { kCrit } from "./kcrit.js";

/** Proof requests per validator, participant and stage (retries included) when the param reads 0. */
export const DEFAULT_PROOF_REQUEST_BUDGET = 8;
/** Milliseconds a participant has to answer one proof request when the param reads 0. */
export const DEFAULT_PROOF_RESPONSE_MS = 30_000;
/** Bounds of the two availability params (a budget is requests sent; a response time is waited each). */
export const MAX_PROOF_REQUEST_BUDGET = 1000;
export const PROOF_RESPONSE_MS_RANGE = [100, 3_600_000] as const;

/** docs/protocol.md's default parameters (from the PoC v2 validation report). */
export const DEFAULT_PARAMS: Readonly<Params> = Object.freeze({
  model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  seqLen: 1024,
  kDim: 12,
  distThreshold: "0.173663",
  fpRate: "0.02",
  alpha: "0.05",
  sampleSize: 200,
  quorumNum: 1n,
  quorumDen: 2n,
  validationSlots: 0,
  proofRequestBudget: DEFAULT_PROOF_REQUEST_BUDGET,
  proofResponseMs: DEFAULT_PROOF_RESPONSE_MS,
  acceptanceRate: "",
});

/** A fresh copy of DEFAULT_PARAMS, for callers that change fields. */
export function defaultParams(): Params {
  return { ...DEFAULT_PARAMS };
}

/**
 * Stage timing for a localnet with ~1 s blocks: a stage every 30 blocks, 10 blocks to commit,
 * the sampling block, 12 blocks to vote, 7 idle blocks before the next stage. The offset is 2
 * because height 0 does not exist and block 1 is the genesis block: the first stage starts at 2,
 * whose hash (the generation seed) comes from a real produced block.
 */
export function defaultTiming(): StageTiming {
  return { stageLength: 30n, stageOffset: 2n, commitWindow: 10n, validationWindow: 12n };
}

/** A param that breaks its rule; `field` is the proto's snake_case name, `reason` what is wrong with it. */
export class ParamError extends PocvalError {
  override name = "ParamError";
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

// Canonical decimals only: no sign, exponent or leading zeros, so one value has one spelling on chain.
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Parses a param's decimal string exactly, or throws ParamError naming the field. */
export function parseDecimal(text: string, field: string): BigNumber {
  if (!DECIMAL.test(text)) throw new ParamError(field, `"${text}" is not a decimal number such as 0.05`);
  return new BigNumber(text);
}

/** The params with their decimal strings parsed: what a check computes with. */
export interface NumericParams {
  model: string;
  seqLen: number;
  kDim: number;
  distThreshold: number;
  fpRate: number;
  alpha: number;
  sampleSize: number;
  quorumNum: bigint;
  quorumDen: bigint;
  /** Version 2: 0 = every validator checks every participant, m > 0 = m slots per participant. */
  validationSlots: number;
  /** Version 2: the exact k_crit(sample_size) (core/kcrit.ts). */
  kCrit: number;
  /** Version 2: proof requests per validator, participant and stage, retries included (0 on chain reads 8). */
  proofRequestBudget: number;
  /** Version 2: ms a participant has to answer one proof request (0 on chain reads 30,000). */
  proofResponseMs: number;
  /** Version 3: the early acceptance line's rate, a decimal below fp_rate; "" or absent = off (version 2). */
  acceptanceRate?: string;
}

/**
 * acceptance_rate (version 3, early acceptance): "" is off (the version-2 rule, returns undefined);
 * otherwise a canonical decimal with 0 <= acceptance_rate < fp_rate, the line a(c) = floor(rate x c)
 * lying below the honest rate. Throws ParamError saying what is wrong.
 * @example acceptanceRateParam("0.015", "0.02") // "0.015"
 */
export function acceptanceRateParam(acceptanceRate: string, fpRate: string): string | undefined {
  if (acceptanceRate === "") return undefined;
  const rate = parseDecimal(acceptanceRate, "acceptance_rate");
  if (!rate.lt(parseDecimal(fpRate, "fp_rate"))) {
    throw new ParamError(
      "acceptance_rate",
      `${acceptanceRate} is not below fp_rate ${fpRate}: the early acceptance line must lie below the honest rate (empty turns it off)`,
    );
  }
  return acceptanceRate;
}

/**
 * The availability params in force: proof_request_budget and proof_response_ms, a 0 (a chain
 * whose params predate them) read as the defaults. Throws ParamError outside their bounds.
 * @example availabilityParams({ proofRequestBudget: 0, proofResponseMs: 1000 }) // { budget: 8, responseMs: 1000 }
 */
export function availabilityParams(params: Pick<Params, "proofRequestBudget" | "proofResponseMs">): {
  budget: number;
  responseMs: number;
} {
  const budget = params.proofRequestBudget || DEFAULT_PROOF_REQUEST_BUDGET;
  const responseMs = params.proofResponseMs || DEFAULT_PROOF_RESPONSE_MS;
  if (!(Number.isSafeInteger(budget) && budget >= 1 && budget <= MAX_PROOF_REQUEST_BUDGET)) {
    throw new ParamError("proof_request_budget", `must be 1..${MAX_PROOF_REQUEST_BUDGET} (0: 8), got ${budget}`);
  }
  const [lo, hi] = PROOF_RESPONSE_MS_RANGE;
  if (!(Number.isSafeInteger(responseMs) && responseMs >= lo && responseMs <= hi)) {
    throw new ParamError("proof_response_ms", `must be ${lo}..${hi} ms (0: 30000), got ${responseMs}`);
  }
  return { budget, responseMs };
}

/** Bounds validation_slots: each slot is one draw and one tally term per participant. */
export const MAX_VALIDATION_SLOTS = 10_000;

/**
 * Checks every param against docs/protocol.md's rules and parses the decimals: a model name,
 * seq_len, k_dim and sample_size >= 1, dist_threshold > 0, fp_rate and alpha strictly between
 * 0 and 1, quorum_num / quorum_den a fraction in [0, 1], validation_slots in 0 .. MAX_VALIDATION_SLOTS,
 * acceptance_rate empty or a decimal in [0, fp_rate).
 * Computes the exact k_crit(sample_size) too. Throws ParamError naming the first field at fault.
 * @example parseParams(DEFAULT_PARAMS).fpRate // 0.02
 */
export function parseParams(params: Params): NumericParams {
  if (params.model === "") throw new ParamError("model", "must not be empty");
  for (const [field, value] of [
    ["seq_len", params.seqLen],
    ["k_dim", params.kDim],
    ["sample_size", params.sampleSize],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= 1)) throw new ParamError(field, `must be >= 1, got ${value}`);
  }
  const distThreshold = parseDecimal(params.distThreshold, "dist_threshold");
  if (!distThreshold.gt(0)) throw new ParamError("dist_threshold", "must be > 0");
  const probability = (text: string, field: string) => {
    const v = parseDecimal(text, field);
    // Exactly and as the double the statistics compute with: 1 - 1e-20 is below 1 but reads as 1.
    const n = v.toNumber();
    if (!(v.gt(0) && v.lt(1) && n > 0 && n < 1)) throw new ParamError(field, "must lie strictly between 0 and 1");
    return n;
  };
  const fpRate = probability(params.fpRate, "fp_rate");
  const alpha = probability(params.alpha, "alpha");
  if (!(Number.isSafeInteger(params.validationSlots) && params.validationSlots >= 0)) {
    throw new ParamError("validation_slots", `must be an integer >= 0, got ${params.validationSlots}`);
  }
  if (params.validationSlots > MAX_VALIDATION_SLOTS) {
    throw new ParamError("validation_slots", `must be at most ${MAX_VALIDATION_SLOTS}, got ${params.validationSlots}`);
  }
  const availability = availabilityParams(params);
  const acceptanceRate = acceptanceRateParam(params.acceptanceRate ?? "", params.fpRate);
  if (params.quorumDen <= 0n) throw new ParamError("quorum_den", "must be > 0");
  if (params.quorumNum < 0n || params.quorumNum > params.quorumDen) {
    throw new ParamError("quorum_num", `quorum ${params.quorumNum}/${params.quorumDen} exceeds 1`);
  }
  return {
    model: params.model,
    seqLen: params.seqLen,
    kDim: params.kDim,
    distThreshold: distThreshold.toNumber(),
    fpRate,
    alpha,
    sampleSize: params.sampleSize,
    quorumNum: params.quorumNum,
    quorumDen: params.quorumDen,
    validationSlots: params.validationSlots,
    kCrit: kCrit(params.sampleSize, params.fpRate, params.alpha),
    proofRequestBudget: availability.budget,
    proofResponseMs: availability.responseMs,
    acceptanceRate: acceptanceRate ?? "",
  };
}
