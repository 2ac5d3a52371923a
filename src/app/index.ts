// The one deterministic app: tx decoding and auth (ante), bank and pocval messages, finalize and
// commit, the query router, genesis and its SQLite store. It knows no clock, sockets or consensus:
// the embedded node (src/node) and the ABCI server (src/abci) drive it, never each other.
export {
  type App,
  type AppOptions,
  type BlockInfo,
  type CommittedBlock,
  type FinalizedBlock,
  openApp,
  type QueryResult,
} from "./app.js";
export type { BlockHeader, BlockStore, Condition, Operator, StoredBlock, StoredTx, TxResult } from "./db.js";
export { AppError, SdkCode, TxError } from "./errors.js";
export { type AppState, appStateSchema } from "./genesis.js";
export type { AbciEvent } from "./messages.js";
export { type DecodedTx, decodeTx, MAX_TX_BYTES, txHash } from "./tx.js";
