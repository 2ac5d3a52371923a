// The backend API's JSON wire format (docs/protocol.md "Backend API", the vLLM PoC fork): zod
// schemas shared by the client and the reference backend, and the pure decoders of answers.
import { z } from "zod";
import { DecodeError, vectorFromBase64, zodField } from "../core/index.js";

/** At most this many nonces in one generate request (the reference backend's cap). */
export const MAX_NONCES_PER_REQUEST = 1_000_000;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const nonce = count;
const text = z.string().min(1).max(1024);

/** `params` of a request: what the backend must be deployed with. */
export const pocParamsSchema = z.object({
  model: text,
  seq_len: z.number().int().positive().max(1_000_000),
  k_dim: z.number().int().positive().max(4096),
});
export type WirePocParams = z.infer<typeof pocParamsSchema>;

export const wireArtifactSchema = z.object({ nonce, vector_b64: z.string().max(65_536) });
export type WireArtifact = z.infer<typeof wireArtifactSchema>;

export const statTestSchema = z.object({
  dist_threshold: z.number().nonnegative().finite(),
  p_mismatch: z.number().min(0).max(1),
  fraud_threshold: z.number().min(0).max(1),
});
export type WireStatTest = z.infer<typeof statTestSchema>;

/** `POST /api/v1/pow/generate` body. */
export const generateRequestSchema = z.object({
  block_hash: text,
  block_height: count,
  public_key: text,
  node_id: z.number().int().min(-1).max(1_000_000).default(0),
  node_count: z.number().int().min(-1).max(1_000_000).default(1),
  nonces: z.array(nonce).min(1).max(MAX_NONCES_PER_REQUEST),
  params: pocParamsSchema,
  batch_size: z.number().int().positive().max(MAX_NONCES_PER_REQUEST).optional(),
  wait: z.boolean().default(false),
  validation: z.object({ artifacts: z.array(wireArtifactSchema).min(1).max(MAX_NONCES_PER_REQUEST) }).optional(),
  stat_test: statTestSchema.optional(),
});
export type WireGenerateRequest = z.input<typeof generateRequestSchema>;
export type ParsedGenerateRequest = z.output<typeof generateRequestSchema>;

/** `POST /api/v1/pow/init/generate` body: continuous generation posting batches to a callback. */
export const initGenerateRequestSchema = z.object({
  block_hash: text,
  block_height: count,
  public_key: text,
  node_id: z.number().int().nonnegative().max(1_000_000).default(0),
  node_count: z.number().int().positive().max(1_000_000).default(1),
  params: pocParamsSchema,
  batch_size: z.number().int().positive().max(100_000).default(100),
  callback_url: z.url({ protocol: /^https?$/ }).max(2048),
  /** Stop after this many nonces (unbounded when absent: until `POST /stop`). */
  max_nonces: count.optional(),
});
export type WireInitGenerateRequest = z.input<typeof initGenerateRequestSchema>;

export const encodingSchema = z.object({
  dtype: z.literal("f16"),
  k_dim: z.number().int().positive(),
  endian: z.literal("le"),
});

const requestId = z.string().min(1).max(256);

export const completedArtifactsSchema = z.object({
  status: z.literal("completed"),
  request_id: requestId.optional(),
  artifacts: z.array(wireArtifactSchema),
  encoding: encodingSchema,
});

export const completedValidationSchema = z.object({
  status: z.literal("completed"),
  request_id: requestId.optional(),
  n_total: count,
  n_mismatch: count,
  mismatch_nonces: z.array(nonce),
  p_value: z.number().min(0).max(1),
  fraud_detected: z.boolean(),
});

/** Any record of `GET /api/v1/pow/generate/{id}` or answer of `POST /generate`, by status. */
export const jobRecordSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("queued"), request_id: requestId, queued_count: count.optional() }),
  z.object({ status: z.literal("running"), request_id: requestId }),
  z.object({ status: z.literal("completed"), request_id: requestId.optional() }).loose(),
  z.object({ status: z.literal("failed"), request_id: requestId.optional(), error: z.string().max(100_000) }),
]);
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** An artifact as the client hands it to callers: the decoded vector and its exact wire form. */
export interface Artifact {
  nonce: number;
  vector: Float64Array;
  vectorB64: string;
}

