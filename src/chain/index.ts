// The pocval chain module: a deterministic state machine over a KVStore (no clock, network,
// randomness or I/O). The node drives it through beginBlock, deliverMsg, endBlock and query.
//
// Events (all attribute values are strings):
//   pocval.register        participant, poc_public_key, proof_api_url, updated
//   pocval.commit          participant, stage_height, count, root_hash (base64)
//   pocval.vote            validator, participant, stage_height, verdict, reason, checked, mismatches,
//                          p_value, evidence_hash (base64)
//   pocval.params          authority and every param (snake_case names)
//   pocval.stake_snapshot  stage_height, validators, total_stake            (beginBlock at a stage start)
//   pocval.tally           participant, stage_height, count, cheater_stake, honest_stake, abstain_stake,
//                          total_stake, cheater_votes, honest_votes, convicted, weight, decided_height (endBlock)
//   pocval.tally_decided   participant, stage_height, decided_height, convicted, cheater_stake, honest_stake,
//                          total_stake, is_final  (after a vote, at the sampling block, or at the end)
//   pocval.tally_reopened  participant, stage_height, decided_height  (a quorum or slots change mid-window)
//   pocval.stage_finalized stage_height, tallies, convicted                 (endBlock, after the tallies)
// Errors are ChainError with codespace "pocval" and the codes of ErrorCode (>= 2).

// Stage arithmetic and the default params live in core (one home); re-exported for chain users.
export {
  currentStage,
  defaultParams,
  defaultTiming,
  firstStageStart,
  inCommitWindow,
  inValidationWindow,
  isStageStart,
  type StageWindows,
  stageEndingAt,
  stageStartAtOrBefore,
  stageWindows,
} from "../core/index.js";
export { beginBlock, endBlock } from "./blocks.js";
export { BECH32_PREFIX, DENOM, MIN_GAS_PRICE_AMOUNT, typeUrls } from "./constants.js";
export type { BlockContext, MsgResult } from "./context.js";
export { ChainError, ErrorCode, type ErrorContext } from "./errors.js";
export type { AbciEvent } from "./events.js";
export { exportGenesis, initGenesis, validateGenesis } from "./genesis.js";
export { deliverMsg, pocvalMsgTypeUrls, signerOf } from "./msgs.js";
export { pocvalQueryPaths, query } from "./queries.js";
export { type KVStore, memoryStore } from "./store.js";
