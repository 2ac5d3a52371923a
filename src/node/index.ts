// The embedded node: a single sequencer driving the app (src/app) behind a CometBFT-compatible RPC,
// with its home (genesis.json, key files) and its mempool.
export { HomeError, NodeError } from "./errors.js";
export { CHAIN_ID_PATTERN, type NodeGenesis, nodeGenesisSchema, parseNodeGenesis } from "./genesis.js";
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
