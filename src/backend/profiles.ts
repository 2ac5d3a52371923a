// Deterministic stand-ins for the vectors a GPU backend computes: a "true" unit vector per
// (inputs, nonce), plus a hardware profile's reproducible numeric perturbation. Pure: no I/O.
import { PocvalError, sha256Gaussians } from "../core/index.js";

/** The arithmetic a profile models: no error, FP8 kernels, INT4 or W8A16 weight quantization. */
export type Precision = "exact" | "fp8" | "int4" | "w8a16";

/** One hardware profile of the reference backend. */
export interface ProfileDescription {
  name: string;
  precision: Precision;
  description: string;
  /** Scale of the per-machine noise, relative to the FP8 calibration (1 = an FP8 GPU). */
  noiseScale: number;
  /**
   * The kernels the profile runs: profiles with the same kernel (and machine id) answer
   * bit-identically, as real H100 and H200 servers running the same FP8 kernels do. Defaults
   * to the profile's name.
   */
  kernel?: string;
  /**
   * Log-normal spread of the noise with the nonce's shared sensitivity (default
   * SENSITIVITY_SIGMA): larger gives this profile a heavier tail on fragile inputs (B200).
   */
  sensitivitySigma?: number;
}

/** Inputs of one vector, as the backend API names them. */
export interface ReferenceVectorInput {
  blockHash: string;
  publicKey: string;
  nonce: number;
  model: string;
  seqLen: number;
  kDim: number;
  profile: string;
  /** Identity of one machine within a profile; machines with the same id answer bit-identically. */
  machineId?: string;
}

// Calibrated so that pairwise L2 after the f16 round trip matches the report (see README:
// "The reference backend"); the test in test/backend/profiles.test.ts measures the figures.
/** Per-machine noise per component at unit sensitivity. */
const MACHINE_NOISE = 0.014;
/** Log-normal spread of a nonce's sensitivity (shared by every machine: some inputs are fragile). */
const SENSITIVITY_SIGMA = 0.45;
/** INT4's systematic quantization error per component (shared by every INT4 machine). */
const QUANT_ERROR = 0.068;
/** Log-normal spread of the quantization error's size per nonce. */
const QUANT_SIGMA = 0.35;
/** W8A16's systematic quantization error per component (shared by every W8A16 machine): smaller than INT4's. */
const W8A16_ERROR = 0.052;
/** Log-normal spread of the sensitivity of B200's kernels (heavier tail than SENSITIVITY_SIGMA). */
const B200_SENSITIVITY_SIGMA = 0.6;

/** The hardware profiles the reference backend can emulate. */
export const profiles: Readonly<Record<string, ProfileDescription>> = Object.freeze({
  exact: {
    name: "exact",
    precision: "exact",
    description: "the noise-free true vector: no hardware error at all (a model for tests, not a GPU)",
    noiseScale: 0,
  },
  "h100-fp8": {
    name: "h100-fp8",
    precision: "fp8",
    description: "H100 running the FP8 model: the Hopper FP8 kernels' noise, log-normal per-nonce sensitivity",
    noiseScale: 1,
    kernel: "h100-fp8",
  },
  "h200-fp8": {
    name: "h200-fp8",
    precision: "fp8",
    description:
      "H200 running the FP8 model with the same Hopper kernels as h100-fp8: bit-identical to it (distance 0), as measured",
    noiseScale: 1,
    kernel: "h100-fp8",
  },
  "h200-fp8-flashinfer": {
    name: "h200-fp8-flashinfer",
    precision: "fp8",
    description: "H200 running the FP8 model with FlashInfer attention: other kernels, same noise class as the H class",
    noiseScale: 1,
  },
  "b200-fp8": {
    name: "b200-fp8",
    precision: "fp8",
    description:
      "B200 running the FP8 model: Blackwell kernels with a heavier tail on fragile inputs; farther from the H class than a100-fp8 is",
    noiseScale: 1,
    sensitivitySigma: B200_SENSITIVITY_SIGMA,
  },
  "a100-fp8": {
    name: "a100-fp8",
    precision: "fp8",
    description: "A100 running the FP8 model (emulated FP8): same noise class, its own noise draws",
    noiseScale: 1,
  },
  int4: {
    name: "int4",
    precision: "int4",
    description:
      "a GPU running an INT4-quantized model: a systematic quantization error shared by all INT4 machines, plus machine noise",
    noiseScale: 0.86,
  },
  "h100-int4": {
    name: "h100-int4",
    precision: "int4",
    description: "H100 running the INT4-quantized model (same quantization error as every INT4 profile)",
    noiseScale: 0.86,
  },
  "a100-int4": {
    name: "a100-int4",
    precision: "int4",
    description: "A100 running the INT4-quantized model (same quantization error as every INT4 profile)",
    noiseScale: 0.86,
  },
  "h200-int4": {
    name: "h200-int4",
    precision: "int4",
    description: "H200 running a GPTQ INT4-quantized model (same quantization error as every INT4 profile)",
    noiseScale: 0.86,
  },
  "h100-w8a16": {
    name: "h100-w8a16",
    precision: "w8a16",
    description:
      "H100 running a W8A16-quantized model: a systematic error of its own, smaller than INT4's; far from FP8 like INT4",
    noiseScale: 0.9,
  },
});

/** The names of every profile, in table order. */
export const profileNames: readonly string[] = Object.freeze(Object.keys(profiles));

/** Raised for a profile name that the table does not hold. */
export class UnknownProfileError extends PocvalError {
  override name = "UnknownProfileError";
  constructor(readonly profile: string) {
    super(`unknown backend profile "${profile}" (known: ${profileNames.join(", ")})`);
  }
}

