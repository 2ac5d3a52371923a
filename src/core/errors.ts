/** Named facts about what an error concerns (which participant, stage, field, file...). */
export type ErrorContext = { readonly [key: string]: unknown };

export interface PocvalErrorOptions {
  /** The error this one explains; kept so that no cause is lost when a message is reworded. */
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * The base of every pocval error: a message that names what is wrong, the original error as
 * `cause`, and the context a log line or a caller can act on. Test with `instanceof`, not `name`.
 */
export class PocvalError extends Error {
  override name = "PocvalError";
  readonly context: ErrorContext;
  constructor(message: string, options: PocvalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.context = options.context ?? {};
  }
}

/** Raised when an external value (base64, hex, vector bytes, proof) does not decode; names the field at fault. */
export class DecodeError extends PocvalError {
  override name = "DecodeError";
  constructor(
    readonly field: string,
    message: string,
    options?: PocvalErrorOptions,
  ) {
    super(`${field}: ${message}`, { ...options, context: { field, ...options?.context } });
  }
}
