// The pocval chain module: a deterministic state machine over a KVStore (no clock, network,
// randomness or I/O). The node drives it through beginBlock, deliverMsg, endBlock and query.
export { beginBlock, endBlock } from "./blocks.js";
export type { BlockContext, MsgResult } from "./context.js";
export { ChainError, ErrorCode, type ErrorContext } from "./errors.js";
export type { AbciEvent } from "./events.js";
export { defaultParams, defaultTiming, exportGenesis, initGenesis, validateGenesis } from "./genesis.js";
export { deliverMsg, pocvalMsgTypeUrls, signerOf } from "./msgs.js";
export { pocvalQueryPaths, query } from "./queries.js";
export {
  currentStage,
  firstStageStart,
  inCommitWindow,
  inValidationWindow,
  isStageStart,
  type StageWindows,
  stageEndingAt,
  stageStartAtOrBefore,
  stageWindows,
} from "./stage.js";
export { type KVStore, memoryStore } from "./store.js";
