// Fetches leaves with their audit paths from a participant's proof API: signed requests in
// batches of at most 500, a deadline covering the whole body, a size cap, zod validation.

import {
  addressPrefixOf,
  type FailedTry,
  type LeafProof,
  MAX_LEAF_INDICES,
  PocvalError,
  type ProofFailureKind,
  type ProofRequest,
  retryWaitMs,
  type SignedProofAnswer,
  signedProofAnswerSchema,
  signProofRequest,
  verifyProofAnswer,
} from "../core/index.js";
import { Reason } from "../gen/pocval/v1/types.js";
import { backoffDelay, sleep } from "../net/index.js";

/** Longest single wait a Retry-After header is read as (the chain's proof_response_ms caps the wait). */
const MAX_RETRY_AFTER_MS = 60_000;

/** One failed proof request, with the participant and what went wrong. */
export class ProofApiError extends PocvalError {
  override name = "ProofApiError";
  constructor(
    readonly kind: ProofFailureKind,
    readonly url: string,
    message: string,
    readonly status?: number,
    /** For `rate_limited`: how long the server asked to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(`proof API ${url}: ${message}`);
  }
  /** The signed request that failed (set by fetchProofBatch once it is signed). */
  request?: ProofRequest;
}

export type { ProofFailureKind };

/** Reads a response body up to maxBytes; a longer body is an oversize failure. */
async function readCapped(res: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new ProofApiError("oversize", url, `declared body of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ProofApiError("oversize", url, `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface ProofBatchRequest {
  /** The participant's registered proof_api_url (base). */
  baseUrl: string;
  stageHeight: number;
  count: number;
  rootHashB64: string;
  leafIndices: number[];
  validatorAddress: string;
  /** The participant the request is meant for (signed, so a replay elsewhere is refused). */
  participantAddress: string;
  privateKey: Uint8Array;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Aborts the request early (the sidecar stops or the window closes). */
  signal?: AbortSignal;
  /** Clock for the request's timestamp; tests may pin it. */
  nowNs?: () => bigint;
}

/** Retry-After (delta-seconds or an HTTP date) in ms, clamped to [100 ms, 60 s]; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number {
  let ms = 1000;
  if (header !== null && /^\s*\d+(\.\d+)?\s*$/.test(header)) ms = Number(header) * 1000;
  else if (header !== null && Number.isFinite(Date.parse(header))) ms = Date.parse(header) - nowMs;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(100, ms));
}

/** The proofs endpoint under a participant's base URL. */
export function proofsEndpoint(baseUrl: string): string {
  return new URL("pocval/v1/proofs", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).toString();
}

/** One signed POST /pocval/v1/proofs; throws ProofApiError on any failure. */
export interface SignedBatch {
  /** The signed request as sent. */
  request: ProofRequest;
  /** The participant's signed answer, verified. */
  answer: SignedProofAnswer;
}

/** One signed POST /pocval/v1/proofs; its answer must be signed by the participant. Throws ProofApiError on any failure. */
export async function fetchProofBatch(req: ProofBatchRequest): Promise<SignedBatch> {
  if (req.leafIndices.length < 1 || req.leafIndices.length > MAX_LEAF_INDICES) {
    throw new RangeError(`a proof request carries 1..${MAX_LEAF_INDICES} leaf indices, got ${req.leafIndices.length}`);
  }
  let url: string;
  try {
    url = proofsEndpoint(req.baseUrl);
  } catch {
    throw new ProofApiError("unreachable", req.baseUrl, "the registered proof_api_url is not a URL");
  }
  const nowNs = req.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
  const body = signProofRequest(
    {
      stage_height: req.stageHeight,
      count: req.count,
      root_hash: req.rootHashB64,
      leaf_indices: req.leafIndices,
      validator_address: req.validatorAddress,
      participant_address: req.participantAddress,
      timestamp_ns: nowNs().toString(),
    },
    req.privateKey,
  );
  try {
    return await sendSigned(url, body, req);
  } catch (err) {
    if (err instanceof ProofApiError) err.request = body;
    throw err;
  }
}

/** Sends one signed request and reads, checks and verifies its answer. */
async function sendSigned(url: string, body: ProofRequest, req: ProofBatchRequest): Promise<SignedBatch> {
  // One deadline for connect, headers and the whole body: a slow drip times out as well.
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  let text: string;
  let status: number;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
      redirect: "error",
    });
    status = res.status;
    if (status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      if (status === 409)
        throw new ProofApiError("conflict", url, "409: it does not hold the committed (count, root)", 409);
      if (status === 429) {
        const wait = retryAfterMs(res.headers.get("retry-after"));
        throw new ProofApiError("rate_limited", url, `429: rate limited, retry after ${wait} ms`, 429, wait);
      }
      throw new ProofApiError("http", url, `HTTP ${status}`, status);
    }
    text = await readCapped(res, url, req.maxResponseBytes);
  } catch (err) {
    if (err instanceof ProofApiError) throw err;
    if (timeout.aborted) throw new ProofApiError("timeout", url, `no complete answer within ${req.timeoutMs} ms`);
    if (req.signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new ProofApiError("unreachable", url, `${(err as Error).message}${cause ? ` (${cause})` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProofApiError("malformed", url, "the answer is not JSON");
  }
  const parsed = signedProofAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ProofApiError(
      "malformed",
      url,
      `the answer does not match the schema: ${first?.path.join(".")}: ${first?.message}`,
    );
  }
  // docs/protocol.md "Signed proof answers": a missing or bad signature is a failed try.
  const signed = verifyProofAnswer(parsed.data, body, req.participantAddress, addressPrefixOf(req.participantAddress));
  if (!signed.ok)
    throw new ProofApiError("bad_signature", url, `the answer is not the participant's: ${signed.reason}`);
  return { request: body, answer: parsed.data };
}

export interface FetchProofsOptions extends Omit<ProofBatchRequest, "leafIndices" | "timeoutMs"> {
  leafIndices: readonly number[];
  batchSize: number;
  /** The chain's proof_request_budget: requests sent at most, every batch and retry included. */
  budget: number;
  /** The chain's proof_response_ms: each request's deadline, and the longest wait between tries. */
  responseMs: number;
  /** Waits between failed tries (backoff), each capped at responseMs. */
  retry: { baseDelayMs: number; maxDelayMs: number };
  /**
   * Wall-clock ms (Date.now()) by which the budget should be spent: the check's deadline
   * (core/availability.ts checkDeadlineMs). Each wait is capped so the tries left fit before it;
   * undefined: no cap but responseMs.
   */
  deadlineMs?: number;
  /** Called on each failed attempt (for logs and metrics). */
  onFailure?: (err: ProofApiError, attempt: number) => void;
}

export type FetchProofsResult =
  | { ok: true; proofs: LeafProof[]; batches: SignedBatch[]; sent: number }
  | {
      ok: false;
      reason: Reason.REASON_UNAVAILABLE;
      detail: string;
      kind: ProofFailureKind;
      /** Every try, signed request and failure, in sending order: the budget, spent. */
      tries: FailedTry[];
    };

/** A failed try as evidence keeps it. */
function failedTry(err: ProofApiError): FailedTry {
  return {
    request: err.request!,
    failure: {
      kind: err.kind,
      ...(err.status !== undefined && { status: err.status }),
      ...(err.retryAfterMs !== undefined && { retry_after_ms: Math.round(err.retryAfterMs) }),
      detail: err.message.slice(0, 2000),
    },
  };
}

/**
 * All requested leaves, batch by batch, within the chain's request budget (docs/protocol.md
 * "Availability"): never more than `budget` requests, retries included. A 429, a 5xx, a timeout,
 * a reset connection, an incomplete or unsigned body is a failed try; between tries the sidecar
 * waits Retry-After (a 429) or its backoff, never longer than `responseMs` nor than the share of
 * the time left before `deadlineMs` that lets every remaining try go out (core/availability.ts). A budget spent on
 * failed tries is UNAVAILABLE, with the tries as evidence. Aborting the signal (the window
 * closes, the sidecar stops) throws: the sidecar then abstains.
 */
export async function fetchProofs(opts: FetchProofsOptions): Promise<FetchProofsResult> {
  const proofs: LeafProof[] = [];
  const batches: SignedBatch[] = [];
  const tries: FailedTry[] = [];
  const size = Math.min(opts.batchSize, MAX_LEAF_INDICES);
  let sent = 0;
  for (let start = 0; start < opts.leafIndices.length; start += size) {
    const leafIndices = opts.leafIndices.slice(start, start + size);
    for (let attempt = 1; ; attempt++) {
      try {
        sent++;
        const batch = await fetchProofBatch({ ...opts, leafIndices, timeoutMs: opts.responseMs });
        proofs.push(...batch.answer.proofs);
        batches.push(batch);
        break;
      } catch (err) {
        if (!(err instanceof ProofApiError)) throw err;
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        opts.onFailure?.(err, attempt);
        tries.push(failedTry(err));
        if (sent >= opts.budget) {
          return { ok: false, reason: Reason.REASON_UNAVAILABLE, detail: err.message, kind: err.kind, tries };
        }
        const asked = err.kind === "rate_limited" ? (err.retryAfterMs ?? 1000) : backoffDelay(attempt, opts.retry);
        const wait = retryWaitMs({
          askedMs: asked,
          responseMs: opts.responseMs,
          triesLeft: opts.budget - sent,
          nowMs: Date.now(),
          deadlineMs: opts.deadlineMs,
        });
        await sleep(wait, opts.signal);
      }
    }
  }
  return { ok: true, proofs, batches, sent };
}
