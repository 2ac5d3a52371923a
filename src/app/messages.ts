// Routing a tx's messages: bank sends and the pocval module's messages, and their signers.
import { MsgSend, MsgSendResponse } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import {
  type AbciEvent,
  type BlockContext,
  ChainError,
  deliverMsg,
  pocvalMsgTypeUrls,
  signerOf,
} from "../chain/index.js";
import { checkAddress, checkCoins, coinsToString, transfer } from "./accounts.js";
import { SdkCode, sdkError, TxError } from "./errors.js";
import { type KVStore, prefixStore } from "./store.js";

export const MSG_SEND_TYPE_URL = "/cosmos.bank.v1beta1.MsgSend";

/** An ABCI event (the module's type): the shape CometBFT indexes and cosmjs decodes. */
export type { AbciEvent };

/** The module's slice of the node's store. */
export const POCVAL_PREFIX = new TextEncoder().encode("pocval/");
export const pocvalStore = (store: KVStore): KVStore => prefixStore(store, POCVAL_PREFIX);

/** A ChainError as the node reports it: codespace pocval with the module's code and log. */
export function fromChainError(err: ChainError): TxError {
  return new TxError(err.code, err.codespace, err.log);
}

function decodeSend(value: Uint8Array): MsgSend {
  try {
    return MsgSend.decode(value);
  } catch (err) {
    throw sdkError(SdkCode.txDecode, `MsgSend does not decode: ${(err as Error).message}`);
  }
}

/** The account that must sign msg; code 6 for a type this chain does not route. */
export function messageSigner(msg: Any): string {
  if (msg.typeUrl === MSG_SEND_TYPE_URL) return decodeSend(msg.value).fromAddress;
  if (pocvalMsgTypeUrls.includes(msg.typeUrl)) {
    try {
      return signerOf(msg.typeUrl, msg.value);
    } catch (err) {
      if (err instanceof ChainError) throw fromChainError(err);
      throw sdkError(SdkCode.txDecode, `${msg.typeUrl} does not decode: ${(err as Error).message}`);
    }
  }
  throw sdkError(SdkCode.unknownRequest, `unrecognized message type: ${msg.typeUrl}`);
}

export interface MessageOutcome {
  /** Type URL of the Msg*Response and its encoding, for TxMsgData. */
  responseTypeUrl: string;
  data: Uint8Array;
  events: AbciEvent[];
}

function deliverSend(store: KVStore, value: Uint8Array): { data: Uint8Array; events: AbciEvent[] } {
  const msg = decodeSend(value);
  checkAddress(msg.fromAddress, "from_address");
  checkAddress(msg.toAddress, "to_address");
  if (msg.amount.length === 0) throw sdkError(SdkCode.invalidCoins, "amount: must not be empty");
  checkCoins(msg.amount, "amount");
  transfer(store, msg.fromAddress, msg.toAddress, msg.amount);
  const amount = coinsToString(msg.amount);
  return {
    data: MsgSendResponse.encode({}).finish(),
    events: [
      {
        type: "coin_spent",
        attributes: [
          { key: "spender", value: msg.fromAddress },
          { key: "amount", value: amount },
        ],
      },
      {
        type: "coin_received",
        attributes: [
          { key: "receiver", value: msg.toAddress },
          { key: "amount", value: amount },
        ],
      },
      {
        type: "transfer",
        attributes: [
          { key: "recipient", value: msg.toAddress },
          { key: "sender", value: msg.fromAddress },
          { key: "amount", value: amount },
        ],
      },
    ],
  };
}

/**
 * Runs one message against store. Throws TxError (sdk or pocval codespace) when it is rejected; the
 * caller runs it on a write buffer and drops the buffer then. Events carry msg_index as in the SDK.
 */
export function deliverMessage(
  store: KVStore,
  ctx: BlockContext,
  msg: Any,
  index: number,
  signer: string,
): MessageOutcome {
  let outcome: { data: Uint8Array; events: AbciEvent[] };
  let module: string;
  if (msg.typeUrl === MSG_SEND_TYPE_URL) {
    module = "bank";
    outcome = deliverSend(store, msg.value);
  } else if (pocvalMsgTypeUrls.includes(msg.typeUrl)) {
    module = "pocval";
    try {
      outcome = deliverMsg(pocvalStore(store), ctx, msg.typeUrl, msg.value);
    } catch (err) {
      if (err instanceof ChainError) throw fromChainError(err);
      throw err;
    }
  } else {
    throw sdkError(SdkCode.unknownRequest, `unrecognized message type: ${msg.typeUrl}`);
  }
  const msgIndex = { key: "msg_index", value: String(index) };
  const messageEvent: AbciEvent = {
    type: "message",
    attributes: [
      { key: "action", value: msg.typeUrl },
      { key: "sender", value: signer },
      { key: "module", value: module },
      msgIndex,
    ],
  };
  return {
    responseTypeUrl: `${msg.typeUrl}Response`,
    data: outcome.data,
    events: [messageEvent, ...outcome.events.map((e) => ({ type: e.type, attributes: [...e.attributes, msgIndex] }))],
  };
}
