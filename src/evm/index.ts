// The EVM binding (docs/protocol.md, "EVM binding"): anvil, the PocvalTally contract, ethers adapters.
export { ANVIL_MNEMONIC, AnvilError, type AnvilOptions, anvilBinary, type RunningAnvil, startAnvil } from "./anvil.js";
export { connectEvmChain, type EvmChain, followEvmBlocks } from "./chain.js";
export {
  ContractRevertError,
  decodeRevert,
  deployPocvalTally,
  type EvmParams,
  type EvmStake,
  type EvmTally,
  kCritTable,
  type PocvalTally,
  paramsTuple,
  pocvalTally,
  sortedStakes,
  voteTuple,
} from "./contract.js";
export { DecimalError, fromE18, pValueToE18, toE18 } from "./decimal.js";
export { EvmKeyError, type EvmKeySource, evmHdPath, loadEvmWallet } from "./keys.js";
export { PatientJsonRpcProvider, type PatientProviderOptions } from "./provider.js";
export { type EvmTallyReader, evmTallyReader } from "./queries.js";
