// Client of the vLLM PoC backend API (docs/protocol.md "Backend API"): batching, bounded retries
// with backoff, polling of queued requests, and answers checked before any vector is returned.
import { binomialPValue, DecodeError, PocvalError } from "../core/index.js";
import { backoffDelay, sleep } from "../net/index.js";
import {
  BackendParamsMismatchError,
  BackendRequestError,
  BackendResponseError,
  BackendUnavailableError,
} from "./errors.js";
import {
  type Artifact,
  decodeArtifactsAnswer,
  decodeJobRecord,
  decodeValidationAnswer,
  parseJsonBody,
  type ValidationResult,
  type WireGenerateRequest,
  type WireInitGenerateRequest,
} from "./wire.js";

/** What the backend must be deployed with (the chain's params). */
export interface PocParams {
  model: string;
  seqLen: number;
  kDim: number;
}

/** Vectors for `nonces` of one participant's generation seed. */
export interface GenerateRequest {
  blockHash: string;
  blockHeight: number;
  publicKey: string;
  nonces: number[];
  params: PocParams;
  nodeId?: number;
  nodeCount?: number;
}

/** The `validation` + `stat_test` variant: the backend recomputes and tests received vectors. */
export interface ValidateRequest extends Omit<GenerateRequest, "nonces"> {
  artifacts: { nonce: number; vectorB64: string }[];
  statTest: { distThreshold: number; pMismatch: number; fraudThreshold: number };
}

/** Continuous generation (`/init/generate`): the backend posts batches to `${callbackUrl}/generated`. */
export interface InitGenerateRequest extends Omit<GenerateRequest, "nonces"> {
  callbackUrl: string;
  batchSize?: number;
  maxNonces?: number;
}

