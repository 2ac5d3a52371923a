/**
 * Codes of the Cosmos SDK's `sdk` codespace (types/errors/errors.go), so cosmjs users see the
 * numbers and logs they know from any Cosmos chain.
 */
import { PocvalError } from "../core/index.js";
export const SdkCode = {
  internal: 1,
  txDecode: 2,
  unauthorized: 4,
  insufficientFunds: 5,
  unknownRequest: 6,
  invalidAddress: 7,
  unknownAddress: 9,
  invalidCoins: 10,
  outOfGas: 11,
  memoTooLarge: 12,
  insufficientFee: 13,
  invalidRequest: 18,
  txTooLarge: 21,
  keyNotFound: 22,
  invalidChainId: 28,
  wrongSequence: 32,
  invalidGasLimit: 41,
} as const;

/** The `sdk` suffix a Cosmos SDK log carries for each code: "<detail>: <suffix>". */
const suffixes: Record<number, string> = {
  1: "internal",
  2: "tx parse error",
  4: "unauthorized",
  5: "insufficient funds",
  6: "unknown request",
  7: "invalid address",
  9: "unknown address",
  10: "invalid coins",
  11: "out of gas",
  12: "memo too large",
  13: "insufficient fee",
  18: "invalid request",
  21: "tx too large",
  22: "key not found",
  28: "invalid chain-id",
  32: "incorrect account sequence",
  41: "invalid gas limit",
};

/**
 * A rejected transaction or query: carries the ABCI code, codespace and log the node answers with.
 * Thrown by the ante handler, bank and the query router; the node turns it into a result, never a crash.
 */
export class TxError extends PocvalError {
  override name = "TxError";
  constructor(
    readonly code: number,
    readonly codespace: string,
    readonly log: string,
  ) {
    super(log);
  }
}

/** A TxError in the `sdk` codespace whose log ends with the SDK's suffix for the code. */
export function sdkError(code: number, detail: string): TxError {
  const suffix = suffixes[code] ?? "error";
  return new TxError(code, "sdk", detail === "" ? suffix : `${detail}: ${suffix}`);
}

/** A failure of the app itself: its database, a module failing at a block boundary, a block out of order. */
export class AppError extends PocvalError {
  override name = "AppError";
}