/** The result of the `validation` + `stat_test` variant. */
export interface ValidationResult {
  nTotal: number;
  nMismatch: number;
  mismatchNonces: number[];
  pValue: number;
  fraudDetected: boolean;
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const { field, message } = zodField(parsed.error);
    throw new DecodeError(field, message);
  }
  return parsed.data;
}

/** Parses a JSON answer body, or a DecodeError for text that is not JSON. */
export function parseJsonBody(textBody: string): unknown {
  try {
    return JSON.parse(textBody);
  } catch {
    throw new DecodeError("(body)", `not JSON: ${JSON.stringify(textBody.slice(0, 80))}`);
  }
}

/** A job record (queued, running, completed or failed), or a DecodeError naming the field. */
export function decodeJobRecord(body: unknown): JobRecord {
  return parseWith(jobRecordSchema, body);
}

/**
 * Checks a completed generate answer against its request: encoding f16/le/kDim, exactly the
 * requested nonces each once, every vector kDim finite values. Returns artifacts in request
 * order; anything else is a DecodeError naming the field.
 * @example decodeArtifactsAnswer(body, { kDim: 12, nonces: [0, 1] }) // [{nonce: 0, ...}, {nonce: 1, ...}]
 */
export function decodeArtifactsAnswer(
  body: unknown,
  expected: { kDim: number; nonces: readonly number[] },
): Artifact[] {
  const answer = parseWith(completedArtifactsSchema, body);
  if (answer.encoding.k_dim !== expected.kDim) {
    throw new DecodeError("encoding.k_dim", `expected ${expected.kDim}, got ${answer.encoding.k_dim}`);
  }
  const wanted = new Map<number, number>();
  for (const [i, n] of expected.nonces.entries()) wanted.set(n, i);
  const out = new Array<Artifact | undefined>(expected.nonces.length);
  answer.artifacts.forEach((artifact, i) => {
    const slot = wanted.get(artifact.nonce);
    if (slot === undefined) throw new DecodeError(`artifacts[${i}].nonce`, `nonce ${artifact.nonce} was not requested`);
    if (out[slot] !== undefined)
      throw new DecodeError(`artifacts[${i}].nonce`, `nonce ${artifact.nonce} appears twice`);
    const vector = vectorFromBase64(artifact.vector_b64, expected.kDim, `artifacts[${i}].vector_b64`);
    out[slot] = { nonce: artifact.nonce, vector, vectorB64: artifact.vector_b64 };
  });
  const missing = expected.nonces.filter((_n, i) => out[i] === undefined);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(", ");
    throw new DecodeError(
      "artifacts",
      `${missing.length} requested nonce(s) missing (${shown}${missing.length > 5 ? ", ..." : ""})`,
    );
  }
  return out as Artifact[];
}

/**
 * Checks a completed `validation` + `stat_test` answer against its request: `n_total` equals
 * the number of artifacts sent, the mismatch nonces are distinct requested nonces and number
 * `n_mismatch`. A DecodeError names the field otherwise.
 */
export function decodeValidationAnswer(body: unknown, expected: { nonces: readonly number[] }): ValidationResult {
  const answer = parseWith(completedValidationSchema, body);
  if (answer.n_total !== expected.nonces.length) {
    throw new DecodeError("n_total", `expected ${expected.nonces.length}, got ${answer.n_total}`);
  }
  if (answer.n_mismatch !== answer.mismatch_nonces.length || answer.n_mismatch > answer.n_total) {
    throw new DecodeError(
      "n_mismatch",
      `${answer.n_mismatch} does not match ${answer.mismatch_nonces.length} mismatch nonces of ${answer.n_total}`,
    );
  }
  const requested = new Set(expected.nonces);
  const seen = new Set<number>();
  answer.mismatch_nonces.forEach((n, i) => {
    if (!requested.has(n)) throw new DecodeError(`mismatch_nonces[${i}]`, `nonce ${n} was not sent for validation`);
    if (seen.has(n)) throw new DecodeError(`mismatch_nonces[${i}]`, `nonce ${n} appears twice`);
    seen.add(n);
  });
  return {
    nTotal: answer.n_total,
    nMismatch: answer.n_mismatch,
    mismatchNonces: answer.mismatch_nonces,
    pValue: answer.p_value,
    fraudDetected: answer.fraud_detected,
  };
}
