/**
 * ABCI result codes of the pocval codespace (code 1 is reserved for internal errors, as in the
 * Cosmos SDK). A cosmjs user sees the code and the log in the DeliverTxResponse.
 */
import { PocvalError } from "../core/index.js";
export const ErrorCode = {
  InvalidAddress: 2,
  InvalidField: 3,
  UnknownMessage: 4,
  Undecodable: 5,
  NotAStage: 6,
  OutsideWindow: 7,
  NotRegistered: 8,
  CountNotIncreasing: 9,
  OneCommitPerBlock: 10,
  NotBonded: 11,
  DuplicateVote: 12,
  NoCommitment: 13,
  Unauthorized: 14,
  NotFound: 15,
  InvalidGenesis: 16,
  UnknownQuery: 17,
  NotInitialized: 18,
  /** Version 2: validation_slots > 0 and the voter holds no slot of the participant. */
  NoSlot: 19,
  /** Version 2: a STAT_TEST vote whose checked / mismatches contradict its verdict against k_crit(n). */
  InconsistentVote: 20,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a rejected message or query was about; every field that is known is named in the log. */
export type ErrorContext = {
  stage?: bigint;
  participant?: string;
  validator?: string;
  field?: string;
};

function describe(context: ErrorContext): string {
  const parts: string[] = [];
  if (context.stage !== undefined) parts.push(`stage ${context.stage}`);
  if (context.participant) parts.push(`participant ${context.participant}`);
  if (context.validator) parts.push(`validator ${context.validator}`);
  if (context.field) parts.push(`field ${context.field}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** A message, query or genesis the module refuses; it changed no state. `log` is what the user reads. */
export class ChainError extends PocvalError {
  override name = "ChainError";
  readonly codespace = "pocval" as const;
  readonly log: string;
  constructor(
    readonly code: ErrorCode,
    what: string,
    override readonly context: ErrorContext = {},
    options: { cause?: unknown } = {},
  ) {
    const log = `${what}${describe(context)}`;
    super(log, { cause: options.cause, context });
    this.log = log;
  }
}
