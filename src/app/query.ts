// The abci_query router: auth, bank, Simulate and the pocval module's queries.

import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
} from "cosmjs-types/cosmos/bank/v1beta1/query";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { type BlockContext, ChainError, query as moduleQuery } from "../chain/index.js";
import { allBalances, checkAddress, getAccount, getBalance } from "./accounts.js";
import { SdkCode, sdkError, TxError } from "./errors.js";
import { executeTx } from "./execute.js";
import { fromChainError, pocvalStore } from "./messages.js";
import { bufferedStore, type KVStore } from "./store.js";
import { decodeTx } from "./tx.js";

export const ACCOUNT_QUERY = "/cosmos.auth.v1beta1.Query/Account";
export const BALANCE_QUERY = "/cosmos.bank.v1beta1.Query/Balance";
export const ALL_BALANCES_QUERY = "/cosmos.bank.v1beta1.Query/AllBalances";
export const SIMULATE_QUERY = "/cosmos.tx.v1beta1.Service/Simulate";
export const POCVAL_QUERY_PREFIX = "/pocval.v1.Query/";

export interface QueryView {
  chainId: string;
  /** The committed state. */
  committed: KVStore;
  /** The latest committed height. */
  height(): bigint;
  /** Lower-case hex hash of a committed block. */
  blockHash(height: bigint): string | undefined;
}

function decodeRequest<T>(decoder: { decode(d: Uint8Array): T }, data: Uint8Array, what: string): T {
  try {
    return decoder.decode(data);
  } catch (err) {
    throw sdkError(SdkCode.txDecode, `${what} does not decode: ${(err as Error).message}`);
  }
}

/** Simulates a tx on a throw-away view of the committed state, as the next block would run it. */
function simulate(view: QueryView, data: Uint8Array): Uint8Array {
  const { txBytes } = decodeRequest(SimulateRequest, data, "SimulateRequest");
  const tx = decodeTx(txBytes);
  const height = view.height() + 1n;
  const ctx: BlockContext = { height, blockHash: (h) => (h < height ? view.blockHash(h) : undefined) };
  const result = executeTx(bufferedStore(view.committed), ctx, tx, { chainId: view.chainId, mode: "simulate" });
  if (result.code !== 0) throw new TxError(result.code, result.codespace, result.log);
  return SimulateResponse.encode({
    gasInfo: { gasWanted: result.gasWanted, gasUsed: result.gasUsed },
    result: {
      data: new Uint8Array(),
      log: "",
      events: result.events.map((e) => ({
        type: e.type,
        attributes: e.attributes.map((a) => ({ ...a, index: true })),
      })),
      msgResponses: TxMsgData.decode(result.data).msgResponses,
    },
  }).finish();
}

/** Answers one query path against the latest committed state; throws TxError (or ChainError-derived). */
export function routeQuery(view: QueryView, path: string, data: Uint8Array): Uint8Array {
  const store = bufferedStore(view.committed);
  switch (path) {
    case ACCOUNT_QUERY: {
      const { address } = decodeRequest(QueryAccountRequest, data, "QueryAccountRequest");
      checkAddress(address, "address");
      const account = getAccount(store, address);
      if (!account) {
        throw sdkError(SdkCode.keyNotFound, `rpc error: code = NotFound desc = account ${address} not found`);
      }
      return QueryAccountResponse.encode({
        account: { typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: BaseAccount.encode(account).finish() },
      }).finish();
    }
    case BALANCE_QUERY: {
      const { address, denom } = decodeRequest(QueryBalanceRequest, data, "QueryBalanceRequest");
      checkAddress(address, "address");
      const amount = getBalance(store, address, denom);
      return QueryBalanceResponse.encode({ balance: { denom, amount: amount.toString() } }).finish();
    }
    case ALL_BALANCES_QUERY: {
      const { address } = decodeRequest(QueryAllBalancesRequest, data, "QueryAllBalancesRequest");
      checkAddress(address, "address");
      const balances = allBalances(store, address);
      return QueryAllBalancesResponse.encode({
        balances,
        pagination: { nextKey: new Uint8Array(), total: BigInt(balances.length) },
      }).finish();
    }
    case SIMULATE_QUERY:
      return simulate(view, data);
  }
  if (path.startsWith(POCVAL_QUERY_PREFIX)) {
    try {
      // As in the SDK, a query runs at the latest committed height, whose hash is known.
      const last = view.height();
      const ctx: BlockContext = { height: last, blockHash: (h) => (h <= last ? view.blockHash(h) : undefined) };
      return moduleQuery(pocvalStore(store), ctx, path, data);
    } catch (err) {
      if (err instanceof ChainError) throw fromChainError(err);
      throw err;
    }
  }
  throw sdkError(SdkCode.unknownRequest, `unknown query path ${path}`);
}
