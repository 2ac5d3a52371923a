// The ante handler: signatures, sequence, gas and fees before a tx's messages run.
// Deterministic: it reads no clock.
import { toBase64 } from "@cosmjs/encoding";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { DENOM, MIN_GAS_PRICE_AMOUNT } from "../chain/index.js";
import { accountPubKey, FEE_COLLECTOR, getAccount, setAccount, transfer, withPubKey } from "./accounts.js";
import { SdkCode, sdkError } from "./errors.js";
import { type AbciEvent, messageSigner } from "./messages.js";
import type { KVStore } from "./store.js";
import { addressOfPubKey, type DecodedTx, MAX_MEMO_CHARS, signDocBytes, verifySecp256k1 } from "./tx.js";

/**
 * The deterministic gas schedule: a flat cost per transaction (signature verification included),
 * a cost per byte of tx and a flat cost per message. It reads no state, so CheckTx, DeliverTx and
 * simulation agree on it.
 */
export const GAS = { perTx: 20_000n, perByte: 10n, perMessage: 30_000n } as const;
/** Bytes a simulated tx lacks against the signed one (a 64-byte signature, the fee): priced in. */
const SIMULATION_PADDING_BYTES = 128n;
/** fee >= ceil(gas_limit * MIN_GAS_PRICE_AMOUNT) upoc. */
const FEE_DIVISOR = BigInt(Math.round(1 / MIN_GAS_PRICE_AMOUNT));

export type AnteMode = "check" | "deliver" | "simulate";

export interface AnteOutcome {
  signer: string;
  gasWanted: bigint;
  gasUsed: bigint;
  events: AbciEvent[];
}

export interface AnteOptions {
  chainId: string;
  mode: AnteMode;
  /** Whether this tx's signature was already verified against the same state (CheckTx cache). */
  signatureVerified?: boolean;
}

export function gasUsedBy(tx: DecodedTx, mode: AnteMode): bigint {
  const bytes = BigInt(tx.bytes.length) + (mode === "simulate" ? SIMULATION_PADDING_BYTES : 0n);
  return GAS.perTx + GAS.perByte * bytes + GAS.perMessage * BigInt(tx.messages.length);
}

export function requiredFee(gasLimit: bigint): bigint {
  return (gasLimit + FEE_DIVISOR - 1n) / FEE_DIVISOR;
}

/**
 * The SDK's ante chain for a single-signer tx: stateless checks, gas, fee, account, public key,
 * sequence, signature, then it charges the fee and bumps the sequence in store. Throws TxError with
 * the SDK's code and log; the caller runs it on a write buffer so a rejection writes nothing.
 */
export function runAnte(store: KVStore, tx: DecodedTx, opts: AnteOptions): AnteOutcome {
  const simulate = opts.mode === "simulate";
  if (tx.messages.length === 0) throw sdkError(SdkCode.invalidRequest, "must contain at least one message");
  if (tx.memo.length > MAX_MEMO_CHARS) {
    throw sdkError(
      SdkCode.memoTooLarge,
      `maximum number of characters is ${MAX_MEMO_CHARS} but received ${tx.memo.length}`,
    );
  }
  const signers = [...new Set(tx.messages.map(messageSigner))];
  if (signers.length !== 1) {
    throw sdkError(SdkCode.unauthorized, `this node accepts single-signer txs only; got ${signers.length} signers`);
  }
  const signer = signers[0]!;
  if (tx.signers.length !== 1 || tx.signatures.length !== 1) {
    throw sdkError(
      SdkCode.unauthorized,
      `wrong number of signers; expected 1, got ${tx.signers.length} signer infos and ${tx.signatures.length} signatures`,
    );
  }
  if (tx.fee.payer !== "" && tx.fee.payer !== signer) {
    throw sdkError(SdkCode.unauthorized, `fee payer ${tx.fee.payer} must be the signer ${signer}`);
  }
  if (tx.fee.granter !== "") throw sdkError(SdkCode.invalidRequest, "fee grants are not supported by this node");

  const gasUsed = gasUsedBy(tx, opts.mode);
  const gasWanted = tx.fee.gasLimit;
  let fee = 0n;
  if (!simulate) {
    if (gasUsed > gasWanted) {
      throw sdkError(SdkCode.outOfGas, `out of gas in location: ante; gasWanted: ${gasWanted}, gasUsed: ${gasUsed}`);
    }
    const foreign = tx.fee.amount.find((c) => c.denom !== DENOM);
    fee = tx.fee.amount.reduce(
      (sum, c) => (c.denom === DENOM && /^\d+$/.test(c.amount) ? sum + BigInt(c.amount) : sum),
      0n,
    );
    const required = requiredFee(gasWanted);
    if (foreign || fee < required) {
      const got = tx.fee.amount.map((c) => `${c.amount}${c.denom}`).join(",") || "0upoc";
      throw sdkError(SdkCode.insufficientFee, `insufficient fees; got: ${got} required: ${required}${DENOM}`);
    }
  }

  const account = getAccount(store, signer);
  if (!account) throw sdkError(SdkCode.unknownAddress, `account ${signer} not found`);
  const info = tx.signers[0]!;
  const pubKey = info.pubKey ?? accountPubKey(account);
  if (!pubKey) {
    throw sdkError(SdkCode.unauthorized, `no public key for signer ${signer}: the tx must carry it on first use`);
  }
  if (addressOfPubKey(pubKey) !== signer) {
    throw sdkError(SdkCode.unauthorized, `pubKey does not match signer address ${signer} with signer index: 0`);
  }
  if (info.sequence !== account.sequence) {
    throw sdkError(
      SdkCode.wrongSequence,
      `account sequence mismatch, expected ${account.sequence}, got ${info.sequence}`,
    );
  }
  if (!simulate && !opts.signatureVerified) {
    const signature = tx.signatures[0]!;
    const ok =
      info.mode === SignMode.SIGN_MODE_DIRECT &&
      verifySecp256k1(signature, signDocBytes(tx, opts.chainId, account.accountNumber), pubKey);
    if (!ok) {
      throw sdkError(
        SdkCode.unauthorized,
        `signature verification failed; please verify account number (${account.accountNumber}), sequence (${account.sequence}) and chain-id (${opts.chainId})`,
      );
    }
  }
  if (fee > 0n) transfer(store, signer, FEE_COLLECTOR, [{ denom: DENOM, amount: fee.toString() }]);
  setAccount(store, { ...withPubKey(account, pubKey), sequence: account.sequence + 1n });

  const feeText = fee > 0n ? `${fee}${DENOM}` : "";
  return {
    signer,
    gasWanted,
    gasUsed,
    events: [
      {
        type: "tx",
        attributes: [
          { key: "fee", value: feeText },
          { key: "fee_payer", value: signer },
        ],
      },
      { type: "tx", attributes: [{ key: "acc_seq", value: `${signer}/${account.sequence}` }] },
      { type: "tx", attributes: [{ key: "signature", value: toBase64(tx.signatures[0] ?? new Uint8Array()) }] },
    ],
  };
}
