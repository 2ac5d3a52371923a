// The localnet node: a single sequencer hosting the pocval module behind a CometBFT-compatible RPC.
export { type App, type CommittedBlock, openApp } from "./app.js";
export { HomeError, NodeError, SdkCode, TxError } from "./errors.js";
export { CHAIN_ID_PATTERN, type NodeGenesis, parseNodeGenesis } from "./genesis.js";
export {
  type InitHomeOptions,
  initHome,
  type KeyFile,
  keyFromMnemonic,
  readKeyFile,
  walletFromKeyFile,
} from "./home.js";
export { DEFAULT_BLOCK_TIME_MS, DEFAULT_RPC, type RunningNode, type StartNodeOptions, startNode } from "./node.js";
export { DEFAULT_RPC_LIMITS, MAX_BODY_BYTES, type RpcLimits } from "./rpc-server.js";
export { type DecodedTx, decodeTx, MAX_TX_BYTES, txHash } from "./tx.js";