/** The profile of that name, or an UnknownProfileError listing the known ones. */
export function getProfile(name: string): ProfileDescription {
  const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!profile) throw new UnknownProfileError(name);
  return profile;
}

const utf8 = new TextEncoder();
const TWO_POW_32 = 2 ** 32;

/** Scratch message buffer, reused: the functions here are synchronous. */
let scratch = new Uint8Array(256);

/**
 * `count` standard normal values of core's SHA-256 stream over
 * `prefix || u64le(nonce) || u64le(block)`: deterministic for given inputs.
 */
function gaussians(prefix: Uint8Array, nonce: number, count: number): Float64Array {
  const length = prefix.length + 16;
  if (scratch.length < length) scratch = new Uint8Array(length * 2);
  scratch.set(prefix);
  const tail = new DataView(scratch.buffer, prefix.length, 8);
  // u64 little endian without BigInt: nonces are safe integers below 2^53.
  tail.setUint32(0, nonce >>> 0, true);
  tail.setUint32(4, Math.floor(nonce / TWO_POW_32), true);
  return sha256Gaussians(scratch.subarray(0, length), count);
}

/**
 * The stream prefix of a domain over unambiguous fields: `pocval/reference/v1/<domain> 0x00
 * JSON(fields) 0x00`; the nonce and block counter follow it.
 */
function prefixOf(domain: string, fields: readonly (string | number)[]): Uint8Array {
  return utf8.encode(`pocval/reference/v1/${domain}\u0000${JSON.stringify(fields)}\u0000`);
}

function normalize(v: Float64Array): Float64Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

function checkNonce(nonce: number): void {
  if (!Number.isSafeInteger(nonce) || nonce < 0)
    throw new RangeError(`nonce must be a non-negative integer, got ${nonce}`);
}

/** The inputs of a run of vectors: everything but the nonce. */
export type VectorContext = Omit<ReferenceVectorInput, "nonce">;

/**
 * The vectors of one (inputs, profile, machine) nonce after nonce, with the per-run work done
 * once: what a backend serving one request uses. Same values as `referenceVector`.
 * @example const vectorOf = vectorSource({ ...inputs, profile: "h100-fp8" }); vectorOf(0); vectorOf(1);
 */
export function vectorSource(context: VectorContext): (nonce: number) => Float64Array {
  const { kDim, seqLen } = context;
  if (!Number.isSafeInteger(kDim) || kDim < 1) throw new RangeError(`kDim must be a positive integer, got ${kDim}`);
  if (!Number.isSafeInteger(seqLen) || seqLen < 1) {
    throw new RangeError(`seqLen must be a positive integer, got ${seqLen}`);
  }
  const profile = getProfile(context.profile);
  const inputs = [context.blockHash, context.publicKey, context.model, seqLen, kDim] as const;
  const sharedPrefix = prefixOf("true", inputs);
  const machinePrefix = prefixOf("machine", [profile.kernel ?? profile.name, context.machineId ?? "", ...inputs]);
  const quantPrefix = prefixOf(profile.precision === "w8a16" ? "w8a16" : "int4", inputs);
  const sensitivitySigma = profile.sensitivitySigma ?? SENSITIVITY_SIGMA;
  const quantError = profile.precision === "w8a16" ? W8A16_ERROR : QUANT_ERROR;
  // Calibrated at k_dim 12; scaled so that distances keep their size at other k_dim (the
  // perpendicular part of the noise has k_dim - 1 components).
  const dimScale = Math.sqrt(11 / Math.max(1, kDim - 1));
  const noiseScale = profile.noiseScale * MACHINE_NOISE * dimScale;

  return (nonce) => {
    checkNonce(nonce);
    // One stream for what every machine shares: the true vector, then the nonce's
    // log-sensitivity and the log-size of its INT4 quantization error.
    const shared = gaussians(sharedPrefix, nonce, kDim + 2);
    const vector = normalize(shared.slice(0, kDim));
    if (profile.precision === "exact") return vector;

    const scale = Math.exp(sensitivitySigma * shared[kDim]!) * noiseScale;
    const noise = gaussians(machinePrefix, nonce, kDim);
    for (let i = 0; i < kDim; i++) vector[i]! += scale * noise[i]!;

    if (profile.precision === "int4" || profile.precision === "w8a16") {
      const quant = gaussians(quantPrefix, nonce, kDim);
      const quantScale = Math.exp(QUANT_SIGMA * shared[kDim + 1]!) * quantError * dimScale;
      for (let i = 0; i < kDim; i++) vector[i]! += quantScale * quant[i]!;
    }
    return normalize(vector);
  };
}

/**
 * The unit vector that `profile` on machine `machineId` computes for one nonce. The true
 * vector depends on (blockHash, publicKey, nonce, model, seqLen, kDim); the profile adds
 * `sensitivity(nonce) * noiseScale * N(0, MACHINE_NOISE^2)` per component from a stream of
 * its own (profile, machine), and INT4 profiles add a quantization error shared by all of them.
 * For many nonces of the same inputs, `vectorSource` does the per-run work once.
 * @example referenceVector({ blockHash: "ab".repeat(32), publicKey: "pk", nonce: 0,
 *   model: "m", seqLen: 1024, kDim: 12, profile: "h100-fp8" }) // Float64Array(12), norm 1
 */
export function referenceVector(input: ReferenceVectorInput): Float64Array {
  checkNonce(input.nonce);
  return vectorSource(input)(input.nonce);
}