export interface BackendClientOptions {
  /** Base URL of the backend, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Limit of one HTTP exchange in ms (a `wait: true` exchange includes the generation). Default 60,000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 503, 5xx, timeouts and connection errors. Default 5. */
  retries?: number;
  /** Nonces per request. Default 1000. */
  batchSize?: number;
  /** The backend's engine batch (`batch_size` on the wire); the backend's default when absent. */
  engineBatchSize?: number;
  /** `wait: true` (one exchange per batch) or queued requests with polling. Default true. */
  wait?: boolean;
  /** Batches in flight at once. Default 2. */
  concurrency?: number;
  /** Delay between polls of a queued request in ms. Default 100. */
  pollIntervalMs?: number;
  /** First backoff in ms; doubles per retry with jitter, capped at maxBackoffMs. Default 200. */
  backoffMs?: number;
  /** Largest backoff in ms. Default 5,000. */
  maxBackoffMs?: number;
  /** Limit of one queued request from submission to completion in ms. Default 600,000. */
  jobTimeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface BackendClient {
  readonly url: string;
  /** The artifacts of exactly `req.nonces`, in request order, each vector checked. */
  generate(req: GenerateRequest, opts?: CallOptions): Promise<Artifact[]>;
  /** The backend's recomputation and mismatch test of received artifacts. */
  validate(req: ValidateRequest, opts?: CallOptions): Promise<ValidationResult>;
  /** `GET /api/v1/pow/status`: the backend's own status object. */
  status(opts?: CallOptions): Promise<unknown>;
  /** Starts continuous generation with callbacks. */
  initGenerate(req: InitGenerateRequest, opts?: CallOptions): Promise<unknown>;
  /** `POST /api/v1/pow/stop`: stops continuous generation. */
  stop(opts?: CallOptions): Promise<unknown>;
}

/** A failure worth another attempt (busy, down, slow, connection lost). */
class RetryableError extends PocvalError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A queued request that failed or that the backend forgot: submit it again. */
class ResubmitError extends PocvalError {}

const PARAM_FIELDS = ["model", "seq_len", "k_dim"] as const;

/** The mismatched params a 409 body names: `fields`, `detail.fields`, or the names in its text. */
function mismatchFields(body: unknown, textBody: string): string[] {
  const candidates = [body, (body as { detail?: unknown } | null)?.detail];
  for (const c of candidates) {
    const fields = (c as { fields?: unknown } | null)?.fields;
    if (Array.isArray(fields) && fields.every((f) => typeof f === "string")) return fields.slice(0, 16);
  }
  return PARAM_FIELDS.filter((f) => textBody.includes(f));
}

function errorText(body: unknown, textBody: string): string {
  const b = body as { error?: unknown; detail?: unknown } | null;
  const message = typeof b?.error === "string" ? b.error : typeof b?.detail === "string" ? b.detail : textBody;
  return message.slice(0, 300);
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Runs `work` over `items` with at most `limit` in flight. The first failure aborts the
 * others (through the signal they get) and is the one thrown.
 */
async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  outer: AbortSignal | undefined,
  work: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const siblings = new AbortController();
  const signal = outer ? AbortSignal.any([outer, siblings.signal]) : siblings.signal;
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async () => {
    while (firstError === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, signal);
      } catch (error) {
        firstError ??= { error };
        siblings.abort(new Error("a sibling batch failed"));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) throw firstError.error;
  return results;
}

function checkUniqueNonces(nonces: readonly number[]): void {
  const seen = new Set<number>();
  for (const [i, n] of nonces.entries()) {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`nonces[${i}] must be a non-negative integer, got ${n}`);
    if (seen.has(n)) throw new RangeError(`nonces[${i}]: nonce ${n} appears twice`);
    seen.add(n);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`createBackendClient: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** The client's settings, checked once: the functions below read them. */
interface ClientSettings {
  url: string;
  timeoutMs: number;
  retries: number;
  batchSize: number;
  engineBatch: { batch_size?: number };
  concurrency: number;
  pollIntervalMs: number;
  backoffMs: number;
  maxBackoffMs: number;
  jobTimeoutMs: number;
  wait: boolean;
}

/**
 * A client of one PoC backend. Bad answers (wrong encoding, k_dim, nonces, undecodable or
 * non-finite vectors) throw BackendResponseError; a 409 throws BackendParamsMismatchError; a
 * backend busy or unreachable through the retry budget throws BackendUnavailableError.
 * @example
 * const backend = createBackendClient({ url: "http://127.0.0.1:8000" });
 * const artifacts = await backend.generate({ blockHash, blockHeight: 10, publicKey, nonces: [0, 1, 2],
 *   params: { model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", seqLen: 1024, kDim: 12 } });
 */
export function createBackendClient(opts: BackendClientOptions): BackendClient {
  const c = clientSettings(opts);
  return {
    url: c.url,
    generate: (req, callOpts = {}) => generate(c, req, callOpts.signal),
    validate: (req, callOpts = {}) => validate(c, req, callOpts.signal),
    status: async (callOpts = {}) => withRetries(c, "GET", "/api/v1/pow/status", undefined, callOpts.signal),
    async initGenerate(req, callOpts = {}) {
      const body: WireInitGenerateRequest = {
        ...wireBase(req),
        callback_url: req.callbackUrl,
        ...(req.batchSize === undefined ? {} : { batch_size: req.batchSize }),
        ...(req.maxNonces === undefined ? {} : { max_nonces: req.maxNonces }),
      };
      return withRetries(c, "POST", "/api/v1/pow/init/generate", body, callOpts.signal);
    },
    stop: async (callOpts = {}) => withRetries(c, "POST", "/api/v1/pow/stop", {}, callOpts.signal),
  };
}

function clientSettings(opts: BackendClientOptions): ClientSettings {
  return {
    url: new URL(opts.url).toString().replace(/\/+$/, ""),
    timeoutMs: positiveInt("timeoutMs", opts.timeoutMs, 60_000),
    retries: positiveInt("retries", opts.retries, 5, 0),
    batchSize: positiveInt("batchSize", opts.batchSize, 1000),
    engineBatch:
      opts.engineBatchSize === undefined ? {} : { batch_size: positiveInt("engineBatchSize", opts.engineBatchSize, 1) },
    concurrency: positiveInt("concurrency", opts.concurrency, 2),
    pollIntervalMs: positiveInt("pollIntervalMs", opts.pollIntervalMs, 100, 0),
    backoffMs: positiveInt("backoffMs", opts.backoffMs, 200, 0),
    maxBackoffMs: positiveInt("maxBackoffMs", opts.maxBackoffMs, 5_000, 0),
    jobTimeoutMs: positiveInt("jobTimeoutMs", opts.jobTimeoutMs, 600_000),
    wait: opts.wait ?? true,
  };
}

/** Generates the nonces' vectors in batches of batchSize, `concurrency` at a time. */
async function generate(c: ClientSettings, req: GenerateRequest, signal?: AbortSignal): Promise<Artifact[]> {
  checkUniqueNonces(req.nonces);
  if (req.nonces.length === 0) return [];
  const base = wireBase(req);
  const batches = await mapConcurrent(chunks(req.nonces, c.batchSize), c.concurrency, signal, async (nonces, s) => {
    const body: WireGenerateRequest = { ...base, nonces, ...c.engineBatch, wait: c.wait };
    const answer = await runJob(c, body, s);
    return decoded(c.url, () => decodeArtifactsAnswer(answer, { kDim: req.params.kDim, nonces }));
  });
  return batches.flat();
}

/** The backend's statistical test of the artifacts, in batches; several batches are tested as their union. */
async function validate(c: ClientSettings, req: ValidateRequest, signal?: AbortSignal): Promise<ValidationResult> {
  const base = wireBase(req);
  const statTest = {
    dist_threshold: req.statTest.distThreshold,
    p_mismatch: req.statTest.pMismatch,
    fraud_threshold: req.statTest.fraudThreshold,
  };
  checkUniqueNonces(req.artifacts.map((a) => a.nonce));
  if (req.artifacts.length === 0) throw new RangeError("validate: no artifacts to validate");
  const parts = await mapConcurrent(chunks(req.artifacts, c.batchSize), c.concurrency, signal, async (artifacts, s) => {
    const nonces = artifacts.map((a) => a.nonce);
    const body: WireGenerateRequest = {
      ...base,
      nonces,
      ...c.engineBatch,
      wait: c.wait,
      validation: { artifacts: artifacts.map((a) => ({ nonce: a.nonce, vector_b64: a.vectorB64 })) },
      stat_test: statTest,
    };
    const answer = await runJob(c, body, s);
    return decoded(c.url, () => decodeValidationAnswer(answer, { nonces }));
  });
  if (parts.length === 1) return parts[0]!;
  // Several batches: the test runs over their union, as one request would.
  const nTotal = parts.reduce((sum, p) => sum + p.nTotal, 0);
  const mismatchNonces = parts.flatMap((p) => p.mismatchNonces);
  const pValue = binomialPValue(mismatchNonces.length, nTotal, req.statTest.pMismatch);
  return {
    nTotal,
    nMismatch: mismatchNonces.length,
    mismatchNonces,
    pValue,
    fraudDetected: pValue < req.statTest.fraudThreshold,
  };
}

/** One HTTP exchange; classifies the outcome into a value or one of the error kinds. */
async function exchange(
  c: ClientSettings,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const { url, timeoutMs } = c;
  const attemptSignal = signal
    ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  let status: number;
  let textBody: string;
  let retryAfter: string | null;
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: attemptSignal,
    });
    status = res.status;
    retryAfter = res.headers.get("retry-after");
    textBody = await res.text();
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (attemptSignal.aborted)
      throw new RetryableError(`${method} ${path} timed out after ${timeoutMs} ms`, undefined, { cause: err });
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new RetryableError(`${method} ${path}: connection failed (${why})`, undefined, { cause: err });
  }
  if (status === 200 || status === 202) return decoded(url, () => parseJsonBody(textBody));
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(textBody);
  } catch {
    // Error bodies are informative only; plain text is fine.
  }
  const detail = errorText(parsed, textBody);
  if (status === 409) throw new BackendParamsMismatchError(url, mismatchFields(parsed, textBody), detail);
  if (status === 429 || status >= 500) {
    throw new RetryableError(`${method} ${path}: HTTP ${status} ${detail}`, retryAfterMs(retryAfter));
  }
  if (status === 404 && method === "GET" && path.startsWith("/api/v1/pow/generate/")) {
    throw new ResubmitError(`queued request lost by the backend (404): ${detail}`);
  }
  throw new BackendRequestError(url, status, detail);
}

/** `exchange` with bounded retries, exponential backoff and jitter (Retry-After honoured up to the cap). */
async function withRetries(
  c: ClientSettings,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await exchange(c, method, path, body, signal);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (attempt >= c.retries) throw new BackendUnavailableError(c.url, attempt + 1, err.message, { cause: err });
      const jittered = backoffDelay(attempt + 1, { baseDelayMs: c.backoffMs, maxDelayMs: c.maxBackoffMs });
      await sleep(Math.min(c.maxBackoffMs, Math.max(jittered, err.retryAfterMs ?? 0)), signal);
    }
  }
}

/** A decoder's DecodeError as the backend's bad answer, naming the field. */
function decoded<T>(url: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError)
      throw new BackendResponseError(url, err.field, err.message.replace(`${err.field}: `, ""), { cause: err });
    throw err;
  }
}

/** Submits one batch and waits for its completed answer (polling when queued). */
async function runJob(c: ClientSettings, body: WireGenerateRequest, signal?: AbortSignal): Promise<unknown> {
  for (let resubmits = 0; ; resubmits++) {
    try {
      return await submitAndAwait(c, body, signal);
    } catch (err) {
      if (!(err instanceof ResubmitError)) throw err;
      if (resubmits >= c.retries) throw new BackendUnavailableError(c.url, resubmits + 1, err.message, { cause: err });
    }
  }
}

async function submitAndAwait(c: ClientSettings, body: WireGenerateRequest, signal?: AbortSignal): Promise<unknown> {
  let answer = await withRetries(c, "POST", "/api/v1/pow/generate", body, signal);
  const deadline = Date.now() + c.jobTimeoutMs;
  for (;;) {
    const record = decoded(c.url, () => decodeJobRecord(answer));
    if (record.status === "completed") return answer;
    if (record.status === "failed")
      throw new ResubmitError(`request failed on the backend: ${record.error.slice(0, 300)}`);
    if (Date.now() > deadline) {
      throw new BackendUnavailableError(
        c.url,
        1,
        `request ${record.request_id} not completed within ${c.jobTimeoutMs} ms`,
      );
    }
    await sleep(c.pollIntervalMs, signal);
    answer = await withRetries(
      c,
      "GET",
      `/api/v1/pow/generate/${encodeURIComponent(record.request_id)}`,
      undefined,
      signal,
    );
  }
}

function wireBase(req: Omit<GenerateRequest, "nonces">) {
  return {
    block_hash: req.blockHash,
    block_height: req.blockHeight,
    public_key: req.publicKey,
    node_id: req.nodeId ?? 0,
    node_count: req.nodeCount ?? 1,
    params: { model: req.params.model, seq_len: req.params.seqLen, k_dim: req.params.kDim },
  };
}
