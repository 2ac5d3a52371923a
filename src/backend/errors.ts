// Named failures of a PoC backend, as the client reports them to its callers.

/** The backend is deployed with other (model, seq_len, k_dim) than requested: HTTP 409. */
import { PocvalError } from "../core/index.js";
export class BackendParamsMismatchError extends PocvalError {
  override name = "BackendParamsMismatchError";
  constructor(
    readonly url: string,
    /** The mismatched params by their wire names (`model`, `seq_len`, `k_dim`). */
    readonly fields: string[],
    detail: string,
  ) {
    super(
      `backend ${url} is deployed with other params (${fields.length > 0 ? fields.join(", ") : "unnamed fields"}): ${detail}; point the client at a backend serving the chain's model, or fix the params`,
    );
  }
}

/** The backend stayed busy (429/503), unreachable or too slow through the whole retry budget. */
export class BackendUnavailableError extends PocvalError {
  override name = "BackendUnavailableError";
  constructor(
    readonly url: string,
    readonly attempts: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`backend ${url} unavailable after ${attempts} attempt(s): ${detail}`, options);
  }
}

/** The backend answered something that is not a valid answer to the request (never passed on as vectors). */
export class BackendResponseError extends PocvalError {
  override name = "BackendResponseError";
  constructor(
    readonly url: string,
    /** The field of the answer at fault, e.g. `artifacts[3].vector_b64` or `encoding.dtype`. */
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`backend ${url} answered badly: ${field}: ${detail}`, options);
  }
}

/** The backend refused the request itself (a 4xx other than 409 and 429): a bug on the caller's side. */
export class BackendRequestError extends PocvalError {
  override name = "BackendRequestError";
  constructor(
    readonly url: string,
    readonly status: number,
    detail: string,
  ) {
    super(`backend ${url} refused the request with HTTP ${status}: ${detail}`);
  }
}
