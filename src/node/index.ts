// The localnet node: a single sequencer hosting the pocval module behind a CometBFT-compatible RPC.
export { type App, type CommittedBlock, type FinalizedBlock, openApp } from "./app.js";
export type { TxResult } from "./db.js";
export { HomeError, NodeError, SdkCode, TxError } from "./errors.js";
export { CHAIN_ID_PATTERN, type NodeGenesis, nodeGenesisSchema, parseNodeGenesis } from "./genesis.js";
export {
  type InitHomeOptions,
  initHome,
  type KeyFile,
  keyFromMnemonic,
  readKeyFile,
  walletFromKeyFile,
} from "./home.js";
export type { AbciEvent } from "./messages.js";
export { DEFAULT_BLOCK_TIME_MS, DEFAULT_RPC, type RunningNode, type StartNodeOptions, startNode } from "./node.js";
export { DEFAULT_RPC_LIMITS, MAX_BODY_BYTES, type RpcLimits } from "./rpc-server.js";
export { type DecodedTx, decodeTx, MAX_TX_BYTES, txHash } from "./tx.js";
