// Transaction execution: the ante handler and the messages against a store, as results.

import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { type BlockContext, ChainError } from "../chain/index.js";
import { type AnteMode, runAnte } from "./ante.js";
import type { TxResult } from "./db.js";
import { SdkCode, sdkError, TxError } from "./errors.js";
import { type AbciEvent, deliverMessage, fromChainError } from "./messages.js";
import { bufferedStore, type KVStore } from "./store.js";
import type { DecodedTx } from "./tx.js";

export const okResult = (): TxResult => ({
  code: 0,
  codespace: "",
  log: "",
  data: new Uint8Array(),
  gasWanted: 0n,
  gasUsed: 0n,
  events: [],
});

/** A failed tx's result: the SDK's code, codespace and log for any error a tx can raise. */
export function errorResult(err: unknown, gasWanted = 0n, gasUsed = 0n, events: AbciEvent[] = []): TxResult {
  const e =
    err instanceof TxError
      ? err
      : err instanceof ChainError
        ? fromChainError(err)
        : sdkError(SdkCode.internal, `panic: ${(err as Error)?.message ?? String(err)}`);
  return { code: e.code, codespace: e.codespace, log: e.log, data: new Uint8Array(), gasWanted, gasUsed, events };
}

/**
 * Runs one tx against store: the ante writes (fee, sequence) stay even when a message fails, the
 * message writes go through a buffer that is dropped on failure, as the Cosmos SDK does.
 */
export function executeTx(
  store: KVStore,
  ctx: BlockContext,
  tx: DecodedTx,
  opts: { chainId: string; mode: AnteMode; signatureVerified?: boolean },
): TxResult {
  const ante = bufferedStore(store);
  let outcome: ReturnType<typeof runAnte>;
  try {
    outcome = runAnte(ante, tx, { chainId: opts.chainId, mode: opts.mode, signatureVerified: opts.signatureVerified });
  } catch (err) {
    return errorResult(err, tx.fee.gasLimit);
  }
  ante.flush();
  const msgs = bufferedStore(store);
  const responses: { typeUrl: string; value: Uint8Array }[] = [];
  const events = [...outcome.events];
  try {
    tx.messages.forEach((msg, i) => {
      const r = deliverMessage(msgs, ctx, msg, i, outcome.signer);
      responses.push({ typeUrl: r.responseTypeUrl, value: r.data });
      events.push(...r.events);
    });
  } catch (err) {
    return errorResult(err, outcome.gasWanted, outcome.gasUsed, outcome.events);
  }
  msgs.flush();
  return {
    ...okResult(),
    data: TxMsgData.encode({ data: [], msgResponses: responses }).finish(),
    gasWanted: outcome.gasWanted,
    gasUsed: outcome.gasUsed,
    events,
  };
}

/** CheckTx runs the ante handler only (as the SDK does); messages run in DeliverTx. */
export function executeAnteOnly(store: KVStore, tx: DecodedTx, chainId: string, signatureVerified: boolean): TxResult {
  try {
    // A recheck after a commit need not verify again: same bytes, chain id and account number.
    const outcome = runAnte(store, tx, { chainId, mode: "check", signatureVerified });
    return { ...okResult(), gasWanted: outcome.gasWanted, gasUsed: outcome.gasUsed, events: outcome.events };
  } catch (err) {
    return errorResult(err, tx.fee.gasLimit);
  }
}
